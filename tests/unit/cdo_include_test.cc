// create-diff-object include_changes (include.cc): changed and new functions go in
// with their .cold parts, then, transitively, what only the patch can provide: new
// functions and data, fresh copies of special statics, string literals. What the
// running kernel already has (an unchanged callee, existing data) stays out.
#include "cdo_test_util.h"

#include <algorithm>

using namespace klp;
using namespace klp::test;

namespace {

std::set<std::string> included_sections(const CdoRun &run)
{
	std::set<std::string> out;
	for (const elf::Section *sec : run.ctx.include_order)
		out.insert(sec->name);
	return out;
}

std::string show(const std::set<std::string> &s)
{
	std::string out;
	for (const auto &x : s)
		out += " " + x;
	return out;
}

const cdo::Inclusion *why(const CdoRun &run, const std::string &symbol)
{
	for (const auto &i : run.ctx.decisions.included)
		if (i.symbol == symbol)
			return &i;
	return nullptr;
}

const char *closure_orig = R"(
#define noinline __attribute__((noinline))
extern int printk(const char *fmt, ...);
static int total;
static noinline int unchanged_callee(int x) { return x * 7 + total; }
int fixed(int x)
{
	total += x;
	return unchanged_callee(x);
}
int bystander(int x) { return x - 1; }
)";

// fixed() now calls a new function, which calls another new one, counts in new
// data and prints a literal; the unchanged callee and the existing counter stay.
const char *closure_patched = R"(
#define noinline __attribute__((noinline))
extern int printk(const char *fmt, ...);
static int total;
static int rejected;
static noinline int unchanged_callee(int x) { return x * 7 + total; }
static noinline int deeper(int x) { rejected++; return x ^ 0x55; }
static noinline int validate(int x) { return x < 0 ? deeper(x) : x; }
int fixed(int x)
{
	if (validate(x) != x) {
		printk("fixed: rejected %d\n", x);
		return -22;
	}
	total += x;
	return unchanged_callee(x);
}
int bystander(int x) { return x - 1; }
)";

} // namespace

TEST(CdoInclude, ClosureOfAChangedFunction)
{
	auto run = run_cdo({closure_orig, closure_patched}, Through::Include);
	ASSERT_TRUE(run);
	auto secs = included_sections(*run);
	for (const char *want : {".text.fixed", ".text.validate", ".text.deeper", ".bss.rejected"})
		EXPECT_TRUE(secs.count(want)) << want << " not in" << show(secs);
	for (const char *not_want : {".text.unchanged_callee", ".text.bystander", ".bss.total"})
		EXPECT_FALSE(secs.count(not_want)) << not_want << " in" << show(secs);
	// The literal travels with the patch.
	EXPECT_TRUE(std::any_of(secs.begin(), secs.end(), [](const std::string &s) {
		return s.rfind(".rodata", 0) == 0 && s.find(".str") != std::string::npos;
	})) << show(secs);

	// Only the changed function replaces an original.
	ASSERT_EQ(run->ctx.patched_functions.size(), 1u);
	EXPECT_EQ(run->ctx.patched_functions[0]->name, "fixed");

	// New data found through the closure is reported as new.
	const cdo::DataDecision *rejected = run->ctx.decisions.find_object("rejected");
	ASSERT_NE(rejected, nullptr);
	EXPECT_EQ(rejected->status, cdo::Status::New);

	// The report says why.
	const cdo::Inclusion *deeper = why(*run, "deeper");
	ASSERT_TRUE(deeper);
	EXPECT_EQ(deeper->section, ".text.deeper");
	EXPECT_NE(deeper->why.find("new"), std::string::npos) << deeper->why;
	const cdo::Inclusion *fixed = why(*run, "fixed");
	ASSERT_TRUE(fixed);
	EXPECT_EQ(fixed->why.rfind("changed", 0), 0u) << fixed->why;
	EXPECT_EQ(why(*run, "unchanged_callee"), nullptr);
}

TEST(CdoInclude, NothingForAnUnchangedFile)
{
	auto run = run_cdo({closure_orig, closure_orig}, Through::Include);
	ASSERT_TRUE(run);
	EXPECT_TRUE(run->ctx.include_order.empty()) << show(included_sections(*run));
	EXPECT_TRUE(run->ctx.patched_functions.empty());
}

TEST(CdoInclude, ColdPartGoesWithItsParent)
{
	const char *tmpl = R"(
extern void report_bad(const char *what, int v) __attribute__((cold));
extern void queue_word(int v);
int scan(const int *v, int n)
{
	int i, sum = 0;
	for (i = 0; i < n; i++) {
		if (__builtin_expect(v[i] < 0, 0)) {
			report_bad("negative", v[i]);
			return -22;
		}
		sum += v[i] * STEP;
	}
	return sum;
}
int other(const int *v, int n)
{
	if (__builtin_expect(n < 0, 0)) {
		report_bad("count", n);
		return -22;
	}
	queue_word(v[0]);
	return 0;
}
)";
	auto run = run_cdo({std::string("#define STEP 3\n") + tmpl,
			    std::string("#define STEP 5\n") + tmpl},
			   Through::Include);
	ASSERT_TRUE(run);
	elf::Symbol *cold = run->psym("scan.cold");
	ASSERT_TRUE(cold) << "gcc did not split scan.cold";
	ASSERT_EQ(fn(*run, "scan.cold").status, cdo::Status::Unchanged);
	auto secs = included_sections(*run);
	EXPECT_TRUE(secs.count(".text.scan")) << show(secs);
	EXPECT_TRUE(secs.count(cold->sec->name)) << show(secs);
	const cdo::Inclusion *w = why(*run, "scan.cold");
	ASSERT_TRUE(w);
	EXPECT_EQ(w->why, "cold part of scan");
	// other()'s cold part stays out, and the cold part is no klp_func of its own.
	if (elf::Symbol *other_cold = run->psym("other.cold")) {
		EXPECT_FALSE(secs.count(other_cold->sec->name)) << show(secs);
	}
	ASSERT_EQ(run->ctx.patched_functions.size(), 1u);
	EXPECT_EQ(run->ctx.patched_functions[0]->name, "scan");
}

TEST(CdoInclude, SpecialStaticGetsAFreshCopy)
{
	const char *tmpl = R"(
extern int printk(const char *fmt, ...);
void warn_once(int v)
{
	static _Bool __already_done;
	if (v > LIMIT && !__already_done) {
		__already_done = 1;
		printk("value %d\n", v);
	}
}
)";
	auto run = run_cdo({std::string("#define LIMIT 1\n") + tmpl,
			    std::string("#define LIMIT 2\n") + tmpl},
			   Through::Include);
	ASSERT_TRUE(run);
	elf::Symbol *flag = target_named(run->patched(), "warn_once", "__already_done");
	ASSERT_TRUE(flag);
	EXPECT_TRUE(run->ctx.is_included(flag->sec)) << show(included_sections(*run));
	const cdo::Inclusion *w = why(*run, flag->name);
	ASSERT_TRUE(w);
	EXPECT_NE(w->why.find("special static"), std::string::npos) << w->why;
}

TEST(CdoInclude, FunctionSharingASectionIsRefused)
{
	const char *tmpl = "int first(int x) { return x + DELTA; }\n"
			   "int second(int x) { return x * 3; }\n";
	auto run = run_cdo({std::string("#define DELTA 1\n") + tmpl,
			    std::string("#define DELTA 2\n") + tmpl, "-fno-function-sections"},
			   Through::Include);
	ASSERT_TRUE(run);
	ASSERT_EQ(run->psym("first")->sec->name, ".text");
	ASSERT_EQ(run->ctx.decisions.refusals.size(), 1u);
	EXPECT_EQ(run->ctx.decisions.refusals[0].kind, "shared-section");
	EXPECT_NE(run->ctx.decisions.refusals[0].reason.find("-ffunction-sections"), std::string::npos);
	EXPECT_EQ(run->ctx.decisions.refusals[0].symbol, "first");
	EXPECT_FALSE(run->ctx.is_included(run->psym("first")->sec));
}
