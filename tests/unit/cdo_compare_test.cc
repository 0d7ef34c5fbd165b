// create-diff-object compare (compare.cc): every function and data object of the
// patched object is new, changed (with its reasons: bytes, relocations, size,
// cold-child) or unchanged. String literals are compared by content, not offset.
#include "cdo_test_util.h"

using namespace klp;
using namespace klp::test;
using cdo::Status;

namespace {

std::set<std::string> reasons(const std::set<std::string> &r) { return r; }

std::string show(const std::set<std::string> &s)
{
	std::string out;
	for (const auto &r : s)
		out += (out.empty() ? "" : ",") + r;
	return "{" + out + "}";
}

} // namespace

TEST(CdoCompare, ChangedBytes)
{
	auto run = run_cdo({"int over(int x) { return x > 10; }\nint same(int x) { return x + 1; }\n",
			    "int over(int x) { return x >= 10; }\nint same(int x) { return x + 1; }\n"},
			   Through::Compare);
	ASSERT_TRUE(run);
	EXPECT_EQ(fn(*run, "over").status, Status::Changed);
	EXPECT_EQ(fn(*run, "over").reasons, reasons({"bytes"})) << show(fn(*run, "over").reasons);
	EXPECT_EQ(fn(*run, "same").status, Status::Unchanged);
	EXPECT_TRUE(fn(*run, "same").reasons.empty());
}

TEST(CdoCompare, ChangedRelocationTargetOnly)
{
	const char *orig = "extern void kfree(void *);\nextern void kfree_sensitive(void *);\n"
			   "void drop_key(void *k) { kfree(k); }\n";
	const char *patched = "extern void kfree(void *);\nextern void kfree_sensitive(void *);\n"
			      "void drop_key(void *k) { kfree_sensitive(k); }\n";
	auto run = run_cdo({orig, patched}, Through::Compare);
	ASSERT_TRUE(run);
	EXPECT_EQ(fn(*run, "drop_key").status, Status::Changed);
	EXPECT_EQ(fn(*run, "drop_key").reasons, reasons({"relocations"}))
		<< show(fn(*run, "drop_key").reasons);
}

TEST(CdoCompare, ChangedAddendOnly)
{
	const char *orig = "long table[8];\nlong third(void) { return table[2]; }\n";
	const char *patched = "long table[8];\nlong third(void) { return table[3]; }\n";
	auto run = run_cdo({orig, patched}, Through::Compare);
	ASSERT_TRUE(run);
	EXPECT_EQ(fn(*run, "third").status, Status::Changed);
	EXPECT_EQ(fn(*run, "third").reasons, reasons({"relocations"}))
		<< show(fn(*run, "third").reasons);
	EXPECT_EQ(data(*run, "table").status, Status::Unchanged);
}

TEST(CdoCompare, ChangedSize)
{
	const char *orig = "extern void note(int);\nvoid step(int x) { note(x); }\n";
	const char *patched = "extern void note(int);\nvoid step(int x) { if (x > 0) note(x); }\n";
	auto run = run_cdo({orig, patched}, Through::Compare);
	ASSERT_TRUE(run);
	ASSERT_NE(run->psym("step")->size, run->osym("step")->size);
	EXPECT_EQ(fn(*run, "step").status, Status::Changed);
	EXPECT_TRUE(fn(*run, "step").reasons.count("size")) << show(fn(*run, "step").reasons);
	EXPECT_TRUE(fn(*run, "step").reasons.count("bytes")) << show(fn(*run, "step").reasons);
}

TEST(CdoCompare, DataObjects)
{
	const char *orig = "int limit = 5;\nint sizes[3] = {1, 2, 3};\nint keep = 7;\n"
			   "static int hits;\nint *hitp(void) { return &hits; }\n";
	const char *patched = "int limit = 6;\nint sizes[4] = {1, 2, 3, 4};\nint keep = 7;\n"
			      "static int hits;\nint *hitp(void) { return &hits; }\n"
			      "int fresh = 1;\n";
	auto run = run_cdo({orig, patched}, Through::Compare);
	ASSERT_TRUE(run);
	EXPECT_EQ(data(*run, "limit").status, Status::Changed);
	EXPECT_EQ(data(*run, "limit").reasons, reasons({"bytes"}));
	EXPECT_EQ(data(*run, "sizes").status, Status::Changed);
	EXPECT_EQ(data(*run, "sizes").reasons, reasons({"bytes", "size"}))
		<< show(data(*run, "sizes").reasons);
	EXPECT_EQ(data(*run, "keep").status, Status::Unchanged);
	EXPECT_EQ(data(*run, "hits").status, Status::Unchanged);
	EXPECT_EQ(data(*run, "fresh").status, Status::New);
	EXPECT_EQ(fn(*run, "hitp").status, Status::Unchanged);
}

TEST(CdoCompare, NewFunction)
{
	auto run = run_cdo({"int a(int x) { return x; }\n",
			    "int a(int x) { return x; }\nint b(int x) { return x * 2; }\n"},
			   Through::Compare);
	ASSERT_TRUE(run);
	EXPECT_EQ(fn(*run, "a").status, Status::Unchanged);
	EXPECT_EQ(fn(*run, "b").status, Status::New);
}

// gcc 12 puts a literal used by two functions in the section of the first. A new
// message at the top of port_link_up() moves the shared one: port_link_down()'s relocation
// addend changes, the string it designates does not.
TEST(CdoCompare, StringsByContentNotOffset)
{
	const char *tmpl = R"(
extern int printk(const char *fmt, ...);
extern int port_renegotiate(int port);
#define KERN_INFO "\0016"
void port_link_up(int port, int speed)
{
	FIX
	printk(KERN_INFO "port %d: link state changed\n", port);
	printk(KERN_INFO "port %d: up at %d Mb/s\n", port, speed);
}
void port_link_down(int port)
{
	printk(KERN_INFO "port %d: link state changed\n", port);
	printk(KERN_INFO "port %d: down\n", port);
}
)";
	auto run = run_cdo({std::string("#define FIX\n") + tmpl,
			    std::string("#define FIX if (speed < 10 && port_renegotiate(port)) "
					"printk(KERN_INFO \"port %d: speed %d too low, renegotiating\\n\", "
					"port, speed);\n") + tmpl},
			   Through::Compare);
	ASSERT_TRUE(run);
	// A relocation of port_link_down must have moved, or the case tests nothing.
	auto p = relocs_of(run->patched(), "port_link_down");
	auto o = relocs_of(run->orig(), "port_link_down");
	ASSERT_EQ(p.size(), o.size());
	bool moved = false;
	for (size_t i = 0; i < p.size(); i++)
		moved |= p[i]->addend != o[i]->addend;
	ASSERT_TRUE(moved);
	EXPECT_EQ(fn(*run, "port_link_down").status, Status::Unchanged)
		<< show(fn(*run, "port_link_down").reasons);
	EXPECT_EQ(fn(*run, "port_link_up").status, Status::Changed);
}

// The same offset with other contents is a change of relocation, with equal code.
TEST(CdoCompare, StringContentChangeIsARelocationChange)
{
	const char *orig = "extern int printk(const char *fmt, ...);\n"
			   "void link_down(int port) { printk(\"port %d: link down\\n\", port); }\n";
	const char *patched = "extern int printk(const char *fmt, ...);\n"
			      "void link_down(int port) { printk(\"port %d: LINK down\\n\", port); }\n";
	auto run = run_cdo({orig, patched}, Through::Compare);
	ASSERT_TRUE(run);
	EXPECT_EQ(fn(*run, "link_down").status, Status::Changed);
	EXPECT_EQ(fn(*run, "link_down").reasons, reasons({"relocations"}))
		<< show(fn(*run, "link_down").reasons);
}

// Only the .cold child's call target changes (printk -> printk_deferred): the hot
// part is identical, but only the parent can be patched, so it changes.
TEST(CdoCompare, ColdChildChangesItsParent)
{
	const char *tmpl = R"(
extern int printk(const char *fmt, ...);
extern int printk_deferred(const char *fmt, ...);
extern void fw_report(const char *what, int v) __attribute__((cold));
struct fw_section { unsigned int offset; int size; };
int fw_parse_sections(const struct fw_section *s, int n, unsigned int limit)
{
	int i, total = 0;
	for (i = 0; i < n; i++) {
		if (__builtin_expect(s[i].size < 0 || s[i].offset > limit, 0)) {
			fw_report("bad section", i);
			PRINTK("fw: section %d: offset %d size %d\n", i, s[i].offset, s[i].size);
			return -22;
		}
		total += s[i].size;
	}
	return total;
}
)";
	auto run = run_cdo({std::string("#define PRINTK printk\n") + tmpl,
			    std::string("#define PRINTK printk_deferred\n") + tmpl},
			   Through::Compare);
	ASSERT_TRUE(run);
	ASSERT_TRUE(run->psym("fw_parse_sections.cold")) << "gcc did not split a .cold part";
	EXPECT_EQ(fn(*run, "fw_parse_sections.cold").status, Status::Changed);
	EXPECT_EQ(fn(*run, "fw_parse_sections.cold").reasons, reasons({"relocations"}));
	EXPECT_EQ(fn(*run, "fw_parse_sections").status, Status::Changed);
	EXPECT_EQ(fn(*run, "fw_parse_sections").reasons, reasons({"cold-child"}))
		<< show(fn(*run, "fw_parse_sections").reasons);
}

TEST(CdoCompare, IgnoreFunctionMarker)
{
	const char *tmpl = R"(
#define KLP_IGNORE_FUNCTION(fn) \
	static void *__klpkit_ignore_##fn __attribute__((used, section(".klpkit.ignore.functions"))) = (void *)(fn)
int boot_only(int x) { return x + DELTA; }
KLP_IGNORE_FUNCTION(boot_only);
int fixed(int x) { return x * DELTA; }
)";
	auto run = run_cdo({std::string("#define DELTA 1\n") + tmpl,
			    std::string("#define DELTA 2\n") + tmpl},
			   Through::Compare);
	ASSERT_TRUE(run);
	EXPECT_EQ(fn(*run, "boot_only").status, Status::Ignored);
	EXPECT_EQ(fn(*run, "boot_only").reasons, reasons({"KLP_IGNORE_FUNCTION"}));
	EXPECT_EQ(fn(*run, "fixed").status, Status::Changed);
}

namespace {

// static_cpu_has() reduced to its .altinstr_aux block: `jmp 6f` in the function,
// `testb $bit, cap_byte(%rip); jnz t_yes; jmp t_no` in the file's .altinstr_aux.
const char *cpu_has_prelude = R"(
struct cpuinfo_x86 { unsigned int x86_capability[21]; };
extern struct cpuinfo_x86 boot_cpu_data;
static inline __attribute__((always_inline)) _Bool cpu_has(unsigned short bit)
{
	asm goto("jmp 6f\n"
		 ".pushsection .altinstr_aux,\"ax\"\n"
		 "6: testb %[bitnum], %P[cap_byte](%%rip)\n"
		 " jnz %l[t_yes]\n"
		 " jmp %l[t_no]\n"
		 ".popsection\n"
		 : : [bitnum] "i" (1 << (bit & 7)),
		     [cap_byte] "i" (&((const char *)boot_cpu_data.x86_capability)[bit >> 3])
		 : : t_yes, t_no);
t_yes:
	return 1;
t_no:
	return 0;
}
)";

std::string cpu_has_source(const char *first_body, unsigned second_bit)
{
	return std::string(cpu_has_prelude) + "int first(int x) {\n" + first_body + "\n}\n" +
	       "int second(int x) { return cpu_has(" + std::to_string(second_bit) +
	       ") ? x : -x; }\n";
}

} // namespace

TEST(CdoCompare, JumpIntoAMovedAltinstrAuxBlockIsUnchanged)
{
	// A use added to first() moves second()'s block from .altinstr_aux+0 to +0x12.
	auto run = run_cdo({cpu_has_source("return x;", 528),
			    cpu_has_source("return cpu_has(529) ? x : 0;", 528)},
			   Through::Compare);
	ASSERT_TRUE(run);
	EXPECT_EQ(fn(*run, "first").status, Status::Changed);
	EXPECT_EQ(fn(*run, "second").status, Status::Unchanged) << show(fn(*run, "second").reasons);
}

TEST(CdoCompare, OtherFeatureInTheAltinstrAuxBlockIsAChange)
{
	// second()'s code and its jump are the same; the block tests another bit.
	auto run = run_cdo({cpu_has_source("return x;", 528), cpu_has_source("return x;", 531)},
			   Through::Compare);
	ASSERT_TRUE(run);
	EXPECT_EQ(fn(*run, "first").status, Status::Unchanged);
	EXPECT_EQ(fn(*run, "second").status, Status::Changed);
	EXPECT_EQ(fn(*run, "second").reasons, reasons({"relocations"}))
		<< show(fn(*run, "second").reasons);
}

namespace {

// WARN() as x86 Linux 6.1 emits it: `__warn_printk(fmt, ...)`, then a ud2 whose
// 12-byte __bug_table entry records the line.
const char *warn_prelude = R"(
#define unlikely(x) __builtin_expect(!!(x), 0)
#define __WARN_FLAGS(flags)						\
	asm volatile("1:\tud2\n"					\
		     ".pushsection __bug_table,\"aw\"\n"		\
		     "2:\t.long 1b - .\n"				\
		     "\t.long %c0 - .\n"				\
		     "\t.word %c1\n"					\
		     "\t.word %c2\n"					\
		     "\t.org 2b+12\n"					\
		     ".popsection"					\
		     : : "i" (__FILE__), "i" (__LINE__), "i" (flags))
extern void __warn_printk(const char *fmt, ...);
#define WARN(condition, format...) ({					\
	int __ret_warn_on = !!(condition);				\
	if (unlikely(__ret_warn_on)) {					\
		__warn_printk(format);					\
		__WARN_FLAGS(0x905);					\
	}								\
	unlikely(__ret_warn_on);					\
})
extern int rtnl_is_locked(void);
)";

std::string warn_source(const std::string &lines_above, const char *warn)
{
	return std::string(warn_prelude) + lines_above + "int check(int x)\n{\n\tif (" + warn +
	       ")\n\t\treturn -1;\n\treturn x;\n}\n";
}

} // namespace

TEST(CdoCompare, WarnFormatLineArgumentIsLineOnly)
{
	// `WARN(x < 0, "bad at %d", __LINE__)`: the line goes in %esi, and equals the
	// line of the ud2's entry on both sides.
	const char *warn = R"(WARN(x < 0, "bad at %d\n", __LINE__))";
	auto run = run_cdo({warn_source("", warn), warn_source("\n\n", warn)}, Through::Compare);
	ASSERT_TRUE(run);
	EXPECT_EQ(fn(*run, "check").status, Status::Unchanged) << show(fn(*run, "check").reasons);
	size_t notes = 0;
	for (const auto &c : run->ctx.decisions.line_changes)
		notes += c.function == "check";
	EXPECT_EQ(notes, 2u) << "the __warn_printk argument and the __bug_table line";
}

TEST(CdoCompare, WarnConstantThatIsNotItsLineIsAChange)
{
	// `WARN(1, "n=%d", 5)` becoming 6 moves no line; with lines moved as well, the
	// immediates still differ from the entries' lines.
	auto run = run_cdo({warn_source("", R"(WARN(x < 0, "n=%d\n", 5))"),
			    warn_source("\n\n", R"(WARN(x < 0, "n=%d\n", 6))")},
			   Through::Compare);
	ASSERT_TRUE(run);
	EXPECT_EQ(fn(*run, "check").status, Status::Changed);
	EXPECT_EQ(fn(*run, "check").reasons, reasons({"bytes"})) << show(fn(*run, "check").reasons);
}

TEST(CdoCompare, WarnConstantEqualToTheOldLineIsAChange)
{
	// The original's constant happens to be its line, the patched one is another
	// number than the patched line: each side must match its own entry.
	auto src = [](const std::string &above, int n) {
		return warn_source(above, fmt::format("WARN(x < 0, \"n=%d\\n\", {})", n).c_str());
	};
	std::string orig = src("", 0);
	int line = 1 + int(std::count(orig.begin(), orig.begin() + long(orig.find("WARN(x")), '\n'));
	auto run = run_cdo({src("", line), src("\n", line + 5)}, Through::Compare);
	ASSERT_TRUE(run);
	EXPECT_EQ(fn(*run, "check").status, Status::Changed);
}
