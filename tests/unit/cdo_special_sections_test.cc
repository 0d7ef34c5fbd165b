// create-diff-object filter_special_sections (special_sections.cc): of each special
// section, only the entries that point into included functions are kept, the code
// they use (.altinstr_replacement) comes along, a wrong entry size is refused (a
// last entry the layout lets be short is not), and static keys of kept entries that
// live in a module are refused.
#include "cdo_test_util.h"

using namespace klp;
using namespace klp::test;

namespace {

// BUG_ON() as x86 Linux 6.1 emits it: ud2 and a 12-byte struct bug_entry.
const char *bug_prelude = R"(
#define unlikely(x) __builtin_expect(!!(x), 0)
#define _BUG_FLAGS(ins, flags)						\
do {									\
	asm volatile("1:\t" ins "\n"					\
		     ".pushsection __bug_table,\"aw\"\n"		\
		     "2:\t.long 1b - .\n"				\
		     "\t.long %c0 - .\n"				\
		     "\t.word %c1\n"					\
		     "\t.word %c2\n"					\
		     "\t.org 2b+12\n"					\
		     ".popsection"					\
		     : : "i" (__FILE__), "i" (__LINE__), "i" (flags));	\
} while (0)
#define BUG() do { _BUG_FLAGS("ud2", 0); __builtin_unreachable(); } while (0)
#define BUG_ON(condition) do { if (unlikely(condition)) BUG(); } while (0)
struct page { unsigned long flags; int refcount; int mapcount; };
)";

std::string bug_source(const char *check)
{
	return std::string(bug_prelude) + R"(
void page_ref_add(struct page *page, int nr)
{
	BUG_ON(page->refcount <= 0);
	page->refcount += nr;
}
void page_ref_sub(struct page *page, int nr)
{
	BUG_ON(nr <= 0);
	page->refcount -= nr;
	BUG_ON()" + check + R"();
}
void page_mapcount_reset(struct page *page)
{
	BUG_ON(page->mapcount > 0);
	page->mapcount = -1;
}
)";
}

const cdo::DiffContext::SpecialPlan *plan_for(const CdoRun &run, const std::string &name)
{
	for (const auto &plan : run.ctx.special_plans)
		if (plan.sec->name == name)
			return &plan;
	return nullptr;
}

const cdo::SpecialNote *note_for(const CdoRun &run, const std::string &name)
{
	for (const auto &note : run.ctx.decisions.special_sections)
		if (note.name == name)
			return &note;
	return nullptr;
}

// The function an entry's relocation at `entry_off` (+ `field`) points into.
std::string entry_target(const elf::Section *sec, uint64_t entry_off, uint64_t field = 0)
{
	for (const elf::Relocation &r : cdo::relocs_in(sec, entry_off + field, entry_off + field + 1))
		return r.sym && r.sym->sec ? r.sym->sec->name : "(none)";
	return "(no relocation)";
}

} // namespace

TEST(CdoSpecialSections, BugTableKeepsTheEntriesOfIncludedFunctions)
{
	auto run = run_cdo({bug_source("page->refcount < 0"),
			    bug_source("page->refcount < page->mapcount + 1")},
			   Through::Special);
	ASSERT_TRUE(run);
	ASSERT_EQ(fn(*run, "page_ref_sub").status, cdo::Status::Changed);
	const auto *plan = plan_for(*run, "__bug_table");
	ASSERT_TRUE(plan);
	EXPECT_EQ(plan->entry_size, 12u);
	EXPECT_EQ(plan->sec->size(), 4 * 12u);
	ASSERT_EQ(plan->kept.size(), 2u);
	for (uint64_t off : plan->kept) {
		EXPECT_EQ(off % 12, 0u);
		EXPECT_EQ(entry_target(plan->sec, off), ".text.page_ref_sub") << "entry at " << off;
	}
	const auto *note = note_for(*run, "__bug_table");
	ASSERT_TRUE(note);
	EXPECT_EQ(note->kept, 2u);
	EXPECT_EQ(note->total, 4u);
	EXPECT_TRUE(run->ctx.decisions.refusals.empty());
}

// bug_entry::file is `.long %c0 - .` with "i" (__FILE__): gas keeps the string's
// local label `.LC0` as a symbol (a PC-relative reference into a mergeable string
// section). A string literal has no counterpart in the running kernel that a
// livepatch relocation could name (kallsyms never lists `.L` labels): the string
// must travel with the patch like any literal of included code.
TEST(CdoSpecialSections, KeptEntryFileStringTravelsWithThePatch)
{
	auto run = run_cdo({bug_source("page->refcount < 0"),
			    bug_source("page->refcount < page->mapcount + 1")},
			   Through::Special);
	ASSERT_TRUE(run);
	const auto *plan = plan_for(*run, "__bug_table");
	ASSERT_TRUE(plan);
	ASSERT_EQ(plan->kept.size(), 2u);
	for (uint64_t off : plan->kept) {
		const elf::Symbol *file = nullptr;
		for (const elf::Relocation &r : cdo::relocs_in(plan->sec, off + 4, off + 8))
			file = r.sym;
		ASSERT_TRUE(file && file->sec);
		ASSERT_TRUE(cdo::is_string_literal(file))
			<< file->sec->name;
		EXPECT_TRUE(run->ctx.is_included(file->sec))
			<< "entry at " << off << ": " << file->name << " in " << file->sec->name;
	}
}

TEST(CdoSpecialSections, NoEntryKeptWhenNoUserIsIncluded)
{
	// Only a function without BUG_ON() changes.
	std::string orig = bug_source("page->refcount < 0") + "int plain(int x) { return x; }\n";
	std::string patched = bug_source("page->refcount < 0") + "int plain(int x) { return -x; }\n";
	auto run = run_cdo({orig, patched}, Through::Special);
	ASSERT_TRUE(run);
	const auto *plan = plan_for(*run, "__bug_table");
	ASSERT_TRUE(plan);
	EXPECT_TRUE(plan->kept.empty());
	const auto *note = note_for(*run, "__bug_table");
	ASSERT_TRUE(note);
	EXPECT_EQ(note->kept, 0u);
	EXPECT_EQ(note->total, 4u);
}

TEST(CdoSpecialSections, WrongEntrySizeIsRefused)
{
	CdoCase c{bug_source("page->refcount < 0"), bug_source("page->refcount < page->mapcount + 1")};
	auto run = run_cdo(c, Through::Compare);
	ASSERT_TRUE(run);
	// 48 bytes are no multiple of 10.
	run->ctx.opts.entry_sizes["__bug_table"] = 10;
	cdo::check_refusals(run->ctx);
	cdo::include_changes(run->ctx);
	cdo::filter_special_sections(run->ctx);
	ASSERT_EQ(run->ctx.decisions.refusals.size(), 1u);
	EXPECT_EQ(run->ctx.decisions.refusals[0].kind, "unsupported");
	EXPECT_NE(run->ctx.decisions.refusals[0].reason.find("--entry-size __bug_table"),
		  std::string::npos)
		<< run->ctx.decisions.refusals[0].reason;
	EXPECT_EQ(plan_for(*run, "__bug_table"), nullptr);
}

TEST(CdoSpecialSections, AltinstructionsBringTheirReplacementCode)
{
	const char *prelude = R"(
#define alternative(oldinstr, newinstr, feature)			\
	asm volatile("661:\n\t" oldinstr "\n662:\n"			\
		     ".pushsection .altinstructions,\"a\"\n"		\
		     " .long 661b - .\n"				\
		     " .long 6641f - .\n"				\
		     " .word %c0\n"					\
		     " .byte 662b-661b\n"				\
		     " .byte 6651f-6641f\n"				\
		     ".popsection\n"					\
		     ".pushsection .altinstr_replacement, \"ax\"\n"	\
		     "6641:\n\t" newinstr "\n6651:\n"			\
		     ".popsection"					\
		     : : "i" (feature) : "memory")
#define barrier_nospec() alternative(".byte 0x0f,0x1f,0x00", "lfence", 114)
struct table { unsigned int nr; long *slots; };
long table_get(const struct table *t, unsigned long idx)
{
	if (idx >= t->nr)
		return -1;
	barrier_nospec();
	return t->slots[idx];
}
)";
	std::string orig = std::string(prelude) + R"(
long array_get(const long *arr, unsigned long idx, unsigned long nr)
{
	if (idx >= nr)
		return 0;
	barrier_nospec();
	return arr[idx];
}
)";
	std::string patched = std::string(prelude) + R"(
long array_get(const long *arr, unsigned long idx, unsigned long nr)
{
	if (idx >= nr)
		return 0;
	barrier_nospec();
	if (!arr[idx])
		return 0;
	barrier_nospec();
	return arr[idx] - 1;
}
)";
	auto run = run_cdo({orig, patched}, Through::Special);
	ASSERT_TRUE(run);
	const auto *plan = plan_for(*run, ".altinstructions");
	ASSERT_TRUE(plan);
	EXPECT_EQ(plan->entry_size, 12u);
	EXPECT_EQ(plan->sec->size(), 3 * 12u);
	ASSERT_EQ(plan->kept.size(), 2u);
	for (uint64_t off : plan->kept)
		EXPECT_EQ(entry_target(plan->sec, off), ".text.array_get") << "entry at " << off;
	const elf::Section *repl = run->patched().find_section(".altinstr_replacement");
	ASSERT_TRUE(repl);
	EXPECT_TRUE(run->ctx.is_included(repl));
	// .altinstr_replacement is copied whole, not filtered as a table.
	EXPECT_EQ(plan_for(*run, ".altinstr_replacement"), nullptr);
}

namespace {

// paravirt_alt() before Linux 6.2: each 16-byte struct paravirt_patch_site is
// aligned before it is written and not padded after, so the last of n entries is
// 12 bytes and the section 16(n-1)+12.
const char *paravirt_prelude = R"(
struct paravirt_patch_template { void *save_fl, *irq_disable, *irq_enable; };
extern struct paravirt_patch_template pv_ops;
static inline unsigned long arch_local_save_flags(void)
{
	unsigned long flags;
	asm volatile("771:\n\tcall *%c[op]\n772:\n"
		     ".pushsection .parainstructions,\"a\"\n"
		     " .balign 8\n .quad 771b\n .byte %c[type]\n .byte 772b-771b\n"
		     " .short %c[clobber]\n"
		     ".popsection\n"
		     : "=a" (flags)
		     : [type] "i" (0), [op] "i" (&pv_ops.save_fl), [clobber] "i" (1)
		     : "memory", "cc", "rdi", "rsi", "rdx", "rcx", "r8", "r9", "r10", "r11");
	return flags;
}
int irqs_disabled(void) { return !(arch_local_save_flags() & 0x200); }
int in_irq_context(int count) { return (count & 0xf0000) || !(arch_local_save_flags() & 0x200); }
)";

std::string paravirt_source(const char *may_sleep_check)
{
	return std::string(paravirt_prelude) + "int may_sleep(int count)\n{\n\treturn " +
	       may_sleep_check + " && (arch_local_save_flags() & 0x200);\n}\n";
}

} // namespace

TEST(CdoSpecialSections, ShortLastParainstructionsEntryIsKeptAndPadded)
{
	auto run = run_cdo({paravirt_source("!count"), paravirt_source("!(count & ~0x100)")},
			   Through::Output);
	ASSERT_TRUE(run);
	const auto *plan = plan_for(*run, ".parainstructions");
	ASSERT_TRUE(plan);
	EXPECT_EQ(plan->sec->size(), 2 * 16u + 12u);
	ASSERT_EQ(plan->kept, std::vector<uint64_t>{32});
	EXPECT_EQ(entry_target(plan->sec, 32), ".text.may_sleep");
	const auto *note = note_for(*run, ".parainstructions");
	ASSERT_TRUE(note);
	EXPECT_EQ(note->total, 3u);

	auto out = elf::Object::read(run->out_path());
	ASSERT_TRUE(out) << out.error().message();
	const elf::Section *copy = (*out)->find_section(".parainstructions");
	ASSERT_TRUE(copy);
	// The 12 bytes of the entry, then the padding the kernel's 16-byte stride needs.
	ASSERT_EQ(copy->size(), 16u);
	EXPECT_TRUE(std::equal(copy->data.begin(), copy->data.begin() + 12,
			       plan->sec->data.begin() + 32));
	EXPECT_EQ(copy->data[12] | copy->data[13] | copy->data[14] | copy->data[15], 0);
	ASSERT_TRUE(copy->rela);
	ASSERT_EQ(copy->rela->relocs.size(), 1u);
	EXPECT_EQ(copy->rela->relocs[0].offset, 0u);
}

TEST(CdoSpecialSections, LastEntryShorterThanItsFieldsIsRefused)
{
	auto run = run_cdo({paravirt_source("!count"), paravirt_source("!(count & ~0x100)")},
			   Through::Include);
	ASSERT_TRUE(run);
	// 44 bytes of 20-byte entries leave 4: not even a pointer and two bytes.
	run->ctx.opts.entry_sizes[".parainstructions"] = 20;
	cdo::filter_special_sections(run->ctx);
	ASSERT_EQ(run->ctx.decisions.refusals.size(), 1u);
	EXPECT_NE(run->ctx.decisions.refusals[0].reason.find(".parainstructions: size 44"),
		  std::string::npos)
		<< run->ctx.decisions.refusals[0].reason;
}

namespace {

const char *static_key_prelude = R"(
typedef _Bool bool;
struct static_key { int enabled; void *entries; };
struct static_key_false { struct static_key key; };
static inline __attribute__((always_inline)) bool arch_static_branch(struct static_key *key, bool branch)
{
	asm goto("1:\n\t"
		 ".byte 0x0f,0x1f,0x44,0x00,0x00\n\t"
		 ".pushsection __jump_table, \"aw\"\n\t"
		 ".balign 8\n\t"
		 ".long 1b - ., %l[l_yes] - .\n\t"
		 ".quad %c0 + %c1 - .\n\t"
		 ".popsection\n\t"
		 : : "i" (key), "i" (branch) : : l_yes);
	return 0;
l_yes:
	return 1;
}
#define static_branch_unlikely(x) __builtin_expect(arch_static_branch(&(x)->key, 0), 0)
extern struct static_key_false mymod_offload_key;
extern int mymod_hw_xmit(void *pkt, unsigned int len);
int mymod_poll(void *pkt)
{
	if (static_branch_unlikely(&mymod_offload_key))
		return mymod_hw_xmit(pkt, 0);
	return 0;
}
)";

std::string static_key_source(const char *check)
{
	return std::string(static_key_prelude) + "int mymod_xmit(void *pkt, unsigned int len)\n{\n" +
	       check + R"(
	if (static_branch_unlikely(&mymod_offload_key))
		return mymod_hw_xmit(pkt, len);
	return 0;
}
)";
}

} // namespace

TEST(CdoSpecialSections, ModuleStaticKeyOfAKeptEntryIsRefused)
{
	CdoCase c{static_key_source(""), static_key_source("if (len > 9000) return -90;")};
	c.parent = "mymod";
	auto run = run_cdo(c, Through::Special);
	ASSERT_TRUE(run);
	ASSERT_EQ(run->ctx.decisions.refusals.size(), 1u);
	EXPECT_EQ(run->ctx.decisions.refusals[0].kind, "module-static-key");
	EXPECT_EQ(run->ctx.decisions.refusals[0].symbol, "mymod_offload_key");
	EXPECT_NE(run->ctx.decisions.refusals[0].reason.find("static_key_enabled()"),
		  std::string::npos);
	const auto *plan = plan_for(*run, "__jump_table");
	ASSERT_TRUE(plan);
	EXPECT_TRUE(plan->kept.empty());
}

TEST(CdoSpecialSections, VmlinuxStaticKeyEntryIsKept)
{
	// The same code in vmlinux: the key's relocation is applied at load time.
	CdoCase c{static_key_source(""), static_key_source("if (len > 9000) return -90;")};
	auto run = run_cdo(c, Through::Special);
	ASSERT_TRUE(run);
	EXPECT_TRUE(run->ctx.decisions.refusals.empty());
	const auto *plan = plan_for(*run, "__jump_table");
	ASSERT_TRUE(plan);
	EXPECT_EQ(plan->entry_size, 16u);
	EXPECT_EQ(plan->sec->size(), 2 * 16u);
	ASSERT_EQ(plan->kept.size(), 1u);
	EXPECT_EQ(entry_target(plan->sec, plan->kept[0]), ".text.mymod_xmit");
}
