// #line directives on patch texts: which lines changed, where a directive may stand
// (continuations, comments, strings, parentheses, #if groups), the patch that puts
// them in and takes them out again, and the name kbuild gives a file. One case runs
// the host's C preprocessor to show __LINE__ below a change is back to its original.
#include "kbuild.h"
#include "line_directives.h"
#include "patches.h"
#include "proc/process.h"

#include "temp_dir.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;
using namespace klp::build;
using klp::build::test::TempDir;

namespace {

std::vector<LineDirective> plan(const std::string &patched, const std::string &diff)
{
	auto runs = changed_lines(diff);
	EXPECT_TRUE(runs) << runs.error().message();
	if (!runs)
		return {};
	auto dirs = plan_line_directives(patched, *runs);
	EXPECT_TRUE(dirs) << dirs.error().message();
	return dirs ? *dirs : std::vector<LineDirective>{};
}


// The original of most cases: a changed function above a WARN_ON user.
const char *const orig_c = "static int a(void)\n"		  // 1
			   "{\n"				  // 2
			   "\treturn 1;\n"			  // 3
			   "}\n"				  // 4
			   "\n"					  // 5
			   "static int b(int x)\n"		  // 6
			   "{\n"				  // 7
			   "\tWARN_ON(x);\n"			  // 8
			   "\treturn x;\n"			  // 9
			   "}\n";				  // 10

} // namespace

TEST(ChangedLines, RunsOfZeroContextAndContextHunks)
{
	// diff -U0: an insertion after line 3, a one-line replacement, a deletion.
	auto u0 = changed_lines("--- a/x.c\n+++ b/x.c\n"
				"@@ -3,0 +4,2 @@\n+one\n+two\n"
				"@@ -8 +10 @@\n-old\n+new\n"
				"@@ -12,2 +13,0 @@\n-gone\n-gone\n");
	ASSERT_TRUE(u0) << u0.error().message();
	ASSERT_EQ(u0->size(), 3u);
	EXPECT_EQ((*u0)[0].old_start, 3u);
	EXPECT_EQ((*u0)[0].old_count, 0u);
	EXPECT_EQ((*u0)[0].new_start, 4u);
	EXPECT_EQ((*u0)[0].new_count, 2u);
	EXPECT_EQ((*u0)[1].old_start, 8u);
	EXPECT_EQ((*u0)[1].new_start, 10u);
	EXPECT_EQ((*u0)[2].old_start, 12u);
	EXPECT_EQ((*u0)[2].old_count, 2u);
	EXPECT_EQ((*u0)[2].new_start, 13u); // they were after this line
	EXPECT_EQ((*u0)[2].new_count, 0u);

	// A patch with context: one hunk, two groups of changes, an empty context line
	// whose blank a mailer dropped.
	auto ctx = changed_lines("diff --git a/x.c b/x.c\n--- a/x.c\n+++ b/x.c\n"
				 "@@ -1,6 +1,7 @@\n a\n-b\n+B\n\n d\n+e\n f\n g\n");
	ASSERT_TRUE(ctx) << ctx.error().message();
	ASSERT_EQ(ctx->size(), 2u);
	EXPECT_EQ((*ctx)[0].old_start, 2u);
	EXPECT_EQ((*ctx)[0].new_start, 2u);
	EXPECT_EQ((*ctx)[1].old_start, 4u); // after "d", line 4 of the original
	EXPECT_EQ((*ctx)[1].old_count, 0u);
	EXPECT_EQ((*ctx)[1].new_start, 5u);
	EXPECT_EQ((*ctx)[1].new_count, 1u);

	EXPECT_FALSE(changed_lines("@@ -1,2 +1,1 @@\n a\n+c\n-b\n")); // one `+` line too many
	EXPECT_FALSE(changed_lines("@@ -1,3 +1,3 @@\n a\n")); // ends early
	EXPECT_FALSE(changed_lines("@@ -x +1 @@\n-a\n+b\n"));
}

TEST(LineDirectives, AfterLinesAddedAboveAWarnUser)
{
	std::string patched = "static int a(void)\n{\n\tpr_info(\"a\\n\");\n\tpr_info(\"b\\n\");\n"
			      "\treturn 1;\n}\n\nstatic int b(int x)\n{\n\tWARN_ON(x);\n\treturn x;\n}\n";
	auto dirs = plan(patched, "@@ -2,0 +3,2 @@\n+\tpr_info(\"a\\n\");\n+\tpr_info(\"b\\n\");\n");
	// Before `return 1;` (patched line 5), which is line 3 of the original.
	EXPECT_EQ(dirs, (std::vector<LineDirective>{{5, 3}}));
	EXPECT_EQ(with_line_directives(patched, dirs, "kernel/x.c"),
		  "static int a(void)\n{\n\tpr_info(\"a\\n\");\n\tpr_info(\"b\\n\");\n"
		  "#line 3 \"kernel/x.c\"\n\treturn 1;\n}\n\nstatic int b(int x)\n{\n\tWARN_ON(x);\n"
		  "\treturn x;\n}\n");

	// The same change as a patch with context.
	EXPECT_EQ(plan(patched, "--- a/kernel/x.c\n+++ b/kernel/x.c\n@@ -1,5 +1,7 @@\n static int a(void)\n"
				" {\n+\tpr_info(\"a\\n\");\n+\tpr_info(\"b\\n\");\n \treturn 1;\n }\n \n"),
		  dirs);
}

TEST(LineDirectives, NoneWhereTheNumbersDoNotMove)
{
	// One line for one: everything below keeps its number without help.
	std::string patched = std::string(orig_c);
	patched.replace(patched.find("return 1"), 8, "return 2");
	EXPECT_TRUE(plan(patched, "@@ -3 +3 @@\n-\treturn 1;\n+\treturn 2;\n").empty());
	// A line in, further down a line out: the code between needs a directive, and
	// then the code after the second change needs one as well.
	std::string moved = "x\na\nb\nc\nd\ne\n";
	auto dirs = plan(moved, "@@ -0,0 +1 @@\n+x\n@@ -5 +5,0 @@\n-gone\n");
	EXPECT_EQ(dirs, (std::vector<LineDirective>{{2, 1}, {6, 6}}));
}

TEST(LineDirectives, AfterLinesRemoved)
{
	// Lines 3-4 of the original removed: the next line, 3 of the patched file, was 5.
	std::string patched = "a\nb\ne\nf\n";
	EXPECT_EQ(plan(patched, "@@ -3,2 +2,0 @@\n-c\n-d\n"), (std::vector<LineDirective>{{3, 5}}));
}

TEST(LineDirectives, NotInsideAMacroContinuationCommentStringOrParentheses)
{
	// The change ends inside a macro definition: the directive waits for its end.
	std::string macro = "#define M(x) \\\n\tdo { \\\n\t\tnew(); \\\n\t\told(); \\\n"
			    "\t} while (0)\nint y;\n";
	EXPECT_EQ(plan(macro, "@@ -2,0 +3 @@\n+\t\tnew(); \\\n"), (std::vector<LineDirective>{{6, 5}}));
	// ... inside a /* comment */ spanning lines.
	std::string comment = "added\n/* a\n * b\n */\nint y;\n";
	EXPECT_EQ(plan(comment, "@@ -0,0 +1 @@\n+added\n"), (std::vector<LineDirective>{{2, 1}}));
	std::string in_comment = "/* a\nadded\n * b\n */\nint y;\n";
	EXPECT_EQ(plan(in_comment, "@@ -1,0 +2 @@\n+added\n"), (std::vector<LineDirective>{{5, 4}}));
	// ... a string continued with a backslash.
	std::string str = "added\nconst char *s = \"a\\\nb\";\nint y;\n";
	EXPECT_EQ(plan(str, "@@ -0,0 +1 @@\n+added\n"), (std::vector<LineDirective>{{2, 1}}));
	std::string in_str = "const char *s = \"a\\\nadded\\\nb\";\nint y;\n";
	EXPECT_EQ(plan(in_str, "@@ -1,0 +2 @@\n+added\\\n"), (std::vector<LineDirective>{{4, 3}}));
	// ... a // comment continued with a backslash (it comments out the next line too).
	std::string slash = "// x \\\nadded\nint y;\n";
	EXPECT_EQ(plan(slash, "@@ -1,0 +2 @@\n+added\n"), (std::vector<LineDirective>{{3, 2}}));
	// ... the arguments of a macro spanning lines.
	std::string args = "\tWARN(cond,\n\t     \"fmt %d\",\n\t     added);\n\treturn 0;\n";
	EXPECT_EQ(plan(args, "@@ -2,0 +3 @@\n+\t     added);\n@@ -3 +3,0 @@\n-\t     old);\n"
			     "@@ -3,0 +4 @@\n+\textra;\n"),
		  std::vector<LineDirective>{});
	std::string args2 = "\tWARN(cond,\n\t     added,\n\t     x);\n\treturn 0;\n";
	EXPECT_EQ(plan(args2, "@@ -1,0 +2 @@\n+\t     added,\n"), (std::vector<LineDirective>{{4, 3}}));
	// A quote in a character literal or an #error does not start a string.
	std::string quotes = "added\nchar c = '\"';\n#error don't\nint y;\n";
	EXPECT_EQ(plan(quotes, "@@ -0,0 +1 @@\n+added\n"), (std::vector<LineDirective>{{2, 1}}));
}

TEST(LineDirectives, ConditionalGroupsGetOneAfterEachBranch)
{
	// A change inside #ifdef X: the directive after it is skipped when X is undefined,
	// so the line after #else and the one after #endif get one too.
	std::string patched = "#ifdef X\n"	// 1
			      "added\n"		// 2
			      "a\n"		// 3 (orig 2)
			      "#else\n"		// 4 (3)
			      "b\n"		// 5 (4)
			      "#endif\n"	// 6 (5)
			      "c\n";		// 7 (6)
	EXPECT_EQ(plan(patched, "@@ -1,0 +2 @@\n+added\n"),
		  (std::vector<LineDirective>{{3, 2}, {5, 4}, {7, 6}}));
	// Nested: #if levels that close after the change each need one; an #if opened
	// and closed after the directive does not.
	std::string nested = "#if A\n#if B\nadded\nx\n#if C\ny\n#endif\n#endif\nz\n#endif\nw\n";
	EXPECT_EQ(plan(nested, "@@ -2,0 +3 @@\n+added\n"),
		  (std::vector<LineDirective>{{4, 3}, {9, 8}, {11, 10}}));
	// A change outside any group: no extra directives after later groups.
	std::string outside = "added\n#ifdef X\na\n#endif\nb\n";
	EXPECT_EQ(plan(outside, "@@ -0,0 +1 @@\n+added\n"), (std::vector<LineDirective>{{2, 1}}));
}

TEST(LineDirectives, RunsThatDoNotFitAreAnError)
{
	auto runs = changed_lines("@@ -10,0 +20,2 @@\n+a\n+b\n");
	ASSERT_TRUE(runs);
	EXPECT_FALSE(plan_line_directives("a\nb\n", *runs));
}

TEST(LineDirectives, NameQuotedAndCrLfKept)
{
	EXPECT_EQ(line_directive(7, "a\"b\\c.c"), "#line 7 \"a\\\"b\\\\c.c\"");
	EXPECT_EQ(with_line_directives("x\r\ny\r\n", {{2, 1}}, "f.c"), "x\r\n#line 1 \"f.c\"\r\ny\r\n");
}

// The patch that adds the directives, applied and reverted by AppliedPatches after the
// user's patch, as klp-build does: the tree ends as it began, the marker holds both.
TEST(LineDirectives, PatchAppliesAfterTheUsersAndRevertsFirst)
{
	TempDir t;
	std::string lines;
	for (int i = 1; i <= 30; i++)
		lines += "line" + std::to_string(i) + "\n";
	lines += "last without newline";
	t.write("tree/k/x.c", lines);
	std::string user = t.write("fix.patch", "--- a/k/x.c\n+++ b/k/x.c\n@@ -2,3 +2,5 @@\n line2\n+new1\n"
						"+new2\n line3\n line4\n@@ -27,4 +29,3 @@\n line27\n"
						"-line28\n line29\n line30\n");
	AppliedPatches applied;
	std::vector<std::string> notes;
	ASSERT_TRUE(applied.apply(t.path() + "/tree", {user}, t.path() + "/marker", "", notes));
	std::string patched = t.read("tree/k/x.c");
	auto runs = changed_lines(*read_text(user));
	ASSERT_TRUE(runs);
	auto dirs = plan_line_directives(patched, *runs);
	ASSERT_TRUE(dirs) << dirs.error().message();
	EXPECT_EQ(*dirs, (std::vector<LineDirective>{{5, 3}, {30, 29}}));
	std::string gen = t.write("lines.patch", line_directive_patch("k/x.c", patched, *dirs, "k/x.c"));
	ASSERT_TRUE(applied.apply(t.path() + "/tree", {gen}, t.path() + "/marker", "", notes));
	EXPECT_EQ(t.read("tree/k/x.c"), with_line_directives(patched, *dirs, "k/x.c"));
	EXPECT_TRUE(fs::exists(t.path() + "/marker/000-fix.patch"));
	EXPECT_TRUE(fs::exists(t.path() + "/marker/001-lines.patch"));

	// A run killed here leaves both; the next one takes them out, last first.
	applied.keep();
	auto n = revert_stale_patches(t.path() + "/tree", t.path() + "/marker", "");
	ASSERT_TRUE(n) << n.error().message();
	EXPECT_EQ(*n, 2u);
	EXPECT_EQ(t.read("tree/k/x.c"), lines);

	// And through revert().
	AppliedPatches again;
	ASSERT_TRUE(again.apply(t.path() + "/tree", {user}, t.path() + "/marker", "", notes));
	ASSERT_TRUE(again.apply(t.path() + "/tree", {gen}, t.path() + "/marker", "", notes));
	ASSERT_TRUE(again.revert());
	EXPECT_EQ(t.read("tree/k/x.c"), lines);
	EXPECT_FALSE(fs::exists(t.path() + "/marker"));
}

// What the compiler makes of it: __LINE__ below the change, and __FILE__, are those of
// the original (the host's preprocessor; the kernel cases are in tests/kernel).
TEST(LineDirectives, PreprocessorSeesTheOriginalLines)
{
	if (!klp::capture({"cpp", "--version"}))
		GTEST_SKIP() << "no cpp on this machine";
	TempDir t;
	std::string orig = "#define WARN_ON(x) warn(__FILE__, __LINE__, x)\n"
			   "int a(void)\n{\n\treturn 1;\n}\n"
			   "#define LONG(x) \\\n\tWARN_ON(x)\n"
			   "/* comment\n */\n"
			   "int b(int x)\n{\n\tLONG(x);\n\treturn x;\n}\n";
	std::string patched = orig;
	patched.replace(patched.find("\treturn 1;"), 0, "\tint y = 2;\n\ty++;\n");
	patched.replace(patched.find("\tWARN_ON(x)\n"), 0, "\t(void)0, \\\n");
	patched.replace(patched.find(" */"), 0, " * more\n");
	t.write("k/orig.c", orig);
	t.write("k/x.c", patched);
	auto diff = klp::capture({"diff", "-U0", t.path() + "/k/orig.c", t.path() + "/k/x.c"}, "", {0, 1});
	ASSERT_TRUE(diff) << diff.error().message();
	auto runs = changed_lines(*diff);
	ASSERT_TRUE(runs) << runs.error().message();
	auto dirs = plan_line_directives(patched, *runs);
	ASSERT_TRUE(dirs) << dirs.error().message();
	EXPECT_EQ(dirs->size(), 3u); // after the function, the macro and the comment
	t.write("k/x.c", with_line_directives(patched, *dirs, "k/x.c"));
	auto expand = [&](const std::string &file) {
		auto out = klp::capture({"cpp", "-P", file}, t.path());
		EXPECT_TRUE(out) << out.error().message();
		std::string text = out ? *out : "";
		size_t at = text.find("warn(");
		return at == std::string::npos ? text : text.substr(at, text.find(';', at) - at);
	};
	t.write("k/orig-named.c", with_line_directives(orig, {{1, 1}}, "k/x.c"));
	EXPECT_EQ(expand("k/x.c"), expand("k/orig-named.c"));
	EXPECT_EQ(expand("k/x.c"), "warn(\"k/x.c\", 12, x)");
}

TEST(CompilerFileName, FromKbuildsRecords)
{
	TempDir t;
	std::string tree = t.path() + "/linux";
	t.write("linux/kernel/sched/build_policy.c", "#include \"sched.h\"\n# include \"rt.c\"\n");
	t.write("linux/kernel/sched/rt.c", "int rt;\n");
	std::vector<std::string> sources = {"fs/proc/cmdline.c", "kernel/sched/build_policy.c",
					    "drivers/gpu/drm/amd/amdgpu/../display/dc/core/dc.c"};
	EXPECT_EQ(compiler_file_name(tree, "fs/proc/cmdline.c", sources), "fs/proc/cmdline.c");
	EXPECT_EQ(compiler_file_name(tree + "/", "drivers/gpu/drm/amd/display/dc/core/dc.c", sources),
		  "drivers/gpu/drm/amd/amdgpu/../display/dc/core/dc.c");
	EXPECT_EQ(compiler_file_name(tree, "kernel/sched/rt.c", sources), "kernel/sched/rt.c");
	EXPECT_EQ(compiler_file_name(tree, "kernel/sched/fair.c", sources), std::nullopt);

	// An external module: kbuild passes absolute paths; the patched build compiles a copy.
	std::string orig = t.path() + "/oot/orig", patched = t.path() + "/oot/patched";
	EXPECT_EQ(compiler_file_name(orig, "hello.c", {orig + "/hello.c", orig + "/hello.mod.c"}, patched),
		  patched + "/hello.c");
	EXPECT_EQ(compiler_file_name(orig, "sub/hello.c", {orig + "/hello.c"}, patched), std::nullopt);
}
