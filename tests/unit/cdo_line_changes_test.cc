// create-diff-object line_changes: __LINE__-only differences are recognised in code
// compiled with kernel flags, and every other difference is not.
#include "elf/object.h"
#include "line_changes.h"
#include "test_util.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

using namespace klp;
using klp::cdo::LineChange;
using klp::cdo::line_only_changes;
using klp::test::TempDir;

namespace {

// The prelude every C case shares: the kernel's declarations, reduced.
const char *prelude = R"(
extern void __might_sleep(const char *file, int line);
extern void __might_resched(const char *file, int line, unsigned int offsets);
extern void __ext4_error(void *sb, const char *function, unsigned int line, _Bool force_ro,
			 int error, unsigned long long block, const char *fmt, ...);
extern void my_log(const char *file, int line);
extern int bar(int);
extern int baz(int);
#define might_sleep() __might_sleep("kernel/foo.c", __LINE__)
)";

struct Pair {
	std::unique_ptr<elf::Object> orig, patched;
	std::optional<std::vector<LineChange>> diff(const std::string &section) const
	{
		const elf::Section *a = orig->find_section(section);
		const elf::Section *b = patched->find_section(section);
		EXPECT_TRUE(a && b) << section;
		if (!a || !b)
			return std::nullopt;
		return line_only_changes(*orig, *a, *patched, *b);
	}
};

std::unique_ptr<elf::Object> must_read(const std::string &path)
{
	auto obj = elf::Object::read(path);
	EXPECT_TRUE(obj) << (obj ? "" : obj.error().message());
	return obj ? std::move(*obj) : nullptr;
}

// The lead's correlation pass, reduced to what these cases need: same name, same
// twin (section symbols carry their section's name).
void correlate_by_name(elf::Object &a, elf::Object &b)
{
	for (auto &sym : a.symbols) {
		if (sym->name.empty())
			continue;
		if (elf::Symbol *twin = b.find_symbol(sym->name)) {
			sym->twin = twin;
			twin->twin = sym.get();
		}
	}
	for (auto &sec : a.sections)
		if (elf::Section *twin = b.find_section(sec->name)) {
			sec->twin = twin;
			twin->twin = sec.get();
			if (sec->secsym && twin->secsym) {
				sec->secsym->twin = twin->secsym;
				twin->secsym->twin = sec->secsym;
			}
		}
}

Pair compile_pair(const TempDir &dir, const std::string &orig_src,
		  const std::string &patched_src)
{
	Pair pair;
	pair.orig = must_read(test::compile_c(dir, "orig", orig_src));
	pair.patched = must_read(test::compile_c(dir, "patched", patched_src));
	if (pair.orig && pair.patched)
		correlate_by_name(*pair.orig, *pair.patched);
	return pair;
}

// The 1-based line of the first line of `src` containing `marker`.
int line_of(const std::string &src, const std::string &marker)
{
	size_t at = src.find(marker);
	EXPECT_NE(at, std::string::npos) << marker;
	return 1 + int(std::count(src.begin(), src.begin() + at, '\n'));
}

uint32_t le32_at(const elf::Section &sec, uint64_t offset)
{
	uint32_t v = 0;
	std::memcpy(&v, sec.data.data() + offset, sizeof(v));
	return v;
}

const char *foo_body = R"(
int foo(int x)
{
	might_sleep();
	return bar(x) + 3;
}
)";

} // namespace

TEST(CdoLineChanges, IdenticalFunctionsGiveAnEmptyList)
{
	TempDir dir;
	std::string src = std::string(prelude) + foo_body;
	Pair p = compile_pair(dir, src, src);
	ASSERT_TRUE(p.orig && p.patched);
	auto changes = p.diff(".text.foo");
	ASSERT_TRUE(changes);
	EXPECT_TRUE(changes->empty());
}

TEST(CdoLineChanges, BlankLinesAboveMightSleepAreLineOnly)
{
	TempDir dir;
	std::string orig = std::string(prelude) + foo_body;
	std::string patched = std::string(prelude) + "\n\n" + foo_body;
	Pair p = compile_pair(dir, orig, patched);
	ASSERT_TRUE(p.orig && p.patched);
	int line_a = line_of(orig, "might_sleep();"), line_b = line_of(patched, "might_sleep();");
	ASSERT_EQ(line_b, line_a + 2);

	auto changes = p.diff(".text.foo");
	ASSERT_TRUE(changes);
	ASSERT_EQ(changes->size(), 1u);
	const LineChange &c = (*changes)[0];
	// The change points at `be imm32` (mov $imm32,%esi) holding each side's line.
	const elf::Section &a = *p.orig->find_section(".text.foo");
	const elf::Section &b = *p.patched->find_section(".text.foo");
	EXPECT_EQ(a.data[c.offset], 0xbe);
	EXPECT_EQ(le32_at(a, c.offset + 1), uint32_t(line_a));
	EXPECT_EQ(le32_at(b, c.offset + 1), uint32_t(line_b));
	EXPECT_EQ(c.before, fmt::format("movl ${:#x}, %esi", line_a));
	EXPECT_EQ(c.after, fmt::format("movl ${:#x}, %esi", line_b));
	EXPECT_EQ(c.callee, "__might_sleep");
}

TEST(CdoLineChanges, EveryLineTakingCallIsReported)
{
	// Two calls, a tail call (`jmp __might_sleep`), and __ext4_error, whose line is
	// its third parameter (%edx) and whose __func__ lives in .rodata.__func__.N.
	const char *body = R"(
int two(int x)
{
	might_sleep();
	x = bar(x);
	might_sleep();
	return bar(x);
}
void tail(void)
{
	might_sleep();
}
void e4(void *sb, int err)
{
	__ext4_error(sb, __func__, __LINE__, 0, err, 0, "bad %d", err);
}
)";
	TempDir dir;
	std::string orig = std::string(prelude) + body;
	std::string patched = std::string(prelude) + "\n\n\n" + body;
	Pair p = compile_pair(dir, orig, patched);
	ASSERT_TRUE(p.orig && p.patched);

	auto two = p.diff(".text.two");
	ASSERT_TRUE(two);
	ASSERT_EQ(two->size(), 2u);
	EXPECT_LT((*two)[0].offset, (*two)[1].offset);

	auto tail = p.diff(".text.tail");
	ASSERT_TRUE(tail);
	ASSERT_EQ(tail->size(), 1u);
	EXPECT_EQ((*tail)[0].callee, "__might_sleep");

	auto e4 = p.diff(".text.e4");
	ASSERT_TRUE(e4);
	ASSERT_EQ(e4->size(), 1u);
	int line = line_of(orig, "__ext4_error(sb");
	EXPECT_EQ((*e4)[0].before, fmt::format("movl ${:#x}, %edx", line));
	EXPECT_EQ((*e4)[0].after, fmt::format("movl ${:#x}, %edx", line + 3));
	EXPECT_EQ((*e4)[0].callee, "__ext4_error");
}

TEST(CdoLineChanges, RealConstantChangeIsNotLineOnly)
{
	TempDir dir;
	std::string orig = std::string(prelude) + foo_body;
	std::string patched_body = foo_body;
	patched_body.replace(patched_body.find("+ 3"), 3, "+ 4");
	// Moved lines as well: the line difference alone must not carry the function.
	std::string patched = std::string(prelude) + "\n\n" + patched_body;
	Pair p = compile_pair(dir, orig, patched);
	ASSERT_TRUE(p.orig && p.patched);
	EXPECT_FALSE(p.diff(".text.foo"));
}

TEST(CdoLineChanges, ConstantInANonLineArgumentIsNotLineOnly)
{
	// __might_resched(file, line, offsets): offsets travels in %edx, line in %esi.
	auto src = [](int offsets) {
		return std::string(prelude) + fmt::format(R"(
void r(void)
{{
	__might_resched("kernel/foo.c", 100, {});
}}
)",
							 offsets);
	};
	TempDir dir;
	Pair p = compile_pair(dir, src(1), src(2));
	ASSERT_TRUE(p.orig && p.patched);
	EXPECT_FALSE(p.diff(".text.r"));
}

TEST(CdoLineChanges, LineToAFunctionOffTheAllowListIsNotLineOnly)
{
	const char *body = R"(
void logs(void)
{
	my_log("kernel/foo.c", __LINE__);
}
)";
	TempDir dir;
	Pair p = compile_pair(dir, std::string(prelude) + body, std::string(prelude) + "\n" + body);
	ASSERT_TRUE(p.orig && p.patched);
	EXPECT_FALSE(p.diff(".text.logs"));
}

TEST(CdoLineChanges, ChangedRelocationTargetIsNotLineOnly)
{
	// Same bytes, the call goes to baz instead of bar.
	TempDir dir;
	std::string orig = std::string(prelude) + foo_body;
	std::string patched_body = foo_body;
	patched_body.replace(patched_body.find("bar(x)"), 3, "baz");
	Pair p = compile_pair(dir, orig, std::string(prelude) + patched_body);
	ASSERT_TRUE(p.orig && p.patched);
	ASSERT_EQ(p.orig->find_section(".text.foo")->data,
		  p.patched->find_section(".text.foo")->data);
	EXPECT_FALSE(p.diff(".text.foo"));
}

TEST(CdoLineChanges, CallerRuleDecidesRelocationTargets)
{
	TempDir dir;
	std::string orig = std::string(prelude) + foo_body;
	std::string patched_body = foo_body;
	patched_body.replace(patched_body.find("bar(x)"), 3, "baz");
	Pair p = compile_pair(dir, orig, std::string(prelude) + "\n" + patched_body);
	ASSERT_TRUE(p.orig && p.patched);
	const elf::Section &a = *p.orig->find_section(".text.foo");
	const elf::Section &b = *p.patched->find_section(".text.foo");
	auto anything = [](const elf::Relocation &, const elf::Relocation &) { return true; };
	auto nothing = [](const elf::Relocation &, const elf::Relocation &) { return false; };
	EXPECT_FALSE(line_only_changes(*p.orig, a, *p.patched, b));
	auto lenient = line_only_changes(*p.orig, a, *p.patched, b, anything);
	ASSERT_TRUE(lenient);
	EXPECT_EQ(lenient->size(), 1u);
	EXPECT_FALSE(line_only_changes(*p.orig, a, *p.patched, b, nothing));
}

TEST(CdoLineChanges, ChangedStringIsNotLineOnly)
{
	TempDir dir;
	std::string orig = std::string(prelude) + foo_body;
	std::string patched = orig;
	patched.replace(patched.find("kernel/foo.c"), 12, "kernel/bar.c");
	Pair p = compile_pair(dir, orig, patched);
	ASSERT_TRUE(p.orig && p.patched);
	EXPECT_FALSE(p.diff(".text.foo"));
}

TEST(CdoLineChanges, WarnPrintkLineNeedsTheTrapsLine)
{
	// ASSERT_RTNL(): __warn_printk("... %s (%d)\n", __FILE__, __LINE__), then ud2.
	const char *body = R"(
extern void __warn_printk(const char *fmt, ...);
extern int rtnl_is_locked(void);
void list_netdevice(int *reg_state)
{
	if (!rtnl_is_locked()) {
		__warn_printk("RTNL: assertion failed at %s (%d)\n", "net/core/dev.c", __LINE__);
		asm volatile("ud2");
	}
	*reg_state = 1;
}
)";
	TempDir dir;
	std::string orig = std::string(prelude) + body;
	std::string patched = std::string(prelude) + "\n" + body;
	Pair p = compile_pair(dir, orig, patched);
	ASSERT_TRUE(p.orig && p.patched);
	const elf::Section &a = *p.orig->find_section(".text.list_netdevice");
	const elf::Section &b = *p.patched->find_section(".text.list_netdevice");
	unsigned line_a = unsigned(line_of(orig, "__warn_printk(\"RTNL"));
	// What the __bug_table entry of each side's ud2 would record.
	auto entries = [&](unsigned for_a, unsigned for_b) {
		return [&a, for_a, for_b](const elf::Section &sec, uint64_t) {
			return std::optional<unsigned>(&sec == &a ? for_a : for_b);
		};
	};
	auto none = [](const elf::Section &, uint64_t) { return std::optional<unsigned>(); };

	EXPECT_FALSE(line_only_changes(*p.orig, a, *p.patched, b));
	EXPECT_FALSE(line_only_changes(*p.orig, a, *p.patched, b, {}, none));
	auto checked = line_only_changes(*p.orig, a, *p.patched, b, {}, entries(line_a, line_a + 1));
	ASSERT_TRUE(checked);
	ASSERT_EQ(checked->size(), 1u);
	EXPECT_EQ((*checked)[0].callee, "__warn_printk");
	EXPECT_EQ((*checked)[0].before, fmt::format("movl ${:#x}, %edx", line_a));
	// An entry that disagrees on either side: the immediate is not that line.
	EXPECT_FALSE(line_only_changes(*p.orig, a, *p.patched, b, {}, entries(line_a, line_a)));
	EXPECT_FALSE(
		line_only_changes(*p.orig, a, *p.patched, b, {}, entries(line_a + 1, line_a + 1)));
}

// Cases GCC does not produce on demand, written in assembly: a function `f` that
// passes a line in a register to a call, with the code between them varying.
namespace {

std::string asm_function(const std::string &body, const std::string &rodata = "")
{
	return fmt::format(R"(
void __might_sleep(void);
asm(
"	.section .rodata.str1.1,\"aMS\",@progbits,1\n"
"{}"
"	.section .text.f,\"ax\",@progbits\n"
"	.globl f\n"
"	.type f, @function\n"
"f:\n"
"{}"
"	ret\n"
"	.size f, .-f\n"
"	.section .text.local_helper,\"ax\",@progbits\n"
"	.globl __might_resched\n"
"__might_resched:\n"
"	ret\n"
);
)",
			   rodata.empty() ? std::string(".Lfile: .string \\\"kernel/foo.c\\\"\\n")
					  : rodata,
			   body);
}

std::optional<std::vector<LineChange>> asm_diff(const std::string &orig_body,
						const std::string &patched_body,
						const std::string &orig_rodata = "",
						const std::string &patched_rodata = "")
{
	TempDir dir;
	Pair p = compile_pair(dir, asm_function(orig_body, orig_rodata),
			      asm_function(patched_body, patched_rodata));
	if (!p.orig || !p.patched)
		return std::nullopt;
	return p.diff(".text.f");
}

std::string call_with_line(int line, const std::string &between = "",
			   const std::string &reg = "%esi", const std::string &callee = "__might_sleep")
{
	return fmt::format("	movl ${}, {}\\n"
			   "	movq $.Lfile, %rdi\\n"
			   "{}"
			   "	call {}\\n",
			   line, reg, between, callee);
}

} // namespace

TEST(CdoLineChanges, AssemblyBaselineIsLineOnly)
{
	// The control case for the ones below: it must pass, or they prove nothing.
	auto changes = asm_diff(call_with_line(100), call_with_line(102));
	ASSERT_TRUE(changes);
	ASSERT_EQ(changes->size(), 1u);
	EXPECT_EQ((*changes)[0].before, "movl $0x64, %esi");
	EXPECT_EQ((*changes)[0].after, "movl $0x66, %esi");
}

TEST(CdoLineChanges, LineRegisterReadBeforeTheCallIsNotLineOnly)
{
	// `mov %esi,%ebx` keeps the value past the call: it is not only a line any more.
	EXPECT_FALSE(asm_diff(call_with_line(100, "	movl %esi, %ebx\\n"),
			      call_with_line(102, "	movl %esi, %ebx\\n")));
	// An implicit read: rep movsb reads %rsi.
	EXPECT_FALSE(asm_diff(call_with_line(100, "	rep movsb\\n"),
			      call_with_line(102, "	rep movsb\\n")));
}

TEST(CdoLineChanges, BranchBeforeTheCallIsNotLineOnly)
{
	EXPECT_FALSE(asm_diff(call_with_line(100, "	je 1f\\n1:\\n"),
			      call_with_line(102, "	je 1f\\n1:\\n")));
}

TEST(CdoLineChanges, LineInTheWrongRegisterIsNotLineOnly)
{
	// __might_sleep's line is its second parameter (%esi), not its third (%edx).
	EXPECT_FALSE(asm_diff(call_with_line(100, "", "%edx"), call_with_line(102, "", "%edx")));
}

TEST(CdoLineChanges, CallToAFunctionDefinedInTheSameObjectIsNotLineOnly)
{
	// -fipa-ra may let the caller reuse %esi after a call into its own object.
	auto orig = call_with_line(100, "", "%esi", "__might_resched");
	auto patched = call_with_line(102, "", "%esi", "__might_resched");
	EXPECT_FALSE(asm_diff(orig, patched));
}

TEST(CdoLineChanges, MovedFileStringWithEqualContentIsLineOnly)
{
	// The patch added a string in front of __FILE__ in .rodata.str1.1: the
	// relocation's addend differs, the string it points to does not.
	std::string orig_rodata = ".Lfile: .string \\\"kernel/foo.c\\\"\\n";
	std::string patched_rodata = ".Lnew: .string \\\"new\\\"\\n" + orig_rodata;
	auto changes = asm_diff(call_with_line(100), call_with_line(102), orig_rodata,
				patched_rodata);
	ASSERT_TRUE(changes);
	EXPECT_EQ(changes->size(), 1u);
	// The same move with a different string is a real change.
	std::string other_rodata = ".Lfile: .string \\\"kernel/bar.c\\\"\\n";
	EXPECT_FALSE(asm_diff(call_with_line(100), call_with_line(102), orig_rodata,
			      other_rodata));
}
