// klp-convert IN.ko OUT.ko on create-diff-object-style modules: each conversion rule,
// symbol table renumbering, what must stay untouched, extending existing livepatch
// sections, determinism, and malformed input.
#include "livepatch/names.h"
#include "klpconv_test.h"

#include <fcntl.h>
#include <gelf.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <set>

using namespace klp;
using namespace klp::livepatch;
using namespace klp::test;

namespace {

constexpr uint64_t klp_rela_flags = SHF_ALLOC | SHF_INFO_LINK | elf::SHF_RELA_LIVEPATCH;

struct Converted {
	TempDir dir;
	std::unique_ptr<elf::Object> in, out;
};

// A fixture module converted once per test.
std::unique_ptr<Converted> convert_fixture(const std::string &name)
{
	auto c = std::make_unique<Converted>();
	std::string out = c->dir.file("out.ko");
	RunResult r = klp_convert(c->dir, {fixture(name), out});
	EXPECT_EQ(r.status, 0) << r.err;
	EXPECT_EQ(r.err, "");
	c->in = read_object(fixture(name));
	c->out = read_object(out);
	return c;
}

// patch.ko: one-object placeholders (older objects) for vmlinux and btrfs targets.
std::unique_ptr<Converted> convert_patch()
{
	return convert_fixture("patch.ko");
}

// The livepatch relocations of `sec_name` as "offset symbol" lines, in order.
std::vector<std::string> klp_entries(const elf::Object &obj, const std::string &sec_name)
{
	std::vector<std::string> out;
	if (const elf::Section *sec = obj.find_section(sec_name))
		for (const elf::Relocation &r : sec->relocs)
			out.push_back(fmt::format("{:#x} {}", r.offset, r.sym ? r.sym->name : "-"));
	return out;
}

std::string sym_label(const elf::Symbol *sym)
{
	return sym ? sym->name : "<none>";
}

// Section name, file offset and alignment as a plain ELF reader sees them.
std::vector<std::tuple<std::string, uint64_t, uint64_t>> section_layout(const std::string &path)
{
	std::vector<std::tuple<std::string, uint64_t, uint64_t>> layout;
	elf_version(EV_CURRENT);
	int fd = open(path.c_str(), O_RDONLY);
	Elf *elf = elf_begin(fd, ELF_C_READ, nullptr);
	size_t shstrndx = 0;
	elf_getshdrstrndx(elf, &shstrndx);
	for (Elf_Scn *scn = elf_nextscn(elf, nullptr); scn; scn = elf_nextscn(elf, scn)) {
		GElf_Shdr sh;
		gelf_getshdr(scn, &sh);
		layout.emplace_back(elf_strptr(elf, shstrndx, sh.sh_name), sh.sh_offset,
				    sh.sh_addralign);
	}
	elf_end(elf);
	close(fd);
	return layout;
}

} // namespace

TEST(Convert, PlaceholderRelocationsMoveToKlpRelaSections)
{
	auto c = convert_patch();
	ASSERT_TRUE(c->in && c->out);
	size_t moved = 0;
	for (auto &in_sec : c->in->sections) {
		if (!in_sec->is_rela() || !in_sec->base->is_alloc())
			continue;
		elf::Section *out_sec = c->out->find_section(in_sec->name);
		ASSERT_TRUE(out_sec) << in_sec->name;
		ASSERT_EQ(out_sec->relocs.size(), in_sec->relocs.size()) << in_sec->name;
		for (size_t i = 0; i < in_sec->relocs.size(); i++) {
			const elf::Relocation &from = in_sec->relocs[i];
			if (!from.sym || !is_placeholder_name(from.sym->name))
				continue;
			PlaceholderTarget placeholder;
			ASSERT_FALSE(parse_placeholder(from.sym->name, placeholder));
			// One object in these names: the section is the symbol's object.
			const KlpSymbol &target = placeholder.sym;
			ASSERT_EQ(placeholder.code_objname, target.objname);
			// The original entry is neutralised in place...
			const elf::Relocation &old = out_sec->relocs[i];
			EXPECT_EQ(old.type, uint32_t(R_X86_64_NONE));
			EXPECT_EQ(old.sym, nullptr);
			EXPECT_EQ(old.addend, 0);
			EXPECT_EQ(old.offset, from.offset);
			// ...and the same relocation is in .klp.rela.<obj>.<base>.
			std::string klp_name = klp_rela_name(target.objname, in_sec->base->name);
			elf::Section *klp = c->out->find_section(klp_name);
			ASSERT_TRUE(klp) << klp_name;
			bool found = false;
			for (const elf::Relocation &r : klp->relocs)
				found |= r.offset == from.offset && r.type == from.type &&
					 r.addend == from.addend && r.sym &&
					 r.sym->name == klp_sym_name(target);
			EXPECT_TRUE(found) << klp_name << " lacks the entry at " << from.offset;
			moved++;
		}
	}
	EXPECT_EQ(moved, 7u); // 3 in each function, 1 in .data.counter_ptr
}

TEST(Convert, KlpRelaSectionsHaveTheKernelsShape)
{
	auto c = convert_patch();
	ASSERT_TRUE(c->out);
	std::set<std::string> names;
	for (auto &sec : c->out->sections) {
		if (!sec->is_livepatch_rela())
			continue;
		names.insert(sec->name);
		EXPECT_EQ(sec->flags, klp_rela_flags) << sec->name;
		EXPECT_EQ(sec->link, c->out->symtab) << sec->name;
		EXPECT_EQ(sec->entsize, sizeof(Elf64_Rela)) << sec->name;
		EXPECT_EQ(sec->addralign, 8u) << sec->name;
		ASSERT_TRUE(sec->base) << sec->name;
		auto objname = klp_rela_objname(sec->name);
		ASSERT_TRUE(objname) << sec->name;
		EXPECT_EQ(sec->name, klp_rela_name(*objname, sec->base->name));
		EXPECT_FALSE(sec->relocs.empty()) << sec->name;
	}
	EXPECT_EQ(names, (std::set<std::string>{".klp.rela.vmlinux..text.patched_vmlinux_fn",
						".klp.rela.btrfs..text.patched_btrfs_fn",
						".klp.rela.vmlinux..text.patched_btrfs_fn",
						".klp.rela.vmlinux..data.counter_ptr"}));

	// An independent reader agrees on flags, link and info.
	RunResult r = run_program(c->dir, KLPCONV_READOBJ, {"--sections", c->dir.file("out.ko")});
	ASSERT_EQ(r.status, 0) << r.err;
	size_t at = r.out.find("Name: .klp.rela.vmlinux..text.patched_vmlinux_fn");
	ASSERT_NE(at, std::string::npos);
	std::string block = r.out.substr(at, r.out.find("}", at) - at);
	EXPECT_NE(block.find("Type: SHT_RELA"), std::string::npos) << block;
	EXPECT_NE(block.find("Flags [ (0x100042)"), std::string::npos) << block;
}

TEST(Convert, KlpSymbolsAreGlobalLivepatchSymbols)
{
	auto c = convert_patch();
	ASSERT_TRUE(c->out);
	std::map<std::string, const elf::Symbol *> klp_syms;
	for (auto &sym : c->out->symbols) {
		if (!sym->name.starts_with(klp_sym_prefix))
			continue;
		EXPECT_TRUE(klp_syms.emplace(sym->name, sym.get()).second)
			<< sym->name << " twice";
		EXPECT_EQ(sym->shndx, elf::SHN_LIVEPATCH) << sym->name;
		EXPECT_EQ(sym->sec, nullptr) << sym->name;
		EXPECT_EQ(sym->bind, STB_GLOBAL) << sym->name;
		EXPECT_EQ(sym->value, 0u) << sym->name;
	}
	ASSERT_EQ(klp_syms.size(), 4u);
	EXPECT_EQ(klp_syms.at(".klp.sym.vmlinux.dup_helper,2")->type, STT_FUNC);
	EXPECT_EQ(klp_syms.at(".klp.sym.vmlinux.secret_counter,0")->type, STT_OBJECT);
	EXPECT_TRUE(klp_syms.count(".klp.sym.btrfs.btrfs_local,0"));
	EXPECT_TRUE(klp_syms.count(".klp.sym.btrfs.btrfs_table,0"));
}

TEST(Convert, ModuleSpecificSectionsReferOnlyToTheirObject)
{
	// Since 5.8 the kernel refuses a vmlinux symbol in .klp.rela.<module>.*: the
	// vmlinux reference of patched_btrfs_fn goes to .klp.rela.vmlinux..text.patched_btrfs_fn.
	auto c = convert_patch();
	ASSERT_TRUE(c->out);
	for (auto &sec : c->out->sections) {
		if (!sec->is_livepatch_rela())
			continue;
		std::string objname = *klp_rela_objname(sec->name);
		for (const elf::Relocation &r : sec->relocs) {
			KlpSymbol target;
			ASSERT_FALSE(parse_klp_symbol(r.sym->name, klp_sym_prefix, target));
			EXPECT_EQ(target.objname, objname) << sec->name << ": " << r.sym->name;
		}
	}
	EXPECT_EQ(c->out->find_section(".klp.rela.vmlinux..text.patched_btrfs_fn")->relocs.size(),
		  1u);
}

// crossmod.ko: vfat's patched vfat_create() calls fat's export fat_build_inode. The
// kernel applies `.klp.rela.<obj>.*` only when patching <obj>: the call must be in
// vfat's section, against fat's symbol (before, it went to .klp.rela.fat.*, which
// nothing applied: the call went through 0).
TEST(Convert, AModulesCodeKeepsAnotherModulesSymbolInItsOwnSection)
{
	auto c = convert_fixture("crossmod.ko");
	ASSERT_TRUE(c->out);
	std::set<std::string> sections;
	for (auto &sec : c->out->sections)
		if (sec->is_livepatch_rela())
			sections.insert(sec->name);
	EXPECT_EQ(sections, (std::set<std::string>{".klp.rela.vfat..text.vfat_create",
						   ".klp.rela.vmlinux..text.vfat_create"}));
	// Offsets from crossmod.o: vfat_creates++, then the call.
	EXPECT_EQ(klp_entries(*c->out, ".klp.rela.vfat..text.vfat_create"),
		  (std::vector<std::string>{"0x15 .klp.sym.vfat.vfat_creates,0",
					    "0x1e .klp.sym.fat.fat_build_inode,0"}));
	// A vmlinux symbol stays in vmlinux's section, whatever the code's object.
	EXPECT_EQ(klp_entries(*c->out, ".klp.rela.vmlinux..text.vfat_create"),
		  (std::vector<std::string>{"0xf .klp.sym.vmlinux.secret_counter,0"}));
	elf::Symbol *fat = c->out->find_symbol(".klp.sym.fat.fat_build_inode,0");
	ASSERT_TRUE(fat);
	EXPECT_EQ(fat->shndx, elf::SHN_LIVEPATCH);
	EXPECT_EQ(fat->type, STT_FUNC);
	for (auto &sym : c->out->symbols)
		EXPECT_FALSE(is_placeholder_name(sym->name)) << sym->name;
	EXPECT_FALSE(c->out->find_section(".klpkit.placeholders"));
}

TEST(Convert, ExportedReferencesStayOrdinary)
{
	auto c = convert_patch();
	ASSERT_TRUE(c->out);
	elf::Symbol *printk = c->out->find_symbol("_printk");
	ASSERT_TRUE(printk);
	EXPECT_TRUE(printk->is_undefined());
	bool referenced = false;
	for (auto &r : c->out->find_section(".rela.text.patched_vmlinux_fn")->relocs)
		referenced |= r.sym == printk && r.type == R_X86_64_PLT32;
	EXPECT_TRUE(referenced);
}

TEST(Convert, NonAllocatedSectionsAreOnlyNeutralised)
{
	// The loader never relocates what it does not load (.debug_*): no .klp.rela
	// section for it, but no reference to a removed placeholder either.
	auto c = convert_patch();
	ASSERT_TRUE(c->out);
	elf::Section *rela = c->out->find_section(".rela.klptest.nonalloc");
	ASSERT_TRUE(rela);
	ASSERT_EQ(rela->relocs.size(), 1u);
	EXPECT_EQ(rela->relocs[0].type, uint32_t(R_X86_64_NONE));
	EXPECT_FALSE(c->out->find_section(".klp.rela.vmlinux..klptest.nonalloc"));
}

TEST(Convert, IntermediatesAreGone)
{
	auto c = convert_patch();
	ASSERT_TRUE(c->out);
	EXPECT_FALSE(c->out->find_section(".klpkit.placeholders"));
	for (auto &sym : c->out->symbols) {
		EXPECT_FALSE(sym->name.starts_with(".klpkit.")) << sym->name;
		EXPECT_NE(sym->name, ".klptest_ph"); // other symbols of the placeholder section
	}
}

TEST(Convert, SymbolTableIsRenumberedConsistently)
{
	auto c = convert_patch();
	ASSERT_TRUE(c->in && c->out);
	// Locals first, sh_info at the first global.
	size_t first_global = c->out->symtab->info;
	for (size_t i = 1; i < c->out->symbols.size(); i++)
		EXPECT_EQ(c->out->symbols[i]->is_local(), i < first_global)
			<< i << " " << c->out->symbols[i]->name;

	// Every kept relocation still refers to the symbol it did, though indices moved.
	bool renumbered = false;
	for (auto &in_sec : c->in->sections) {
		if (!in_sec->is_rela())
			continue;
		elf::Section *out_sec = c->out->find_section(in_sec->name);
		ASSERT_TRUE(out_sec) << in_sec->name;
		for (size_t i = 0; i < in_sec->relocs.size(); i++) {
			const elf::Relocation &a = in_sec->relocs[i], &b = out_sec->relocs[i];
			if (a.sym && is_placeholder_name(a.sym->name))
				continue;
			EXPECT_EQ(sym_label(a.sym), sym_label(b.sym)) << in_sec->name << " " << i;
			EXPECT_EQ(a.type, b.type);
			EXPECT_EQ(a.addend, b.addend);
			renumbered |= a.sym && b.sym && a.sym->index != b.sym->index;
		}
	}
	EXPECT_TRUE(renumbered) << "the fixture should make symbol indices move";

	// An independent reader resolves the same names, without a warning.
	RunResult r = run_program(c->dir, KLPCONV_READOBJ,
				  {"--relocs", "--symbols", c->dir.file("out.ko")});
	ASSERT_EQ(r.status, 0) << r.err;
	EXPECT_EQ(r.err, "");
	EXPECT_NE(r.out.find("R_X86_64_PLT32 _printk"), std::string::npos);
	EXPECT_NE(r.out.find("R_X86_64_PLT32 .klp.sym.vmlinux.dup_helper,2"), std::string::npos);
	EXPECT_NE(r.out.find("R_X86_64_64 .klp.sym.vmlinux.secret_counter,0"), std::string::npos);
}

TEST(Convert, TheRestOfTheModuleIsUntouched)
{
	auto c = convert_patch();
	ASSERT_TRUE(c->in && c->out);
	for (auto &in_sec : c->in->sections) {
		if (in_sec->is_rela() || in_sec->type == SHT_SYMTAB || in_sec->type == SHT_STRTAB ||
		    in_sec->name == ".klpkit.placeholders")
			continue;
		elf::Section *out_sec = c->out->find_section(in_sec->name);
		ASSERT_TRUE(out_sec) << in_sec->name;
		EXPECT_EQ(out_sec->data, in_sec->data) << in_sec->name;
		EXPECT_EQ(out_sec->type, in_sec->type) << in_sec->name;
		EXPECT_EQ(out_sec->flags, in_sec->flags) << in_sec->name;
		EXPECT_EQ(out_sec->addralign, in_sec->addralign) << in_sec->name;
		EXPECT_EQ(out_sec->entsize, in_sec->entsize) << in_sec->name;
	}
	for (const char *name : {".modinfo", "__versions", ".gnu.linkonce.this_module", ".BTF"})
		EXPECT_TRUE(c->out->find_section(name)) << name;
	EXPECT_EQ(c->out->find_section(".gnu.linkonce.this_module")->addralign, 64u);
	// struct module's init and exit pointers.
	auto &mod_relocs = c->out->find_section(".rela.gnu.linkonce.this_module")->relocs;
	ASSERT_EQ(mod_relocs.size(), 2u);
	EXPECT_EQ(mod_relocs[0].sym->name, "klptest_init");
	EXPECT_EQ(mod_relocs[1].sym->name, "klptest_exit");
	// Every section's contents sit at an offset of its alignment.
	for (auto &[name, offset, align] : section_layout(c->dir.file("out.ko"))) {
		if (align > 1) {
			EXPECT_EQ(offset % align, 0u) << name;
		}
	}
}

TEST(Convert, ExtendsExistingLivepatchSections)
{
	// A module that already holds .klp.rela.vmlinux..text.fn and
	// .klp.sym.vmlinux.foo,0: new entries join them instead of duplicating them.
	TempDir dir;
	std::string in = yaml_object(dir, "in.ko", R"(--- !ELF
FileHeader: { Class: ELFCLASS64, Data: ELFDATA2LSB, Type: ET_REL, Machine: EM_X86_64 }
Sections:
  - Name: .text.fn
    Type: SHT_PROGBITS
    Flags: [ SHF_ALLOC, SHF_EXECINSTR ]
    AddressAlign: 16
    Content: "e800000000e800000000e800000000c3"
  - Name: .rela.text.fn
    Type: SHT_RELA
    Flags: [ SHF_INFO_LINK ]
    AddressAlign: 8
    Link: .symtab
    Info: .text.fn
    Relocations:
      - { Offset: 1, Symbol: ".klpkit.sym.vmlinux.foo,0", Type: R_X86_64_PLT32, Addend: -4 }
      - { Offset: 6, Symbol: ".klpkit.sym.vmlinux.bar,0", Type: R_X86_64_PLT32, Addend: -4 }
  - Name: .klp.rela.vmlinux..text.fn
    Type: SHT_RELA
    ShFlags: 0x100042
    AddressAlign: 8
    Link: .symtab
    Info: .text.fn
    Relocations:
      - { Offset: 11, Symbol: ".klp.sym.vmlinux.foo,0", Type: R_X86_64_PLT32, Addend: -4 }
  - Name: .klpkit.placeholders
    Type: SHT_PROGBITS
    Flags: [ SHF_ALLOC ]
    Content: "00"
Symbols:
  - { Name: fn, Type: STT_FUNC, Section: .text.fn, Binding: STB_GLOBAL, Size: 16 }
  - { Name: ".klp.sym.vmlinux.foo,0", Index: 0xff20, Binding: STB_GLOBAL }
  - { Name: ".klpkit.sym.vmlinux.foo,0", Type: STT_FUNC, Section: .klpkit.placeholders, Binding: STB_WEAK }
  - { Name: ".klpkit.sym.vmlinux.bar,0", Type: STT_FUNC, Section: .klpkit.placeholders, Binding: STB_WEAK }
)");
	RunResult r = klp_convert(dir, {in, dir.file("out.ko")});
	ASSERT_EQ(r.status, 0) << r.err;
	auto out = read_object(dir.file("out.ko"));
	ASSERT_TRUE(out);
	std::vector<elf::Section *> klp;
	for (auto &sec : out->sections)
		if (sec->is_livepatch_rela())
			klp.push_back(sec.get());
	ASSERT_EQ(klp.size(), 1u);
	ASSERT_EQ(klp[0]->relocs.size(), 3u);
	EXPECT_EQ(klp[0]->relocs[0].offset, 11u);
	EXPECT_EQ(klp[0]->relocs[1].offset, 1u);
	EXPECT_EQ(klp[0]->relocs[2].offset, 6u);
	EXPECT_EQ(klp[0]->relocs[0].sym, klp[0]->relocs[1].sym);
	EXPECT_EQ(klp[0]->relocs[2].sym->name, ".klp.sym.vmlinux.bar,0");
	size_t foo = 0;
	for (auto &sym : out->symbols)
		foo += sym->name == ".klp.sym.vmlinux.foo,0";
	EXPECT_EQ(foo, 1u);
}

TEST(Convert, RerunsAreByteIdentical)
{
	TempDir dir;
	ASSERT_EQ(klp_convert(dir, {fixture("patch.ko"), dir.file("a.ko")}).status, 0);
	ASSERT_EQ(klp_convert(dir, {fixture("patch.ko"), dir.file("b.ko")}).status, 0);
	auto a = read_bytes(dir.file("a.ko"));
	EXPECT_EQ(a, read_bytes(dir.file("b.ko")));
	// Converting a converted module changes nothing.
	ASSERT_EQ(klp_convert(dir, {dir.file("a.ko"), dir.file("c.ko")}).status, 0);
	EXPECT_EQ(a, read_bytes(dir.file("c.ko")));
}

TEST(Convert, ConvertsInPlace)
{
	TempDir dir;
	std::filesystem::copy_file(fixture("patch.ko"), dir.file("m.ko"));
	ASSERT_EQ(klp_convert(dir, {fixture("patch.ko"), dir.file("ref.ko")}).status, 0);
	ASSERT_EQ(klp_convert(dir, {dir.file("m.ko"), dir.file("m.ko")}).status, 0);
	EXPECT_EQ(read_bytes(dir.file("m.ko")), read_bytes(dir.file("ref.ko")));
}

// Malformed input: one line on stderr, exit status 1, no output file, no leftovers.
class ConvertRefuses : public ::testing::Test {
protected:
	void expect_refused(const std::string &in, const std::string &message)
	{
		std::string out = dir.file("out.ko");
		auto before = dir_entries(dir);
		RunResult r = klp_convert(dir, {in, out});
		EXPECT_EQ(r.status, 1);
		EXPECT_TRUE(r.one_line_error()) << r.err;
		EXPECT_NE(r.err.find(message), std::string::npos) << r.err;
		EXPECT_FALSE(std::filesystem::exists(out));
		EXPECT_EQ(dir_entries(dir), before);
	}
	// A module whose one relocation goes to placeholder `name` defined in `section`.
	std::string placeholder_module(const std::string &name,
				       const std::string &section = ".klpkit.placeholders")
	{
		std::string yaml = replace_all(R"(--- !ELF
FileHeader: { Class: ELFCLASS64, Data: ELFDATA2LSB, Type: ET_REL, Machine: EM_X86_64 }
Sections:
  - Name: .text.fn
    Type: SHT_PROGBITS
    Flags: [ SHF_ALLOC, SHF_EXECINSTR ]
    AddressAlign: 16
    Content: "e800000000c3"
  - Name: .rela.text.fn
    Type: SHT_RELA
    Flags: [ SHF_INFO_LINK ]
    AddressAlign: 8
    Link: .symtab
    Info: .text.fn
    Relocations:
      - { Offset: 1, Symbol: "@PH@", Type: R_X86_64_PLT32, Addend: -4 }
  - Name: .klpkit.placeholders
    Type: SHT_PROGBITS
    Flags: [ SHF_ALLOC ]
    Content: "00"
Symbols:
  - { Name: fn, Type: STT_FUNC, Section: .text.fn, Binding: STB_GLOBAL, Size: 6 }
  - { Name: "@PH@", Type: STT_FUNC, Section: @SEC@, Binding: STB_WEAK }
)",
					       "@PH@", name);
		yaml = replace_all(yaml, "@SEC@", section);
		return yaml_object(dir, "ph" + std::to_string(count++) + ".ko", yaml);
	}
	TempDir dir;
	int count = 0;
};

TEST_F(ConvertRefuses, SignedModule)
{
	std::string in = dir.file("signed.ko");
	std::filesystem::copy_file(fixture("patch.ko"), in);
	std::ofstream(in, std::ios::app) << "fake signature~Module signature appended~\n";
	expect_refused(in, "the module is already signed; run klp-convert before signing");
}

TEST_F(ConvertRefuses, TruncatedFile)
{
	auto bytes = read_bytes(fixture("patch.ko"));
	std::string in = dir.file("cut.ko");
	write_file(in, std::string(bytes.begin(), bytes.begin() + 200));
	expect_refused(in, "cut.ko: ");
}

TEST_F(ConvertRefuses, NotAnElfFile)
{
	std::string in = dir.file("text.ko");
	write_file(in, "this is not a module\n");
	expect_refused(in, "text.ko: not an ELF file");
}

TEST_F(ConvertRefuses, MissingFile)
{
	expect_refused(dir.file("nothing.ko"), "nothing.ko: cannot open");
}

TEST_F(ConvertRefuses, LinkedExecutable)
{
	expect_refused(fixture("vmlinux"), "is not a relocatable module");
}

TEST_F(ConvertRefuses, ObjectNameOf56Characters)
{
	std::string objname(56, 'm');
	expect_refused(placeholder_module(".klpkit.sym." + objname + ".foo,0"),
		       "has 56 characters; the kernel reads at most 55");
}

TEST_F(ConvertRefuses, SymbolNameOf512Characters)
{
	std::string name(512, 's');
	expect_refused(placeholder_module(".klpkit.sym.vmlinux." + name + ",0"),
		       "has 512 characters; the kernel reads at most 511");
}

TEST_F(ConvertRefuses, PlaceholderWithoutPosition)
{
	expect_refused(placeholder_module(".klpkit.sym.vmlinux.foo"), "has no ',<sympos>'");
}

TEST_F(ConvertRefuses, PlaceholderWithoutTheSymbolsObject)
{
	expect_refused(placeholder_module(".klpkit.from.vfat.fat_build_inode,0"),
		       "has no '.' after the object name");
	expect_refused(placeholder_module(".klpkit.from.vfat"),
		       "has no '.' after the code's object name");
}

TEST_F(ConvertRefuses, VmlinuxCodeNamingAModulesSymbol)
{
	// No section can carry it: vmlinux's is applied when the patch module loads,
	// whether or not fat is loaded.
	expect_refused(placeholder_module(".klpkit.from.vmlinux.fat.fat_build_inode,0"),
		       "vmlinux code cannot refer to a symbol of module fat");
}

TEST_F(ConvertRefuses, PlaceholderOutsideItsSection)
{
	expect_refused(placeholder_module(".klpkit.sym.vmlinux.foo,0", ".text.fn"),
		       "a placeholder must be defined in .klpkit.placeholders");
}

TEST_F(ConvertRefuses, RelocationToAMissingSymbol)
{
	std::string in = placeholder_module(".klpkit.sym.vmlinux.foo,0");
	auto obj = read_object(in);
	ASSERT_TRUE(obj);
	size_t rela = obj->find_section(".rela.text.fn")->index;
	// Point the relocation at symbol 200 of 3: r_info's high word, in place.
	elf_version(EV_CURRENT);
	int fd = open(in.c_str(), O_RDWR);
	Elf *elf = elf_begin(fd, ELF_C_READ, nullptr);
	GElf_Shdr sh;
	gelf_getshdr(elf_getscn(elf, rela), &sh);
	elf_end(elf);
	uint32_t bad = 200;
	ASSERT_EQ(pwrite(fd, &bad, 4, off_t(sh.sh_offset + 8 + 4)), 4);
	close(fd);
	expect_refused(in, "relocation 0 points to symbol 200 of");
}

TEST_F(ConvertRefuses, MisnamedLivepatchSection)
{
	std::string in = yaml_object(dir, "misnamed.ko", R"(--- !ELF
FileHeader: { Class: ELFCLASS64, Data: ELFDATA2LSB, Type: ET_REL, Machine: EM_X86_64 }
Sections:
  - Name: .text.fn
    Type: SHT_PROGBITS
    Flags: [ SHF_ALLOC, SHF_EXECINSTR ]
    Content: "e800000000c3"
  - Name: .klp.rela.vmlinux
    Type: SHT_RELA
    ShFlags: 0x100042
    AddressAlign: 8
    Link: .symtab
    Info: .text.fn
    Relocations:
      - { Offset: 1, Symbol: ".klp.sym.vmlinux.foo,0", Type: R_X86_64_PLT32, Addend: -4 }
Symbols:
  - { Name: ".klp.sym.vmlinux.foo,0", Index: 0xff20, Binding: STB_GLOBAL }
)");
	expect_refused(in, "a SHF_RELA_LIVEPATCH section must be named .klp.rela.<object>.<section>");
}

TEST_F(ConvertRefuses, ModuleRelocationInAnInitSection)
{
	std::string in = yaml_object(dir, "init.ko", R"(--- !ELF
FileHeader: { Class: ELFCLASS64, Data: ELFDATA2LSB, Type: ET_REL, Machine: EM_X86_64 }
Sections:
  - Name: .init.text
    Type: SHT_PROGBITS
    Flags: [ SHF_ALLOC, SHF_EXECINSTR ]
    Content: "e800000000c3"
  - Name: .rela.init.text
    Type: SHT_RELA
    Flags: [ SHF_INFO_LINK ]
    AddressAlign: 8
    Link: .symtab
    Info: .init.text
    Relocations:
      - { Offset: 1, Symbol: ".klpkit.sym.btrfs.btrfs_local,0", Type: R_X86_64_PLT32, Addend: -4 }
  - Name: .klpkit.placeholders
    Type: SHT_PROGBITS
    Flags: [ SHF_ALLOC ]
    Content: "00"
Symbols:
  - { Name: ".klpkit.sym.btrfs.btrfs_local,0", Type: STT_FUNC, Section: .klpkit.placeholders, Binding: STB_WEAK }
)");
	expect_refused(in, "refers to btrfs symbol 'btrfs_local'; it would be applied when btrfs "
			   "loads, after the init section is freed");
}

TEST_F(ConvertRefuses, AnotherModulesSymbolInAnInitSection)
{
	// vfat's section is applied when vfat loads, after the patch's init is freed.
	std::string in = yaml_object(dir, "init2.ko", R"(--- !ELF
FileHeader: { Class: ELFCLASS64, Data: ELFDATA2LSB, Type: ET_REL, Machine: EM_X86_64 }
Sections:
  - Name: .init.text
    Type: SHT_PROGBITS
    Flags: [ SHF_ALLOC, SHF_EXECINSTR ]
    Content: "e800000000c3"
  - Name: .rela.init.text
    Type: SHT_RELA
    Flags: [ SHF_INFO_LINK ]
    AddressAlign: 8
    Link: .symtab
    Info: .init.text
    Relocations:
      - { Offset: 1, Symbol: ".klpkit.from.vfat.fat.fat_build_inode,0", Type: R_X86_64_PLT32, Addend: -4 }
  - Name: .klpkit.placeholders
    Type: SHT_PROGBITS
    Flags: [ SHF_ALLOC ]
    Content: "00"
Symbols:
  - { Name: ".klpkit.from.vfat.fat.fat_build_inode,0", Type: STT_FUNC, Section: .klpkit.placeholders, Binding: STB_WEAK }
)");
	expect_refused(in, "refers to fat symbol 'fat_build_inode'; it would be applied when vfat "
			   "loads, after the init section is freed");
}
