// create-diff-object build_output (output.cc): the written intermediate object, read
// back. Copies of the included sections with local symbols, the .klpkit.funcs table
// with its relocations, the livepatch placeholders as docs/intermediate-format.md
// says, a fresh __mcount_loc, and nothing of what stayed unchanged.
#include "cdo_test_util.h"

#include <cstring>

using namespace klp;
using namespace klp::test;

namespace {

const char *orig_src = R"(
#define noinline __attribute__((noinline))
extern void kfree(void *p);
extern int hidden_helper(int x);
static int counter;
static noinline int local_helper(int x) { return x * 3 + counter; }
int bystander(int x) { return x + 1; }
int fixed(void *p, int x)
{
	counter++;
	kfree(p);
	return local_helper(x) + hidden_helper(x);
}
int second(int x) { return x * 5; }
)";

const char *patched_src = R"(
#define noinline __attribute__((noinline))
extern void kfree(void *p);
extern int hidden_helper(int x);
extern int printk(const char *fmt, ...);
static int counter;
static noinline int local_helper(int x) { return x * 3 + counter; }
static noinline int new_helper(int x) { printk("new %d\n", x); return x ^ 0x5a; }
int bystander(int x) { return x + 1; }
int fixed(void *p, int x)
{
	counter++;
	kfree(p);
	return local_helper(x) + hidden_helper(x) + new_helper(x);
}
int second(int x) { return x * 6; }
)";

const char *symvers = "0x037a0cba\tkfree\tvmlinux\tEXPORT_SYMBOL\t\n"
		      "0x11111111\tprintk\tvmlinux\tEXPORT_SYMBOL\t\n";

struct Written {
	std::unique_ptr<CdoRun> run;
	std::unique_ptr<elf::Object> out;
};

Written written()
{
	Written w;
	CdoCase c{orig_src, patched_src};
	c.symvers = symvers;
	w.run = run_cdo(c, Through::Output);
	if (!w.run)
		return w;
	auto out = elf::Object::read(w.run->out_path());
	EXPECT_TRUE(out) << (out ? "" : out.error().message());
	if (out)
		w.out = std::move(*out);
	return w;
}

uint64_t u64_at(const elf::Section *sec, uint64_t off)
{
	uint64_t v = 0;
	std::memcpy(&v, sec->data.data() + off, 8);
	return v;
}

std::string string_at(const elf::Section *sec, int64_t off)
{
	if (off < 0 || uint64_t(off) >= sec->data.size())
		return "(out of range)";
	return std::string(reinterpret_cast<const char *>(sec->data.data()) + off);
}

} // namespace

TEST(CdoOutput, IncludedSectionsAndNothingElse)
{
	Written w = written();
	ASSERT_TRUE(w.out);
	for (const char *name : {".text.fixed", ".rela.text.fixed", ".text.second", ".text.new_helper",
				 ".klpkit.funcs", ".rela.klpkit.funcs", ".klpkit.strings",
				 ".klpkit.placeholders", "__mcount_loc", ".note.GNU-stack"})
		EXPECT_TRUE(w.out->find_section(name)) << name;
	for (const char *name : {".text.bystander", ".text.local_helper", ".bss.counter",
				 ".klpkit.ignore.functions"})
		EXPECT_FALSE(w.out->find_section(name)) << name;
	EXPECT_EQ(w.out->machine, EM_X86_64);
	EXPECT_EQ(w.out->elf_type, ET_REL);

	// The code is copied as is; its symbols are local to the patch.
	const elf::Section *text = w.out->find_section(".text.fixed");
	EXPECT_EQ(text->data, w.run->psym("fixed")->sec->data);
	const elf::Symbol *fixed = w.out->find_symbol("fixed");
	ASSERT_TRUE(fixed);
	EXPECT_EQ(fixed->bind, STB_LOCAL);
	EXPECT_EQ(fixed->type, STT_FUNC);
	EXPECT_EQ(fixed->sec, text);
	EXPECT_EQ(fixed->size, w.run->psym("fixed")->size);
	// The translation unit's file symbol leads the local symbols.
	const elf::Symbol *file = w.out->find_symbol("unit.c");
	ASSERT_TRUE(file);
	EXPECT_EQ(file->type, STT_FILE);
}

TEST(CdoOutput, FuncsTableEntries)
{
	Written w = written();
	ASSERT_TRUE(w.out);
	const elf::Section *funcs = w.out->find_section(".klpkit.funcs");
	ASSERT_TRUE(funcs);
	EXPECT_EQ(funcs->type, SHT_PROGBITS);
	EXPECT_TRUE(funcs->flags & SHF_ALLOC);
	EXPECT_EQ(funcs->addralign, 8u);
	// fixed and second; not the new helper.
	ASSERT_EQ(funcs->size(), 2 * 32u);
	const elf::Section *strings = w.out->find_section(".klpkit.strings");
	ASSERT_TRUE(strings);
	ASSERT_TRUE(funcs->rela);
	ASSERT_EQ(funcs->rela->relocs.size(), 6u);

	std::set<std::string> names;
	for (uint64_t base = 0; base < funcs->size(); base += 32) {
		SCOPED_TRACE(::testing::Message() << "entry at " << base);
		// Pointer fields are zero in the bytes and relocated.
		EXPECT_EQ(u64_at(funcs, base), 0u);
		EXPECT_EQ(u64_at(funcs, base + 8), 0u);
		EXPECT_EQ(u64_at(funcs, base + 16), 0u);
		EXPECT_EQ(u64_at(funcs, base + 24), 0u); // sympos: unique in vmlinux
		const elf::Relocation *field[3] = {};
		for (const elf::Relocation &r : funcs->rela->relocs)
			if (r.offset >= base && r.offset < base + 24 && (r.offset - base) % 8 == 0)
				field[(r.offset - base) / 8] = &r;
		ASSERT_TRUE(field[0] && field[1] && field[2]);
		for (const elf::Relocation *r : field)
			EXPECT_EQ(r->type, R_X86_64_64);
		// new_func: the patch's copy of the function.
		const elf::Symbol *fn = field[0]->sym;
		ASSERT_TRUE(fn);
		EXPECT_EQ(fn->type, STT_FUNC);
		EXPECT_EQ(fn->bind, STB_LOCAL);
		ASSERT_TRUE(fn->sec);
		EXPECT_EQ(fn->sec->name, ".text." + fn->name);
		EXPECT_EQ(field[0]->addend, 0);
		// old_name and objname: strings in .klpkit.strings.
		for (int i : {1, 2}) {
			ASSERT_TRUE(field[i]->sym);
			EXPECT_EQ(field[i]->sym->sec, strings);
		}
		auto str = [&](const elf::Relocation *r) {
			return string_at(strings, r->addend + int64_t(r->sym->value));
		};
		EXPECT_EQ(str(field[1]), fn->name);
		EXPECT_EQ(str(field[2]), "vmlinux");
		names.insert(fn->name);
	}
	EXPECT_EQ(names, (std::set<std::string>{"fixed", "second"}));
}

TEST(CdoOutput, PlaceholderSymbols)
{
	Written w = written();
	ASSERT_TRUE(w.out);
	const elf::Section *ph = w.out->find_section(".klpkit.placeholders");
	ASSERT_TRUE(ph);
	EXPECT_EQ(ph->type, SHT_PROGBITS);
	EXPECT_EQ(ph->flags, uint64_t(SHF_ALLOC));
	EXPECT_EQ(ph->size(), 1u);

	struct Want {
		const char *name;
		uint8_t type;
	};
	for (const Want &want : {Want{".klpkit.from.vmlinux.vmlinux.local_helper,0", STT_FUNC},
				 Want{".klpkit.from.vmlinux.vmlinux.counter,0", STT_OBJECT},
				 Want{".klpkit.from.vmlinux.vmlinux.hidden_helper,0", STT_NOTYPE}}) {
		SCOPED_TRACE(want.name);
		const elf::Symbol *sym = w.out->find_symbol(want.name);
		ASSERT_TRUE(sym);
		EXPECT_EQ(sym->bind, STB_WEAK);
		EXPECT_EQ(sym->other, STV_DEFAULT);
		EXPECT_EQ(sym->type, want.type);
		EXPECT_EQ(sym->size, 0u);
		EXPECT_EQ(sym->sec, ph);
		EXPECT_EQ(sym->value, 0u);
	}
	// One placeholder per target, however many relocations use it.
	int placeholders = 0;
	for (auto &sym : w.out->symbols)
		placeholders += sym->name.rfind(".klpkit.from.", 0) == 0;
	EXPECT_EQ(placeholders, 3);
}

TEST(CdoOutput, RelocationsKeepTypeOffsetAddendWithNewTargets)
{
	Written w = written();
	ASSERT_TRUE(w.out);
	const elf::Section *in = w.run->psym("fixed")->sec;
	const elf::Section *out = w.out->find_section(".text.fixed");
	ASSERT_TRUE(out && out->rela && in->rela);
	ASSERT_EQ(out->rela->relocs.size(), in->rela->relocs.size());
	for (size_t i = 0; i < in->rela->relocs.size(); i++) {
		const elf::Relocation &a = in->rela->relocs[i], &b = out->rela->relocs[i];
		SCOPED_TRACE(::testing::Message() << "+" << a.offset << " " << name_of(a.sym));
		EXPECT_EQ(b.offset, a.offset);
		EXPECT_EQ(b.type, a.type);
		EXPECT_EQ(b.addend, a.addend);
		ASSERT_TRUE(b.sym);
		const std::string &t = a.sym->name;
		if (t == "kfree" || t == "__fentry__") {
			// Exports: undefined globals the module loader resolves.
			EXPECT_EQ(b.sym->name, t);
			EXPECT_TRUE(b.sym->is_undefined());
			EXPECT_EQ(b.sym->bind, STB_GLOBAL);
		} else if (t == "new_helper") {
			EXPECT_EQ(b.sym->name, "new_helper");
			EXPECT_EQ(b.sym->sec, w.out->find_section(".text.new_helper"));
		} else {
			EXPECT_EQ(b.sym->name, ".klpkit.from.vmlinux.vmlinux." + t + ",0");
		}
	}
}

TEST(CdoOutput, McountLocForEveryIncludedFunction)
{
	Written w = written();
	ASSERT_TRUE(w.out);
	const elf::Section *mcount = w.out->find_section("__mcount_loc");
	ASSERT_TRUE(mcount);
	EXPECT_TRUE(mcount->flags & SHF_ALLOC);
	// fixed, second and new_helper: each starts with `call __fentry__`.
	ASSERT_EQ(mcount->size(), 3 * 8u);
	ASSERT_TRUE(mcount->rela);
	ASSERT_EQ(mcount->rela->relocs.size(), 3u);
	std::set<std::string> sites;
	for (const elf::Relocation &r : mcount->rela->relocs) {
		EXPECT_EQ(r.offset % 8, 0u);
		EXPECT_EQ(u64_at(mcount, r.offset), 0u);
		EXPECT_EQ(r.type, R_X86_64_64);
		ASSERT_TRUE(r.sym && r.sym->sec);
		EXPECT_TRUE(r.sym->is_section());
		EXPECT_EQ(r.addend, 0);
		sites.insert(r.sym->sec->name);
	}
	EXPECT_EQ(sites, (std::set<std::string>{".text.fixed", ".text.second", ".text.new_helper"}));
}

TEST(CdoOutput, CallbackObjnameFilled)
{
	const char *tmpl = R"(
struct klpkit_callback { void *fn; const char *objname; };
struct dcache { unsigned int nr; unsigned long buckets[64]; };
struct dcache global_dcache;
void dcache_flush(struct dcache *c)
{
	for (unsigned int i = 0; i < c->nr; i++)
		c->buckets[i] = FILL;
}
)";
	std::string patched = std::string("#define FILL 1\n") + tmpl + R"(
static int flush_before_patch(void *obj) { dcache_flush(&global_dcache); return 0; }
static struct klpkit_callback __klpkit_pre_patch_flush
	__attribute__((used, section(".klpkit.callbacks.pre_patch"), aligned(8))) =
	{ (void *)flush_before_patch, 0 };
)";
	CdoCase c{std::string("#define FILL 0\n") + tmpl, patched};
	c.parent = "dcache_mod";
	auto run = run_cdo(c, Through::Output);
	ASSERT_TRUE(run);
	auto out = elf::Object::read(run->out_path());
	ASSERT_TRUE(out) << out.error().message();
	const elf::Section *cb = (*out)->find_section(".klpkit.callbacks.pre_patch");
	ASSERT_TRUE(cb);
	ASSERT_EQ(cb->size(), 16u);
	ASSERT_TRUE(cb->rela);
	const elf::Section *strings = (*out)->find_section(".klpkit.strings");
	ASSERT_TRUE(strings);
	bool fn = false, objname = false;
	for (const elf::Relocation &r : cb->rela->relocs) {
		ASSERT_TRUE(r.sym);
		if (r.offset == 0) {
			fn = true;
			EXPECT_EQ(r.sym->name, "flush_before_patch");
		} else if (r.offset == 8) {
			objname = true;
			EXPECT_EQ(r.sym->sec, strings);
			EXPECT_EQ(string_at(strings, r.addend + int64_t(r.sym->value)), "dcache_mod");
		}
	}
	EXPECT_TRUE(fn);
	EXPECT_TRUE(objname);
}

// MODULE_IMPORT_NS(CRYPTO_INTERNAL) in the patched file: the patch module must import
// the namespace too, or the loader refuses its use of the namespaced exports.
TEST(CdoOutput, CarriesImportNamespacesIntoModinfo)
{
	std::string ns_patched = std::string(patched_src) + R"(
static const char __import_ns[] __attribute__((section(".modinfo"), used, aligned(1))) =
	"import_ns=CRYPTO_INTERNAL";
static const char __license[] __attribute__((section(".modinfo"), used, aligned(1))) =
	"license=GPL";
)";
	CdoCase c{orig_src, ns_patched.c_str()};
	c.symvers = symvers;
	auto run = run_cdo(c, Through::Output);
	ASSERT_TRUE(run);
	auto out = elf::Object::read(run->out_path());
	ASSERT_TRUE(out) << out.error().message();
	const elf::Section *modinfo = (*out)->find_section(".modinfo");
	ASSERT_NE(modinfo, nullptr);
	std::string contents(modinfo->data.begin(), modinfo->data.end());
	EXPECT_EQ(contents, std::string("import_ns=CRYPTO_INTERNAL\0", 26));
}
