// create-diff-object's layout check (layouts.cc): a struct or union whose layout
// the patch changes, and a global function whose prototype it changes, are found
// in both objects' DWARF. The fast reader (dwarf_dies.cc) decides alone only that
// nothing changed: each case must come out the same with it and with LLVM's reader
// alone, or the fast reader missed a change. DWARF it does not take goes to LLVM.
#include "cdo_test_util.h"

using namespace klp;
using namespace klp::test;

namespace {

// compare_layouts() on the run's objects, with the fast reader where it takes them
// or with LLVM's alone.
cdo::LayoutComparison layouts(CdoRun &run, bool fast)
{
	cdo::DebugSections o = cdo::debug_sections(run.orig(), *run.ctx.arch);
	cdo::DebugSections p = cdo::debug_sections(run.patched(), *run.ctx.arch);
	if (!fast)
		o.usable = p.usable = false;
	auto r = cdo::compare_layouts(run.ctx.opts.orig_path, o, run.ctx.opts.patched_path, p);
	EXPECT_TRUE(r) << (r ? "" : r.error().message());
	return r ? *r : cdo::LayoutComparison{};
}

std::string show(const cdo::LayoutComparison &c)
{
	std::string out = c.compared ? "compared" : "not compared";
	for (const std::string &s : c.changes)
		out += "\n  layout: " + s;
	for (const std::string &s : c.prototype_changes)
		out += "\n  prototype: " + s;
	return out;
}

// Runs the case and checks that both readers give the same comparison; returns it.
cdo::LayoutComparison both_ways(const std::string &orig, const std::string &patched,
				const std::string &cflags = "-g")
{
	auto run = run_cdo({orig, patched, cflags}, Through::Rebase);
	if (!run)
		return {};
	cdo::LayoutComparison fast = layouts(*run, true), llvm = layouts(*run, false);
	EXPECT_EQ(fast.compared, llvm.compared);
	EXPECT_EQ(fast.one_sided, llvm.one_sided);
	EXPECT_EQ(fast.changes, llvm.changes) << "fast:" << show(fast) << "\nLLVM:" << show(llvm);
	EXPECT_EQ(fast.prototype_changes, llvm.prototype_changes)
		<< "fast:" << show(fast) << "\nLLVM:" << show(llvm);
	return llvm;
}

// A struct with what type_bytes() walks: typedefs, qualifiers, pointers, arrays of
// arrays, bit-fields, a nested anonymous union, a function pointer.
const char *rich = R"(
typedef unsigned int u32;
typedef const volatile u32 cvu32;
struct inner { char c; short s; };
struct rich {
	cvu32 a;
	unsigned int flag : 3, mode : 5;
	struct inner in[2][3];
	union { long l; char bytes[12]; };
	int (*cb)(const struct rich *, ...);
	char *name;
	%s
};
int use_rich(struct rich *r) { return r->a + r->mode + r->in[1][2].s + r->cb(r); }
)";

std::string rich_with(const std::string &extra)
{
	char buf[2048];
	snprintf(buf, sizeof buf, rich, extra.c_str());
	return buf;
}

} // namespace

TEST(CdoLayouts, NothingChangedWithDwarf)
{
	auto c = both_ways(rich_with("") + "int f(int x) { return x; }\n",
			   rich_with("") + "int f(int x) { return x + 1; }\n");
	EXPECT_TRUE(c.compared);
	EXPECT_TRUE(c.changes.empty() && c.prototype_changes.empty()) << show(c);
}

TEST(CdoLayouts, NewMemberAtTheEnd)
{
	auto c = both_ways(rich_with(""), rich_with("long added;"));
	ASSERT_EQ(c.changes.size(), 1u) << show(c);
	EXPECT_NE(c.changes[0].find("struct rich"), std::string::npos) << c.changes[0];
	EXPECT_NE(c.changes[0].find("new member added"), std::string::npos) << c.changes[0];
}

TEST(CdoLayouts, BitFieldWidth)
{
	std::string o = rich_with(""), p = o;
	p.replace(p.find("mode : 5"), 8, "mode : 6");
	auto c = both_ways(o, p);
	ASSERT_EQ(c.changes.size(), 1u) << show(c);
	EXPECT_NE(c.changes[0].find("mode changed from 5 to 6 bits"), std::string::npos) << c.changes[0];
}

TEST(CdoLayouts, ArrayLength)
{
	std::string o = rich_with(""), p = o;
	p.replace(p.find("in[2][3]"), 8, "in[2][4]");
	auto c = both_ways(o, p);
	EXPECT_EQ(c.changes.size(), 1u) << show(c);
}

TEST(CdoLayouts, MemberOfANestedType)
{
	std::string o = rich_with(""), p = o;
	p.replace(p.find("short s;"), 8, "int s;");
	auto c = both_ways(o, p);
	// struct inner changes, and struct rich, which holds an array of it.
	EXPECT_EQ(c.changes.size(), 2u) << show(c);
}

TEST(CdoLayouts, AnonymousUnionGrows)
{
	std::string o = rich_with(""), p = o;
	p.replace(p.find("bytes[12]"), 9, "bytes[20]");
	auto c = both_ways(o, p);
	EXPECT_EQ(c.changes.size(), 1u) << show(c);
}

TEST(CdoLayouts, PrototypeOfAGlobalFunction)
{
	auto c = both_ways("struct s { int a; };\nint take(const struct s *p, int n) { return p->a + n; }\n",
			   "struct s { int a; };\nint take(const struct s *p, long n) { return p->a + n; }\n");
	ASSERT_EQ(c.prototype_changes.size(), 1u) << show(c);
	EXPECT_EQ(c.prototype_changes[0],
		  "take: int (struct s *, int) -> int (struct s *, long int)");
}

TEST(CdoLayouts, SameResultForDwarf4AndMacroInfo)
{
	for (const char *flags : {"-gdwarf-4", "-g3"}) {
		SCOPED_TRACE(flags);
		auto c = both_ways(rich_with(""), rich_with("long added;"), flags);
		EXPECT_EQ(c.changes.size(), 1u) << show(c);
	}
}

TEST(CdoLayouts, WhatTheFastReaderTakes)
{
	auto run = run_cdo({"int x;\n", "int x;\n", "-g"}, Through::Rebase);
	ASSERT_TRUE(run);
	cdo::DebugSections d = cdo::debug_sections(run->orig(), *run->ctx.arch);
	EXPECT_TRUE(d.present);
	EXPECT_TRUE(d.usable);
	EXPECT_FALSE(d.info.empty());

	// -g3's COMDAT .debug_macro sections, one name many times: LLVM's to read.
	run = run_cdo({"int x;\n", "int x;\n", "-g3"}, Through::Rebase);
	ASSERT_TRUE(run);
	d = cdo::debug_sections(run->orig(), *run->ctx.arch);
	EXPECT_TRUE(d.present);
	EXPECT_FALSE(d.usable);

	run = run_cdo({"int x;\n", "int x;\n"}, Through::Rebase);
	ASSERT_TRUE(run);
	EXPECT_FALSE(cdo::debug_sections(run->orig(), *run->ctx.arch).present);
}
