// lib/ksym: per-cpu symbols of a kallsyms dump. x86_64 lists every per-cpu symbol
// of vmlinux as `A` (scripts/kallsyms makes them absolute) and a module's as `a`,
// whatever their binding: a static per-cpu must resolve like any other local.
#include "ksym/sympos.h"
#include "test_util.h"

using namespace klp;
using namespace klp::ksym;

namespace {

SymbolTable kallsyms(const std::string &text)
{
	SymbolTable table;
	auto r = table.add_kallsyms_text(text, "kallsyms.txt");
	EXPECT_TRUE(r) << r.error().message();
	return table;
}

TuSymbol percpu(std::string name, uint8_t bind)
{
	return {std::move(name), ".data..percpu", bind};
}

TuSymbol bss(std::string name)
{
	return {std::move(name), ".bss." + name, STB_LOCAL};
}

// The head of Debian 6.1's dump: per-cpu symbols first, at their offsets in the
// per-cpu area, all `A`.
const char *debian61 = "0000000000000000 A fixed_percpu_data\n"
		       "0000000000000000 A __per_cpu_start\n"
		       "0000000000020080 A cached_stacks\n"
		       "0000000000020168 A wq_rr_cpu_last\n"
		       "0000000000020b00 A timer_bases\n"
		       "0000000000030b60 A flush_works\n"
		       "ffffffff81000000 T _stext\n"
		       "ffffffff81c2a000 t flush_all_backlogs\n";

} // namespace

TEST(KsymPercpu, AbsoluteLetterLeavesBindingOpen)
{
	auto table = kallsyms(debian61);
	const KernelSymbol *s = table.find("vmlinux", "flush_works").at(0);
	EXPECT_TRUE(s->may_be_local());
	EXPECT_TRUE(s->may_be_global());
	const KernelSymbol *t = table.find("vmlinux", "flush_all_backlogs").at(0);
	EXPECT_TRUE(t->may_be_local());
	EXPECT_FALSE(t->may_be_global());
}

// net/core/dev.c: `static DEFINE_PER_CPU(struct work_struct, flush_works);` is the
// only `flush_works`: sympos 0, as for kernel/fork.c's cached_stacks,
// kernel/time/timer.c's timer_bases and kernel/workqueue.c's wq_rr_cpu_last.
TEST(KsymPercpu, UniqueStaticPerCpuIsZero)
{
	auto table = kallsyms(debian61);
	for (const char *name : {"flush_works", "cached_stacks", "timer_bases", "wq_rr_cpu_last"}) {
		TranslationUnit tu;
		tu.symbols = {percpu(name, STB_LOCAL)};
		auto r = resolve_sympos(table, "vmlinux", name, tu);
		ASSERT_TRUE(r) << name << ": " << r.error().message();
		EXPECT_EQ(r.sympos, 0u) << name;
		EXPECT_EQ(r.evidence, "unique") << name;
	}
	// An extern per-cpu (DEFINE_PER_CPU without static) is `A` as well.
	TranslationUnit tu;
	tu.symbols = {percpu("timer_bases", STB_GLOBAL)};
	auto g = resolve_sympos(table, "vmlinux", "timer_bases", tu);
	ASSERT_TRUE(g) << g.error().message();
	EXPECT_EQ(g.sympos, 0u);
}

// A module's per-cpu symbols are `a` (lower case unless exported), also the extern
// ones: `DEFINE_PER_CPU(int, hits)` not exported is a global listed as `a`.
TEST(KsymPercpu, ModulePerCpuOfEitherBinding)
{
	auto table = kallsyms("ffffffff81000000 T _stext\n"
			      "0000000000000010 a hits\t[mod]\n"
			      "0000000000000018 a misses\t[mod]\n"
			      "ffffffffc0001000 t mod_probe\t[mod]\n");
	TranslationUnit tu;
	tu.symbols = {percpu("hits", STB_GLOBAL), percpu("misses", STB_LOCAL)};
	for (const char *name : {"hits", "misses"}) {
		auto r = resolve_sympos(table, "mod", name, tu);
		ASSERT_TRUE(r) << name << ": " << r.error().message();
		EXPECT_EQ(r.sympos, 0u);
	}
}

// Two files with a static per-cpu `stats`: the neighbourhood of per-cpu symbols
// decides, as for any other duplicated local.
TEST(KsymPercpu, DuplicatedPerCpuByNeighbourhood)
{
	auto table = kallsyms("0000000000001000 A a_first\n"
			      "0000000000001008 A stats\n"
			      "0000000000001010 A a_last\n"
			      "0000000000002000 A b_first\n"
			      "0000000000002008 A stats\n"
			      "0000000000002010 A b_last\n"
			      "ffffffff81000000 T _stext\n");
	TranslationUnit b;
	b.symbols = {percpu("b_first", STB_LOCAL), percpu("stats", STB_LOCAL),
		     percpu("b_last", STB_GLOBAL)};
	auto r = resolve_sympos(table, "vmlinux", "stats", b);
	ASSERT_TRUE(r) << r.error().message();
	EXPECT_EQ(r.sympos, 2u);
	EXPECT_EQ(r.symbol->address, 0x2008u);
	EXPECT_NE(r.evidence.find("neighbourhood"), std::string::npos) << r.evidence;
}

// Debian 6.1 has two `cleanup_list`s: arch/x86/kernel/apic/vector.c's static per-cpu
// (`A`) and net/core/net_namespace.c's static LLIST_HEAD (`b`). Taking `A` for a
// global made the `b` one "the only local" for vector.c: the wrong variable,
// silently. net_namespace.c's is told apart by its neighbours.
TEST(KsymPercpu, PerCpuAndBssOfOneName)
{
	auto table = kallsyms("000000000001fdc0 A lapic_events\n"
			      "000000000001fec0 A cleanup_list\n"
			      "000000000001fec8 A ipi_mask\n"
			      "ffffffff81000000 T _stext\n"
			      "ffffffff8409dcc0 B init_net\n"
			      "ffffffff8409ee40 b cleanup_list\n"
			      "ffffffff8409ee48 b defer_free_list\n"
			      "ffffffff8409ee50 b netns_wq\n"
			      "ffffffff8409ee60 b net_secret\n");
	TranslationUnit net;
	net.symbols = {{"init_net", ".bss.init_net", STB_GLOBAL}, bss("cleanup_list"),
		       bss("defer_free_list"), bss("netns_wq")};
	auto r = resolve_sympos(table, "vmlinux", "cleanup_list", net);
	ASSERT_TRUE(r) << r.error().message();
	EXPECT_EQ(r.sympos, 2u);
	EXPECT_EQ(r.symbol->letter, 'b');

	// vector.c's is the per-cpu one: x86_64 kallsyms prints per-cpu symbols, and
	// only those, as absolute.
	TranslationUnit vector;
	vector.symbols = {percpu("cleanup_list", STB_LOCAL), bss("vector_lock")};
	auto v = resolve_sympos(table, "vmlinux", "cleanup_list", vector);
	ASSERT_TRUE(v) << v.error().message();
	EXPECT_EQ(v.sympos, 1u);
	EXPECT_EQ(v.symbol->letter, 'A');

	// And the same rule tells net_namespace.c's apart without its neighbours.
	TranslationUnit alone;
	alone.symbols = {bss("cleanup_list")};
	auto n = resolve_sympos(table, "vmlinux", "cleanup_list", alone);
	ASSERT_TRUE(n) << n.error().message();
	EXPECT_EQ(n.symbol->letter, 'b');
}
