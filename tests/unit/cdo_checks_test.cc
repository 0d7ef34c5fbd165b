// create-diff-object check_refusals (checks.cc): what a livepatch cannot do safely
// is refused with its kind, the symbol and section, and a reason: changed data,
// changed init code, functions without an ftrace hook, a symbol that moved to
// another section family, changed and new COMDAT groups. Moves within .text are
// not refused; changed exit code is ignored with a warning.
#include "cdo_test_util.h"

using namespace klp;
using namespace klp::test;

namespace {

std::string show(const std::vector<cdo::Refusal> &refusals)
{
	std::string out;
	for (const auto &r : refusals)
		out += "\n  " + r.kind + " " + r.symbol + " [" + r.section + "] " + r.reason;
	return out.empty() ? " (none)" : out;
}

// The refusals of one kind.
std::vector<cdo::Refusal> of_kind(const CdoRun &run, const std::string &kind)
{
	std::vector<cdo::Refusal> out;
	for (const auto &r : run.ctx.decisions.refusals)
		if (r.kind == kind)
			out.push_back(r);
	return out;
}

std::unique_ptr<CdoRun> checked(const std::string &orig, const std::string &patched,
				const std::string &cflags = "")
{
	return run_cdo({orig, patched, cflags}, Through::Checks);
}

} // namespace

TEST(CdoChecks, NothingRefusedForAPlainFix)
{
	auto run = checked("int over(int x) { return x > 10; }\n",
			   "int over(int x) { return x >= 10; }\n");
	ASSERT_TRUE(run);
	EXPECT_TRUE(run->ctx.decisions.refusals.empty()) << show(run->ctx.decisions.refusals);
}

TEST(CdoChecks, ChangedDataBytes)
{
	auto run = checked("int limit = 5;\nint get(void) { return limit; }\n",
			   "int limit = 6;\nint get(void) { return limit; }\n");
	ASSERT_TRUE(run);
	auto r = of_kind(*run, "changed-data");
	ASSERT_EQ(r.size(), 1u) << show(run->ctx.decisions.refusals);
	EXPECT_EQ(r[0].symbol, "limit");
	EXPECT_EQ(r[0].section, ".data.limit");
	EXPECT_NE(r[0].reason.find("bytes differ"), std::string::npos) << r[0].reason;
	EXPECT_EQ(run->ctx.decisions.refusals.size(), 1u) << show(run->ctx.decisions.refusals);
}

TEST(CdoChecks, ChangedDataSize)
{
	auto run = checked("int sizes[3] = {1, 2, 3};\n", "int sizes[4] = {1, 2, 3, 4};\n");
	ASSERT_TRUE(run);
	auto r = of_kind(*run, "changed-data");
	ASSERT_EQ(r.size(), 1u) << show(run->ctx.decisions.refusals);
	EXPECT_EQ(r[0].symbol, "sizes");
	EXPECT_NE(r[0].reason.find("size 12 -> 16"), std::string::npos) << r[0].reason;
}

TEST(CdoChecks, ChangedInitCode)
{
	const char *tmpl = "__attribute__((section(\".init.text\"), noinline)) int setup_quirk(int x)"
			   " { return x + DELTA; }\n";
	auto run = checked(std::string("#define DELTA 1\n") + tmpl,
			   std::string("#define DELTA 2\n") + tmpl);
	ASSERT_TRUE(run);
	auto r = of_kind(*run, "changed-init");
	ASSERT_EQ(r.size(), 1u) << show(run->ctx.decisions.refusals);
	EXPECT_EQ(r[0].symbol, "setup_quirk");
	EXPECT_EQ(r[0].section, ".init.text");
	EXPECT_EQ(run->ctx.decisions.refusals.size(), 1u) << show(run->ctx.decisions.refusals);
}

TEST(CdoChecks, ChangedExitCodeIsIgnoredWithAWarning)
{
	const char *tmpl = "__attribute__((section(\".exit.text\"), noinline)) int teardown(int x)"
			   " { return x + DELTA; }\n";
	auto run = checked(std::string("#define DELTA 1\n") + tmpl,
			   std::string("#define DELTA 2\n") + tmpl);
	ASSERT_TRUE(run);
	EXPECT_TRUE(run->ctx.decisions.refusals.empty()) << show(run->ctx.decisions.refusals);
	EXPECT_EQ(fn(*run, "teardown").status, cdo::Status::Ignored);
	EXPECT_TRUE(fn(*run, "teardown").reasons.count("exit-section"));
	ASSERT_EQ(run->ctx.decisions.warnings.size(), 1u);
	EXPECT_NE(run->ctx.decisions.warnings[0].find("teardown"), std::string::npos);
}

TEST(CdoChecks, ChangedFunctionWithoutFentry)
{
	const char *tmpl = "__attribute__((no_instrument_function)) int raw_check(int x)"
			   " { return x > LIMIT; }\nint traced(int x) { return x < LIMIT; }\n";
	auto run = checked(std::string("#define LIMIT 10\n") + tmpl,
			   std::string("#define LIMIT 11\n") + tmpl);
	ASSERT_TRUE(run);
	auto r = of_kind(*run, "no-fentry");
	ASSERT_EQ(r.size(), 1u) << show(run->ctx.decisions.refusals);
	EXPECT_EQ(r[0].symbol, "raw_check");
	EXPECT_EQ(r[0].section, ".text.raw_check");
	// traced() changed too, and has its `call __fentry__`.
	EXPECT_EQ(run->ctx.decisions.refusals.size(), 1u) << show(run->ctx.decisions.refusals);
}

TEST(CdoChecks, NewFunctionWithoutFentryIsNotRefused)
{
	// A new function is called by the patch, never patched through ftrace.
	auto run = checked("int a(int x) { return x; }\n",
			   "int a(int x) { return x; }\n"
			   "__attribute__((no_instrument_function)) int b(int x) { return x * 2; }\n");
	ASSERT_TRUE(run);
	EXPECT_TRUE(of_kind(*run, "no-fentry").empty()) << show(run->ctx.decisions.refusals);
}

TEST(CdoChecks, FunctionMovedToAnotherSectionFamily)
{
	// `__sched`: the code is equal, the function moved into .sched.text.
	auto run = checked("extern void yield(void);\nvoid wait_idle(void) { yield(); }\n",
			   "extern void yield(void);\n__attribute__((section(\".sched.text\")))"
			   " void wait_idle(void) { yield(); }\n");
	ASSERT_TRUE(run);
	auto r = of_kind(*run, "moved-section");
	ASSERT_EQ(r.size(), 1u) << show(run->ctx.decisions.refusals);
	EXPECT_EQ(r[0].symbol, "wait_idle");
	EXPECT_EQ(r[0].section, ".sched.text");
	EXPECT_NE(r[0].reason.find(".text.wait_idle"), std::string::npos) << r[0].reason;
}

TEST(CdoChecks, MoveIntoTextUnlikelyIsNotRefused)
{
	auto run = checked("extern void note(int);\nvoid slow_path(int x) { note(x); note(x + 1); }\n",
			   "extern void note(int);\n__attribute__((cold)) void slow_path(int x)"
			   " { note(x); note(x + 2); }\n");
	ASSERT_TRUE(run);
	ASSERT_EQ(run->psym("slow_path")->sec->name, ".text.unlikely.slow_path");
	EXPECT_TRUE(run->ctx.decisions.refusals.empty()) << show(run->ctx.decisions.refusals);
	EXPECT_EQ(fn(*run, "slow_path").status, cdo::Status::Changed);
}

namespace {

// A helper in its own COMDAT group, the way inline asm in arch code emits one.
std::string comdat_source(const std::string &fold)
{
	return R"(
asm(".section .text.csum_fold_comdat,\"axG\",@progbits,csum_fold_comdat,comdat\n"
    ".globl csum_fold_comdat\n"
    ".type csum_fold_comdat, @function\n"
    "csum_fold_comdat:\n"
    "1:\tcall __fentry__\n"
    "\tmovl %edi, %eax\n"
    "\tshrl $16, %eax\n"
    "\t)" + fold + R"(\n"
    "\tnotl %eax\n"
    "\tret\n"
    ".size csum_fold_comdat, .-csum_fold_comdat\n"
    ".previous");
extern unsigned int csum_fold_comdat(unsigned int sum);
unsigned int ip_hdr_csum(unsigned int partial) { return csum_fold_comdat(partial); }
)";
}

} // namespace

TEST(CdoChecks, ChangedComdatGroup)
{
	auto run = checked(comdat_source("addw %di, %ax"), comdat_source("addl %edi, %eax"));
	ASSERT_TRUE(run);
	auto r = of_kind(*run, "changed-group");
	ASSERT_EQ(r.size(), 1u) << show(run->ctx.decisions.refusals);
	EXPECT_EQ(r[0].symbol, "csum_fold_comdat");
	EXPECT_NE(r[0].reason.find("csum_fold_comdat"), std::string::npos) << r[0].reason;
	EXPECT_TRUE(of_kind(*run, "new-group").empty());
}

TEST(CdoChecks, UnchangedComdatGroupIsNotRefused)
{
	auto run = checked(comdat_source("addw %di, %ax"), comdat_source("addw %di, %ax"));
	ASSERT_TRUE(run);
	EXPECT_TRUE(run->ctx.decisions.refusals.empty()) << show(run->ctx.decisions.refusals);
}

TEST(CdoChecks, NewComdatGroup)
{
	// -mindirect-branch=thunk: an indirect call brings __x86_indirect_thunk_<reg>
	// in a COMDAT group of its own.
	const char *orig = "struct dev { unsigned long n; int (*check)(unsigned long); };\n"
			   "int dev_ok(const struct dev *d, unsigned long s)"
			   " { return s >= d->n ? -5 : 0; }\n";
	const char *patched = "struct dev { unsigned long n; int (*check)(unsigned long); };\n"
			      "int dev_ok(const struct dev *d, unsigned long s)"
			      " { if (s >= d->n) return -5; return d->check ? d->check(s) : 0; }\n";
	auto run = checked(orig, patched, "-mindirect-branch=thunk");
	ASSERT_TRUE(run);
	auto r = of_kind(*run, "new-group");
	ASSERT_EQ(r.size(), 1u) << show(run->ctx.decisions.refusals);
	EXPECT_EQ(r[0].symbol.rfind("__x86_indirect_thunk_", 0), 0u) << r[0].symbol;
	EXPECT_TRUE(of_kind(*run, "changed-group").empty());
}
