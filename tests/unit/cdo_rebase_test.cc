// create-diff-object rebase_section_relocations (prepare.cc): relocations that gas
// wrote against a section symbol are re-pointed at the function or object they
// designate, with the addend made relative to that symbol; strings and undefined
// symbols are left alone; every relocation section ends up sorted by offset.
#include "cdo_test_util.h"

#include <algorithm>

using namespace klp;
using namespace klp::test;

namespace {

struct Snapshot {
	uint64_t offset;
	std::string sym; // the section's name for a section symbol
	bool section;
	int64_t addend;
};

// The relocations of `func` as they are now, for comparing before and after.
std::vector<Snapshot> snapshot(const elf::Object &obj, std::string_view func)
{
	std::vector<Snapshot> out;
	for (const elf::Relocation *r : relocs_of(obj, func))
		out.push_back({r->offset, r->sym ? r->sym->name : "", r->sym && r->sym->is_section(),
			       r->addend});
	return out;
}

const char *calls_and_counter = R"(
static int counter;
static __attribute__((noinline)) int helper(int x) { return x * 3 + counter; }
extern int printk(const char *fmt, ...);
int entry(int x)
{
	counter++;
	printk("entry %d\n", x);
	return helper(x) + 1;
}
)";

} // namespace

TEST(CdoRebase, StaticCallAndStaticVariableBecomeSymbolRelative)
{
	auto before = run_cdo({calls_and_counter, calls_and_counter}, Through::Inputs);
	ASSERT_TRUE(before);
	auto after = run_cdo({calls_and_counter, calls_and_counter}, Through::Rebase);
	ASSERT_TRUE(after);

	// What gcc and gas wrote: `call helper` against .text.helper, `counter++`
	// against .bss.counter (the test is void if they ever stop doing that).
	auto old = snapshot(before->patched(), "entry");
	auto has = [&](const std::string &secname) {
		return std::any_of(old.begin(), old.end(), [&](const Snapshot &s) {
			return s.section && s.sym == secname;
		});
	};
	ASSERT_TRUE(has(".text.helper"));
	ASSERT_TRUE(has(".bss.counter"));

	for (elf::Object *obj : {&after->orig(), &after->patched()}) {
		const elf::Symbol *helper = obj->find_symbol("helper");
		const elf::Symbol *counter = obj->find_symbol("counter");
		ASSERT_TRUE(helper && counter);
		auto rebased = relocs_of(*obj, "entry");
		ASSERT_EQ(rebased.size(), old.size());
		int to_helper = 0, to_counter = 0;
		for (size_t i = 0; i < old.size(); i++) {
			const elf::Relocation *r = rebased[i];
			SCOPED_TRACE(::testing::Message() << "entry+" << old[i].offset << " "
							  << old[i].sym << old[i].addend);
			EXPECT_EQ(r->offset, old[i].offset);
			if (old[i].sym == ".text.helper") {
				EXPECT_EQ(r->sym, helper);
				// helper is at +0 of its section: the addend is unchanged.
				EXPECT_EQ(r->addend, old[i].addend - int64_t(helper->value));
				to_helper++;
			} else if (old[i].sym == ".bss.counter") {
				EXPECT_EQ(r->sym, counter);
				EXPECT_EQ(r->addend, old[i].addend - int64_t(counter->value));
				to_counter++;
			} else {
				// __fentry__, printk, the format string: untouched.
				EXPECT_EQ(name_of(r->sym), old[i].sym);
				EXPECT_EQ(r->addend, old[i].addend);
			}
		}
		EXPECT_EQ(to_helper, 1);
		EXPECT_GE(to_counter, 1);
	}
}

TEST(CdoRebase, StringLiteralStaysSectionRelative)
{
	auto run = run_cdo({calls_and_counter, calls_and_counter}, Through::Rebase);
	ASSERT_TRUE(run);
	int strings = 0;
	for (const elf::Relocation *r : relocs_of(run->patched(), "entry")) {
		ASSERT_TRUE(r->sym);
		if (r->sym->sec && r->sym->sec->name.find(".str") != std::string::npos) {
			EXPECT_TRUE(r->sym->is_section()) << r->sym->name;
			strings++;
		}
	}
	EXPECT_EQ(strings, 1);
}

// Two 1-byte flags share .data.once. `movb $1, flag(%rip)` has a 1-byte immediate
// after the 4-byte field, so gas writes .data.once-5 for the flag at +0 and
// .data.once-4 for the flag at +1: the designated byte is only known by decoding
// the instruction, and a fixed bias of 4 would give the second function the first
// function's flag.
TEST(CdoRebase, MovbIntoSharedSectionDesignatesTheRightFlag)
{
	const char *src = R"(
static char flag_b __attribute__((section(".data.once")));
static char flag_a __attribute__((section(".data.once")));
extern int printk(const char *fmt, ...);
void once_b(void) { if (!flag_b) { flag_b = 1; printk("b"); } }
void once_a(void) { if (!flag_a) { flag_a = 1; printk("a"); } }
)";
	auto before = run_cdo({src, src}, Through::Inputs);
	ASSERT_TRUE(before);
	auto run = run_cdo({src, src}, Through::Rebase);
	ASSERT_TRUE(run);

	elf::Object &obj = run->patched();
	elf::Symbol *flag_a = obj.find_symbol("flag_a");
	elf::Symbol *flag_b = obj.find_symbol("flag_b");
	ASSERT_TRUE(flag_a && flag_b);
	ASSERT_EQ(flag_a->sec, flag_b->sec);
	ASSERT_EQ(flag_a->sec->name, ".data.once");
	ASSERT_NE(flag_a->value, flag_b->value);

	for (auto [func, flag] : {std::pair{"once_a", flag_a}, std::pair{"once_b", flag_b}}) {
		SCOPED_TRACE(func);
		auto old = snapshot(before->patched(), func);
		auto now = relocs_of(obj, func);
		ASSERT_EQ(now.size(), old.size());
		int to_flag = 0;
		for (size_t i = 0; i < old.size(); i++) {
			if (old[i].sym != ".data.once")
				continue;
			// The cmpb and the movb: both must name this function's flag.
			EXPECT_EQ(name_of(now[i]->sym), flag->name) << "at +" << old[i].offset;
			EXPECT_EQ(now[i]->addend, old[i].addend - int64_t(flag->value));
			// The field plus its bias lands on the flag itself: -5 for both.
			EXPECT_EQ(now[i]->addend, -5);
			to_flag++;
		}
		EXPECT_EQ(to_flag, 2);
	}
}

// Pointers in data (R_X86_64_64, no instruction to decode): the addend is the
// offset within the target, so &table[2] is table+8 and a function pointer is
// helper+0.
TEST(CdoRebase, PointersInDataBecomeSymbolRelative)
{
	const char *src = R"(
static int table[8];
static __attribute__((noinline)) int helper(int x) { return x + table[x & 7]; }
int (*const ops)(int) = helper;
int *const third = &table[2];
)";
	auto run = run_cdo({src, src}, Through::Rebase);
	ASSERT_TRUE(run);
	elf::Object &obj = run->patched();
	auto ops = relocs_of(obj, "ops");
	ASSERT_EQ(ops.size(), 1u);
	EXPECT_EQ(name_of(ops[0]->sym), "helper");
	EXPECT_EQ(ops[0]->addend, 0);
	auto third = relocs_of(obj, "third");
	ASSERT_EQ(third.size(), 1u);
	EXPECT_EQ(name_of(third[0]->sym), "table");
	EXPECT_EQ(third[0]->addend, 8);
}

// Function ranges are found by binary search (relocs_in), so every relocation
// section comes out sorted by offset, whatever order it was read in.
TEST(CdoRebase, RelocationsComeOutSortedByOffset)
{
	auto run = run_cdo({calls_and_counter, calls_and_counter}, Through::Inputs);
	ASSERT_TRUE(run);
	elf::Section *rela = run->psym("entry")->sec->rela;
	ASSERT_TRUE(rela);
	ASSERT_GE(rela->relocs.size(), 3u);
	std::reverse(rela->relocs.begin(), rela->relocs.end());
	cdo::rebase_section_relocations(run->ctx, run->patched());
	EXPECT_TRUE(std::is_sorted(rela->relocs.begin(), rela->relocs.end(),
				   [](const elf::Relocation &a, const elf::Relocation &b) {
					   return a.offset < b.offset;
				   }));
	auto in_entry = cdo::relocs_in(rela->base, 0, rela->base->size());
	EXPECT_EQ(in_entry.size(), rela->relocs.size());
}
