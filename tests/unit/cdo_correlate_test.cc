// create-diff-object correlate (correlate.cc): which symbol and section of the
// patched object is which of the original. Globals by name; locals by name without
// compiler suffixes; static locals of one name through the functions using them;
// clones by full name, then by identical bytes; special statics never.
#include "cdo_test_util.h"

using namespace klp;
using namespace klp::test;

namespace {

const char *counters_orig = R"(
extern void report(const char *what, unsigned int n);
void rx(void) { static unsigned int count; if (++count % 100 == 0) report("rx", count); }
void tx(void) { static unsigned int count; if (++count % 100 == 0) report("tx", count); }
void seen(void) { static unsigned int hits; if (++hits % 7 == 0) report("seen", hits); }
)";

// tx changes; late() is appended with a third `count`, which renumbers the others
// (gcc 12: rx count.2 -> count.3, tx count.1 -> count.2, late count.0) and hits.0
// -> hits.1.
const char *counters_patched = R"(
extern void report(const char *what, unsigned int n);
void rx(void) { static unsigned int count; if (++count % 100 == 0) report("rx", count); }
void tx(void) { static unsigned int count; if (++count % 1000 == 0) report("tx", count); }
void seen(void) { static unsigned int hits; if (++hits % 7 == 0) report("seen", hits); }
void late(void) { static unsigned int count; if (++count % 10 == 0) report("late", count); }
)";

} // namespace

TEST(CdoCorrelate, LocalsMatchWithoutTheirNumericSuffix)
{
	auto run = run_cdo({counters_orig, counters_patched}, Through::Correlate);
	ASSERT_TRUE(run);
	elf::Symbol *p = target_named(run->patched(), "seen", "hits");
	elf::Symbol *o = target_named(run->orig(), "seen", "hits");
	ASSERT_TRUE(p && o);
	// The case is void unless the compiler renumbered it.
	ASSERT_NE(p->name, o->name);
	EXPECT_EQ(p->twin, o) << p->name << " -> " << name_of(p->twin);
	EXPECT_EQ(o->twin, p);
	// Its section goes with it.
	ASSERT_TRUE(p->sec && o->sec);
	EXPECT_EQ(p->sec->twin, o->sec);
}

TEST(CdoCorrelate, StaticLocalsOfOneNameMatchThroughTheirFunctions)
{
	auto run = run_cdo({counters_orig, counters_patched}, Through::Correlate);
	ASSERT_TRUE(run);
	elf::Symbol *p_rx = target_named(run->patched(), "rx", "count");
	elf::Symbol *p_tx = target_named(run->patched(), "tx", "count");
	elf::Symbol *p_late = target_named(run->patched(), "late", "count");
	elf::Symbol *o_rx = target_named(run->orig(), "rx", "count");
	elf::Symbol *o_tx = target_named(run->orig(), "tx", "count");
	ASSERT_TRUE(p_rx && p_tx && p_late && o_rx && o_tx);
	// Matching by full name would pair patched tx's counter with original rx's.
	ASSERT_EQ(p_tx->name, o_rx->name);

	EXPECT_EQ(name_of(p_rx->twin), o_rx->name);
	EXPECT_EQ(p_rx->twin, o_rx);
	EXPECT_EQ(p_tx->twin, o_tx);
	EXPECT_EQ(o_tx->twin, p_tx);
	EXPECT_EQ(p_late->twin, nullptr) << "late's counter is new, not " << name_of(p_late->twin);
}

TEST(CdoCorrelate, GlobalsByNameAndNewFunctionsUnmatched)
{
	auto run = run_cdo({counters_orig, counters_patched}, Through::Correlate);
	ASSERT_TRUE(run);
	for (const char *name : {"rx", "tx", "seen", "report"}) {
		elf::Symbol *p = run->psym(name);
		ASSERT_TRUE(p) << name;
		EXPECT_EQ(p->twin, run->osym(name)) << name;
	}
	EXPECT_EQ(run->psym("late")->twin, nullptr);
	EXPECT_EQ(run->psym("late")->sec->twin, nullptr);
	// Function sections, their relocation sections and section symbols pair up.
	elf::Section *ptx = run->psym("tx")->sec, *otx = run->osym("tx")->sec;
	EXPECT_EQ(ptx->twin, otx);
	EXPECT_EQ(ptx->rela->twin, otx->rela);
	ASSERT_TRUE(ptx->secsym && otx->secsym);
	EXPECT_EQ(ptx->secsym->twin, otx->secsym);
	// A section without a symbol (tx's string literals) by name.
	elf::Section *pstr = run->patched().find_section(".rodata.tx.str1.1");
	ASSERT_TRUE(pstr);
	EXPECT_EQ(pstr->twin, run->orig().find_section(".rodata.tx.str1.1"));
}

namespace {

// -fipa-cp-clone specialises mix() per constant: mix.constprop.0 (k = 5) and
// mix.constprop.1 (k = 3); the patch adds callers with k = 7, a third clone.
const char *mix_orig = R"(
extern void sink(int);
static __attribute__((noinline)) void mix(int *v, int n, int k)
{
	for (int i = 0; i < n; i++) {
		v[i] = v[i] * k + (v[i] >> k);
		if (v[i] > k * 1000) sink(v[i] / k);
	}
}
void mix3(int *v) { mix(v, 16, 3); }
void mix3b(int *v) { mix(v, 16, 3); }
void mix5(int *v) { mix(v, 32, 5); }
void mix5b(int *v) { mix(v, 32, 5); }
)";

const char *mix_patched = R"(
extern void sink(int);
static __attribute__((noinline)) void mix(int *v, int n, int k)
{
	for (int i = 0; i < n; i++) {
		v[i] = v[i] * k + (v[i] >> k);
		if (v[i] > k * 1000) sink(v[i] / k);
	}
}
void mix7(int *v) { mix(v, 8, 7); }
void mix7b(int *v) { mix(v, 8, 7); }
void mix3(int *v) { mix(v, 16, 3); }
void mix3b(int *v) { mix(v, 16, 3); }
void mix5(int *v) { mix(v, 32, 5); }
void mix5b(int *v) { mix(v, 32, 5); }
)";

} // namespace

TEST(CdoCorrelate, ClonesMatchByFullName)
{
	auto run = run_cdo({mix_orig, mix_patched, "-fipa-cp-clone"}, Through::Correlate);
	ASSERT_TRUE(run);
	for (const char *caller : {"mix3", "mix5"}) {
		elf::Symbol *p = target_named(run->patched(), caller, "mix.constprop");
		elf::Symbol *o = target_named(run->orig(), caller, "mix.constprop");
		ASSERT_TRUE(p && o) << caller;
		EXPECT_EQ(p->twin, o) << caller << ": " << p->name << " -> " << name_of(p->twin);
	}
	elf::Symbol *p7 = target_named(run->patched(), "mix7", "mix.constprop");
	ASSERT_TRUE(p7);
	EXPECT_EQ(p7->twin, nullptr) << p7->name << " -> " << name_of(p7->twin);
}

// Clones whose numbers all changed: with no name in common, identical bytes pick
// the twin when that is unique. The renumbering is made in the model: gcc keeps the
// numbers of an unchanged caller set.
TEST(CdoCorrelate, RenumberedClonesMatchByIdenticalBytes)
{
	auto run = run_cdo({mix_orig, mix_orig, "-fipa-cp-clone"}, Through::Rebase);
	ASSERT_TRUE(run);
	elf::Symbol *p3 = target_named(run->patched(), "mix3", "mix.constprop");
	elf::Symbol *p5 = target_named(run->patched(), "mix5", "mix.constprop");
	elf::Symbol *o3 = target_named(run->orig(), "mix3", "mix.constprop");
	elf::Symbol *o5 = target_named(run->orig(), "mix5", "mix.constprop");
	ASSERT_TRUE(p3 && p5 && o3 && o5);
	ASSERT_NE(p3, p5);
	// Swap-renumber: the k=3 clone gets the k=5 clone's former number + 10, etc.
	p3->name = "mix.constprop.17";
	p5->name = "mix.constprop.12";
	run->patched().reindex();
	cdo::correlate(run->ctx);
	EXPECT_EQ(p3->twin, o3) << name_of(p3->twin);
	EXPECT_EQ(p5->twin, o5) << name_of(p5->twin);
}

TEST(CdoCorrelate, SpecialStaticsGetNoTwin)
{
	const char *src = R"(
extern int printk(const char *fmt, ...);
void warn_once(int v)
{
	static _Bool __already_done;
	if (v && !__already_done) {
		__already_done = 1;
		printk("%s: %d\n", __func__, v);
	}
}
int pick(int x)
{
	switch (x) {
	case 0: return 17; case 1: return 4; case 2: return 99; case 3: return 12;
	case 4: return 5; case 5: return 61; case 6: return 8; default: return 0;
	}
}
)";
	auto run = run_cdo({src, src}, Through::Correlate);
	ASSERT_TRUE(run);
	int specials = 0;
	for (elf::Object *obj : {&run->orig(), &run->patched()}) {
		for (auto &sym : obj->symbols) {
			if (!cdo::is_special_static(sym->name))
				continue;
			specials++;
			EXPECT_EQ(sym->twin, nullptr) << sym->name << " -> " << name_of(sym->twin);
			if (sym->sec && sym->sec->primary_symbol() == sym.get()) {
				EXPECT_EQ(sym->sec->twin, nullptr) << sym->sec->name;
			}
		}
	}
	// __already_done, __func__ and the CSWTCH table of pick(), in both objects.
	EXPECT_EQ(specials, 6);
	// Their users are correlated all the same.
	EXPECT_EQ(run->psym("warn_once")->twin, run->osym("warn_once"));
	EXPECT_EQ(run->psym("pick")->twin, run->osym("pick"));
}
