// create-diff-object classify_relocations (klp_relocs.cc): how every relocation of
// included code reaches its target. The patch's own code and data: internal. A
// vmlinux export: normal. A local, an unexported global, a module's export, or the
// address of an original function: a livepatch placeholder naming the object and the
// sympos. Also the sympos of every patched function.
#include "cdo_test_util.h"

using namespace klp;
using namespace klp::test;
using cdo::RelocClass;

namespace {

struct Classified {
	const elf::Relocation *reloc;
	cdo::DiffContext::RelocTarget target;
};

// The classified relocations of `func` (patched object) to symbol `to`.
std::vector<Classified> to(const CdoRun &run, const std::string &func, const std::string &to)
{
	std::vector<Classified> out;
	for (const elf::Relocation *r : relocs_of(*run.ctx.patched, func)) {
		if (!r->sym || r->sym->name != to)
			continue;
		auto it = run.ctx.reloc_targets.find(r);
		EXPECT_NE(it, run.ctx.reloc_targets.end()) << func << " -> " << to << " unclassified";
		if (it != run.ctx.reloc_targets.end())
			out.push_back({r, it->second});
	}
	return out;
}

// The report's klp relocation note for relocation `r` of section `sec`.
const cdo::KlpRelocNote *note(const CdoRun &run, const std::string &sec, const elf::Relocation *r)
{
	for (const auto &k : run.ctx.decisions.klp_relocations)
		if (k.section == sec && k.offset == r->offset)
			return &k;
	return nullptr;
}

const char *kinds_orig = R"(
#define noinline __attribute__((noinline))
extern void kfree(void *p);
extern int hidden_helper(int x);
extern void register_cb(int (*cb)(int));
static int counter;
static noinline int local_helper(int x) { return x * 3 + counter; }
int keep_global(int x) { return x + 1; }
noinline int also_fixed(int x) { return x - 1; }
int fixed(void *p, int x)
{
	counter++;
	kfree(p);
	return local_helper(x) + hidden_helper(x);
}
)";

const char *kinds_patched = R"(
#define noinline __attribute__((noinline))
extern void kfree(void *p);
extern int hidden_helper(int x);
extern void register_cb(int (*cb)(int));
static int counter;
static noinline int local_helper(int x) { return x * 3 + counter; }
static noinline int new_helper(int x) { return x ^ 0x5a; }
int keep_global(int x) { return x + 1; }
noinline int also_fixed(int x) { return x - 2; }
int fixed(void *p, int x)
{
	counter++;
	kfree(p);
	register_cb(local_helper);
	register_cb(keep_global);
	register_cb(also_fixed);
	return local_helper(x) + hidden_helper(x) + new_helper(x) + also_fixed(x);
}
)";

const char *kinds_symvers = "0x037a0cba\tkfree\tvmlinux\tEXPORT_SYMBOL\t\n"
			    "0x12345678\tregister_cb\tvmlinux\tEXPORT_SYMBOL_GPL\t\n";

CdoCase kinds_case()
{
	CdoCase c{kinds_orig, kinds_patched};
	c.symvers = kinds_symvers;
	return c;
}

} // namespace

TEST(CdoKlpRelocs, InternalForThePatchsOwnCode)
{
	auto run = run_cdo(kinds_case(),
			   Through::Classify);
	ASSERT_TRUE(run);
	auto calls = to(*run, "fixed", "new_helper");
	ASSERT_EQ(calls.size(), 1u);
	EXPECT_EQ(calls[0].target.cls, RelocClass::Internal);
	// A call to a function the patch replaces goes to the new copy.
	bool direct_call = false;
	for (const Classified &c : to(*run, "fixed", "also_fixed"))
		if (run->ctx.arch->is_branch(*run->psym("fixed")->sec, *c.reloc)) {
			direct_call = true;
			EXPECT_EQ(c.target.cls, RelocClass::Internal);
		}
	EXPECT_TRUE(direct_call);
}

TEST(CdoKlpRelocs, NormalForAVmlinuxExport)
{
	auto run = run_cdo(kinds_case(),
			   Through::Classify);
	ASSERT_TRUE(run);
	for (const char *sym : {"kfree", "register_cb", "__fentry__"}) {
		auto relocs = to(*run, "fixed", sym);
		ASSERT_FALSE(relocs.empty()) << sym;
		for (const Classified &c : relocs) {
			EXPECT_EQ(c.target.cls, RelocClass::Normal) << sym;
			EXPECT_EQ(c.target.name, sym);
			EXPECT_EQ(note(*run, ".text.fixed", c.reloc), nullptr) << sym;
		}
	}
}

TEST(CdoKlpRelocs, LivepatchForLocalsAndUnexportedGlobals)
{
	auto run = run_cdo(kinds_case(),
			   Through::Classify);
	ASSERT_TRUE(run);
	struct Want {
		const char *sym;
		const char *placeholder;
		uint8_t type;
		const char *why;
	};
	for (const Want &w :
	     {Want{"counter", ".klpkit.from.vmlinux.vmlinux.counter,0", STT_OBJECT, "local"},
	      Want{"hidden_helper", ".klpkit.from.vmlinux.vmlinux.hidden_helper,0", STT_NOTYPE,
		   "unexported"}}) {
		SCOPED_TRACE(w.sym);
		auto relocs = to(*run, "fixed", w.sym);
		ASSERT_FALSE(relocs.empty());
		for (const Classified &c : relocs) {
			EXPECT_EQ(c.target.cls, RelocClass::Livepatch);
			EXPECT_EQ(c.target.name, w.placeholder);
			EXPECT_EQ(c.target.type, w.type);
			const cdo::KlpRelocNote *k = note(*run, ".text.fixed", c.reloc);
			ASSERT_TRUE(k);
			EXPECT_EQ(k->symbol, w.sym);
			EXPECT_EQ(k->objname, "vmlinux");
			EXPECT_EQ(k->sec_objname, "vmlinux");
			EXPECT_EQ(k->sympos, 0u);
			EXPECT_EQ(k->addend, c.reloc->addend);
			EXPECT_EQ(k->why, w.why);
		}
	}
	EXPECT_TRUE(run->ctx.decisions.refusals.empty());
}

// register_cb(f) must pass the running kernel's f, so that it compares equal to
// pointers unchanged code holds; a call to f may go to the local original.
TEST(CdoKlpRelocs, AddressOfAnOriginalFunction)
{
	auto run = run_cdo(kinds_case(),
			   Through::Classify);
	ASSERT_TRUE(run);
	const elf::Section *text = run->psym("fixed")->sec;
	for (const char *fn : {"local_helper", "keep_global", "also_fixed"}) {
		SCOPED_TRACE(fn);
		int addresses = 0;
		for (const Classified &c : to(*run, "fixed", fn)) {
			bool call = run->ctx.arch->is_branch(*text, *c.reloc);
			const cdo::KlpRelocNote *k = note(*run, ".text.fixed", c.reloc);
			if (call) {
				// Only the unchanged static is called through the parent.
				if (std::string(fn) == "local_helper") {
					ASSERT_TRUE(k);
					EXPECT_EQ(k->why, "local");
				}
				continue;
			}
			addresses++;
			EXPECT_EQ(c.target.cls, RelocClass::Livepatch);
			EXPECT_EQ(c.target.name,
				  std::string(".klpkit.from.vmlinux.vmlinux.") + fn + ",0");
			EXPECT_EQ(c.target.type, STT_FUNC);
			ASSERT_TRUE(k);
			EXPECT_EQ(k->why, "original-function");
		}
		EXPECT_EQ(addresses, 1);
	}
}

TEST(CdoKlpRelocs, ModuleParentAndAnotherModulesExport)
{
	const char *tmpl = R"(
extern int mii_link_ok(void *mii);
extern void kfree(void *p);
static int link_checks;
int e1000_check_link(void *mii)
{
	link_checks++;
	kfree(0);
	return mii_link_ok(mii) ? 0 : ERR;
}
)";
	CdoCase c{std::string("#define ERR -5\n") + tmpl, std::string("#define ERR -67\n") + tmpl};
	c.parent = "e1000";
	c.symvers = "0x037a0cba\tkfree\tvmlinux\tEXPORT_SYMBOL\t\n"
		    "0x9a1b2c3d\tmii_link_ok\tdrivers/net/mii\tEXPORT_SYMBOL\t\n";
	auto run = run_cdo(c, Through::Classify);
	ASSERT_TRUE(run);
	ASSERT_EQ(fn(*run, "e1000_check_link").status, cdo::Status::Changed);

	// mii's symbol, in e1000's section: the kernel applies `.klp.rela.<obj>.*` only
	// when <obj> is patched, and e1000 (not mii) is.
	auto mii = to(*run, "e1000_check_link", "mii_link_ok");
	ASSERT_EQ(mii.size(), 1u);
	EXPECT_EQ(mii[0].target.cls, RelocClass::Livepatch);
	EXPECT_EQ(mii[0].target.name, ".klpkit.from.e1000.mii.mii_link_ok,0");
	const cdo::KlpRelocNote *k = note(*run, ".text.e1000_check_link", mii[0].reloc);
	ASSERT_TRUE(k);
	EXPECT_EQ(k->objname, "mii");
	EXPECT_EQ(k->sec_objname, "e1000");
	EXPECT_EQ(k->why, "module-export");

	auto local = to(*run, "e1000_check_link", "link_checks");
	ASSERT_FALSE(local.empty());
	EXPECT_EQ(local[0].target.name, ".klpkit.from.e1000.e1000.link_checks,0");
	k = note(*run, ".text.e1000_check_link", local[0].reloc);
	ASSERT_TRUE(k);
	EXPECT_EQ(k->objname, "e1000");
	EXPECT_EQ(k->sec_objname, "e1000");
	EXPECT_EQ(k->why, "local");

	auto kfree = to(*run, "e1000_check_link", "kfree");
	ASSERT_EQ(kfree.size(), 1u);
	EXPECT_EQ(kfree[0].target.cls, RelocClass::Normal);
}

// The case that shipped a panic: a one-line vfat patch calling fat's export. Its
// relocation was in `.klp.rela.fat.*`, never applied because fat is not patched.
TEST(CdoKlpRelocs, ModuleCodeCallingAnotherModulesExportIsInItsOwnSection)
{
	const char *tmpl = R"(
struct inode;
struct super_block;
extern struct inode *fat_build_inode(struct super_block *sb, void *de, long pos);
extern void _printk(const char *fmt, ...);
int vfat_create(struct super_block *sb, void *de, long pos)
{
	struct inode *inode = fat_build_inode(sb, de, pos);
	EXTRA
	return inode ? 0 : -12;
}
)";
	CdoCase c{std::string("#define EXTRA\n") + tmpl,
		  std::string("#define EXTRA _printk(\"vfat_create %ld\\n\", pos);\n") + tmpl};
	c.parent = "vfat";
	c.symvers = "0x5678ef01\t_printk\tvmlinux\tEXPORT_SYMBOL\t\n"
		    "0x6d1e3a4b\tfat_build_inode\tfs/fat/fat\tEXPORT_SYMBOL_GPL\t\n";
	auto run = run_cdo(c, Through::Classify);
	ASSERT_TRUE(run);
	ASSERT_EQ(fn(*run, "vfat_create").status, cdo::Status::Changed);
	auto calls = to(*run, "vfat_create", "fat_build_inode");
	ASSERT_EQ(calls.size(), 1u);
	EXPECT_EQ(calls[0].target.cls, RelocClass::Livepatch);
	EXPECT_EQ(calls[0].target.name, ".klpkit.from.vfat.fat.fat_build_inode,0");
	const cdo::KlpRelocNote *k = note(*run, ".text.vfat_create", calls[0].reloc);
	ASSERT_TRUE(k);
	EXPECT_EQ(k->objname, "fat");
	EXPECT_EQ(k->sec_objname, "vfat");
	EXPECT_EQ(k->why, "module-export");
	EXPECT_TRUE(run->ctx.decisions.refusals.empty());
}

// vmlinux code cannot link against a module; if Module.symvers says a name vmlinux
// code calls is a module's export, no livepatch relocation section can carry it.
TEST(CdoKlpRelocs, VmlinuxCodeCallingAModulesExportIsRefused)
{
	const char *tmpl = R"(
extern int mii_link_ok(void *mii);
int link_up(void *mii) { return mii_link_ok(mii) ? 0 : ERR; }
)";
	CdoCase c{std::string("#define ERR -5\n") + tmpl, std::string("#define ERR -67\n") + tmpl};
	c.symvers = "0x9a1b2c3d\tmii_link_ok\tdrivers/net/mii\tEXPORT_SYMBOL\t\n";
	auto run = run_cdo(c, Through::Classify);
	ASSERT_TRUE(run);
	ASSERT_EQ(run->ctx.decisions.refusals.size(), 1u);
	const cdo::Refusal &r = run->ctx.decisions.refusals[0];
	EXPECT_EQ(r.kind, "module-symbol-from-vmlinux");
	EXPECT_EQ(r.symbol, "mii_link_ok");
	EXPECT_NE(r.reason.find("vmlinux code cannot refer to a symbol of module mii"),
		  std::string::npos)
		<< r.reason;
	for (const elf::Relocation *rel : relocs_of(run->patched(), "link_up"))
		if (rel->sym && rel->sym->name == "mii_link_ok") {
			EXPECT_EQ(run->ctx.reloc_targets.count(rel), 0u);
		}
	EXPECT_TRUE(run->ctx.decisions.klp_relocations.empty());
}

namespace {

// vmlinux has two local validate_header; this file's other symbols sit around the
// second one.
const char *ring_symtab = R"(ffffffff81000000 T _stext
ffffffff813c4f10 t blkdev_bio_end_io
ffffffff813c5020 t validate_header
ffffffff813c50a0 t blkdev_iopoll
ffffffff813c5130 T blkdev_read_iter
ffffffff817a8e00 t ring_refill
ffffffff817a8e40 t validate_header
ffffffff817a8e70 t ring_reclaim
ffffffff817a8eb0 T ring_rx
ffffffff817a8ef0 T ring_maintain
ffffffff82000000 T _etext
)";

std::string ring_source(const char *rx_check, const char *magic)
{
	return std::string(R"(
#define noinline __attribute__((__noinline__))
struct hdr { unsigned int magic; unsigned int len; };
struct ring { unsigned int head, tail; struct hdr *slots[64]; };
static noinline int validate_header(const struct hdr *h)
{
	return h->magic == )") + magic + R"( && h->len <= 4096;
}
static noinline void ring_refill(struct ring *r)
{
	while (r->head - r->tail < 64)
		r->slots[r->head++ & 63] = 0;
}
static noinline void ring_reclaim(struct ring *r)
{
	while (r->tail != r->head && !r->slots[r->tail & 63])
		r->tail++;
}
int ring_rx(struct ring *r)
{
	struct hdr *h = r->slots[r->tail & 63];
	if ()" + rx_check + R"()
		return -74;
	r->tail++;
	return h->len;
}
void ring_maintain(struct ring *r)
{
	ring_reclaim(r);
	ring_refill(r);
}
)";
}

} // namespace

TEST(CdoKlpRelocs, SymposOfADuplicatedLocal)
{
	CdoCase c{ring_source("!validate_header(h)", "0x52494e47"),
		  ring_source("!h || !validate_header(h)", "0x52494e47")};
	c.symtab = ring_symtab;
	auto run = run_cdo(c, Through::Classify);
	ASSERT_TRUE(run);
	auto calls = to(*run, "ring_rx", "validate_header");
	ASSERT_EQ(calls.size(), 1u);
	EXPECT_EQ(calls[0].target.name, ".klpkit.from.vmlinux.vmlinux.validate_header,2");
	const cdo::KlpRelocNote *k = note(*run, ".text.ring_rx", calls[0].reloc);
	ASSERT_TRUE(k);
	EXPECT_EQ(k->sympos, 2u);
	// The patched function itself is unique in vmlinux.
	EXPECT_EQ(fn(*run, "ring_rx").sympos, 0u);
}

TEST(CdoKlpRelocs, SymposOfAPatchedDuplicatedLocal)
{
	CdoCase c{ring_source("!validate_header(h)", "0x52494e47"),
		  ring_source("!validate_header(h)", "0x52494e48")};
	c.symtab = ring_symtab;
	auto run = run_cdo(c, Through::Classify);
	ASSERT_TRUE(run);
	ASSERT_EQ(run->ctx.patched_functions.size(), 1u);
	EXPECT_EQ(fn(*run, "validate_header").status, cdo::Status::Changed);
	EXPECT_EQ(fn(*run, "validate_header").sympos, 2u);
}

TEST(CdoKlpRelocs, AmbiguousDuplicateIsRefused)
{
	// A file of statics only, built into vmlinux twice: neither copy is nearer.
	const char *tmpl = R"(
#define noinline __attribute__((__noinline__))
struct mount_opts { unsigned int flags; unsigned int uid, gid; };
struct opts_ops { int (*apply)(struct mount_opts *, const char *); };
static noinline int parse_opt(const char *s, unsigned int *val)
{
	unsigned int v = 0;
	while (*s >= '0' && *s <= '9')
		v = v * 10 + (*s++ - '0');
	*val = v;
	return *s ? -22 : 0;
}
static int apply_opts(struct mount_opts *o, const char *s)
{
	EXTRA
	if (s[0] == 'u' && s[1] == '=')
		return parse_opt(s + 2, &o->uid);
	return -22;
}
static const struct opts_ops mount_opts_ops __attribute__((used)) = { .apply = apply_opts };
)";
	CdoCase c{std::string("#define EXTRA\n") + tmpl,
		  std::string("#define EXTRA if (s[0] == 'r') { o->flags |= 1; return 0; }\n") + tmpl};
	c.symtab = R"(ffffffff81000000 T _stext
ffffffff814a2000 t sdhci_a_probe
ffffffff814a2100 t parse_opt
ffffffff814a2180 t apply_opts
ffffffff814a2240 T sdhci_a_init
ffffffff814b7000 t sdhci_b_probe
ffffffff814b7100 t parse_opt
ffffffff814b7180 t apply_opts
ffffffff814b7240 T sdhci_b_init
ffffffff82000000 T _etext
ffffffff82204000 d mount_opts_ops
ffffffff82204100 d mount_opts_ops
)";
	auto run = run_cdo(c, Through::Classify);
	ASSERT_TRUE(run);
	std::set<std::string> refused;
	for (const auto &r : run->ctx.decisions.refusals)
		if (r.kind == "ambiguous-symbol")
			refused.insert(r.symbol);
	// The callee's klp relocation and the patched function's own sympos.
	EXPECT_EQ(refused, (std::set<std::string>{"apply_opts", "parse_opt"}));
	// No placeholder is made up for a relocation whose sympos is unknown.
	for (const elf::Relocation *r : relocs_of(run->patched(), "apply_opts"))
		if (r->sym && r->sym->name == "parse_opt") {
			EXPECT_EQ(run->ctx.reloc_targets.count(r), 0u);
		}
}

// A kept __bug_table entry's file name is a string literal reached through the
// assembler label `.LC0`: never a livepatch relocation (no kernel lists `.L` labels
// in kallsyms, and every object file has its own `.LC0`).
TEST(CdoKlpRelocs, NoLivepatchRelocationToAStringLabel)
{
	const char *tmpl = R"(
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
#define BUG_ON(c) do { if (__builtin_expect(!!(c), 0)) { _BUG_FLAGS("ud2", 0); __builtin_unreachable(); } } while (0)
void page_ref_sub(int *refcount, int nr)
{
	BUG_ON(nr <= 0);
	*refcount -= nr;
	BUG_ON(*refcount < LIMIT);
}
)";
	auto run = run_cdo({std::string("#define LIMIT 0\n") + tmpl,
			    std::string("#define LIMIT 1\n") + tmpl},
			   Through::Classify);
	ASSERT_TRUE(run);
	ASSERT_EQ(fn(*run, "page_ref_sub").status, cdo::Status::Changed);
	for (const auto &k : run->ctx.decisions.klp_relocations)
		EXPECT_NE(k.symbol.rfind(".L", 0), 0u)
			<< k.section << "+" << k.offset << " -> " << k.symbol;
	const elf::Section *table = run->patched().find_section("__bug_table");
	ASSERT_TRUE(table && table->rela);
	for (const elf::Relocation &r : table->rela->relocs) {
		auto it = run->ctx.reloc_targets.find(&r);
		ASSERT_NE(it, run->ctx.reloc_targets.end()) << "__bug_table+" << r.offset;
		EXPECT_EQ(it->second.cls, RelocClass::Internal)
			<< "__bug_table+" << r.offset << " -> " << name_of(r.sym) << " as "
			<< it->second.name;
	}
}
