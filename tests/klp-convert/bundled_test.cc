// klp-convert --core bundled: the `.klpkit.relocs` table of klpkit's bundled core
// holds the relocations the kernel's path would put in `.klp.rela.*` (with their loc
// relocations, header and deduplicated strings), bytes are deterministic, what a
// kernel without CONFIG_LIVEPATCH rejects is refused; and the verifier on such modules.
#include "livepatch/names.h"
#include "arch/arch.h"
#include "livepatch/tables.h"
#include "klpconv_test.h"

#include <cstddef>
#include <functional>
#include <set>

using namespace klp;
using namespace klp::livepatch;
using namespace klp::test;

namespace {

// kmod-template/klpkit-core.h's structs as a C compiler lays them out: the offsets
// lib/livepatch/tables.h gives the tools must be these.
struct CRelocsHeader {
	uint32_t magic;
	uint16_t version;
	uint16_t entry_size;
	uint32_t count;
	uint32_t size;
};
struct CReloc {
	uint64_t loc;
	int64_t addend;
	uint32_t type;
	uint32_t sympos;
	uint32_t name;
	uint32_t objname;
	uint32_t sec_objname;
	uint8_t sym_type;
	uint8_t pad[3];
};
static_assert(sizeof(CRelocsHeader) == KlpkitRelocsHeader::size);
static_assert(offsetof(CRelocsHeader, magic) == KlpkitRelocsHeader::magic);
static_assert(offsetof(CRelocsHeader, version) == KlpkitRelocsHeader::version);
static_assert(offsetof(CRelocsHeader, entry_size) == KlpkitRelocsHeader::entry_size);
static_assert(offsetof(CRelocsHeader, count) == KlpkitRelocsHeader::count);
static_assert(offsetof(CRelocsHeader, size) == KlpkitRelocsHeader::table_size);
static_assert(sizeof(CReloc) == KlpkitReloc::size);
static_assert(offsetof(CReloc, loc) == KlpkitReloc::loc);
static_assert(offsetof(CReloc, addend) == KlpkitReloc::addend);
static_assert(offsetof(CReloc, type) == KlpkitReloc::type);
static_assert(offsetof(CReloc, sympos) == KlpkitReloc::sympos);
static_assert(offsetof(CReloc, name) == KlpkitReloc::name);
static_assert(offsetof(CReloc, objname) == KlpkitReloc::objname);
static_assert(offsetof(CReloc, sec_objname) == KlpkitReloc::sec_objname);
static_assert(offsetof(CReloc, sym_type) == KlpkitReloc::sym_type);
static_assert(offsetof(CReloc, pad) == KlpkitReloc::pad);

// The empty table the template writes: "KLPR", version 1, 40-byte entries, count 0,
// size 16.
const std::string template_header = "4b4c5052010028000000000010000000";

uint64_t le(const std::vector<uint8_t> &d, size_t at, unsigned width)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < width; i++)
		v |= uint64_t(d.at(at + i)) << (8 * i);
	return v;
}

void put_le(std::vector<uint8_t> &d, size_t at, uint64_t v, unsigned width)
{
	for (unsigned i = 0; i < width; i++)
		d.at(at + i) = uint8_t(v >> (8 * i));
}

std::string c_string(const std::vector<uint8_t> &d, size_t at)
{
	std::string s;
	while (d.at(at))
		s += char(d[at++]);
	return s;
}

// One table entry as the core reads it, `loc` resolved through its relocation:
// "<section>+0x<off> <type> <addend> <obj>.<name>,<pos> <sec obj> <sym_type>", the
// shape the kernel path's entries are written in below for comparison.
std::vector<std::string> table_entries(const elf::Object &obj)
{
	std::vector<std::string> out;
	const elf::Section *table = obj.find_section(relocs_section);
	if (!table)
		return out;
	const std::vector<uint8_t> &d = table->data;
	for (uint64_t i = 0; i < le(d, 8, 4); i++) {
		size_t at = 16 + 40 * i;
		std::string loc = "?";
		if (table->rela)
			for (const elf::Relocation &r : table->rela->relocs)
				if (r.offset == at && r.sym && r.sym->sec)
					loc = fmt::format("{}+{:#x}", r.sym->sec->name,
							  r.sym->value + uint64_t(r.addend));
		out.push_back(fmt::format("{} {} {} {}.{},{} {} {}", loc,
					  arch::reloc_type_name(obj.machine, uint32_t(le(d, at + 16, 4))),
					  int64_t(le(d, at + 8, 8)), c_string(d, le(d, at + 28, 4)),
					  c_string(d, le(d, at + 24, 4)), le(d, at + 20, 4),
					  c_string(d, le(d, at + 32, 4)), d[at + 36]));
	}
	return out;
}

// The kernel path's livepatch relocations in the same shape, in its section order.
std::vector<std::string> klp_rela_entries(const elf::Object &obj)
{
	std::vector<std::string> out;
	for (auto &sec : obj.sections) {
		if (!sec->is_livepatch_rela())
			continue;
		std::string sec_objname = *klp_rela_objname(sec->name);
		for (const elf::Relocation &r : sec->relocs) {
			KlpSymbol sym;
			EXPECT_FALSE(parse_klp_symbol(r.sym->name, klp_sym_prefix, sym));
			out.push_back(fmt::format("{}+{:#x} {} {} {}.{},{} {} {}", sec->base->name,
						  r.offset, arch::reloc_type_name(obj.machine, r.type),
						  r.addend, sym.objname, sym.name, sym.sympos,
						  sec_objname, r.sym->type));
		}
	}
	return out;
}

std::multiset<std::string> as_set(const std::vector<std::string> &v)
{
	return {v.begin(), v.end()};
}

std::string hex(const std::string &bytes)
{
	std::string out;
	for (unsigned char c : bytes)
		out += fmt::format("{:02x}", c);
	return out;
}

class Bundled : public ::testing::Test {
protected:
	// `klp-convert [--core CORE] IN OUT` into dir/OUT; the output read back.
	std::unique_ptr<elf::Object> convert(const std::string &in, const std::string &out,
					     const std::string &core = "bundled")
	{
		std::vector<std::string> args = {in, dir.file(out)};
		if (!core.empty())
			args.insert(args.begin(), {"--core", core});
		RunResult r = klp_convert(dir, args);
		EXPECT_EQ(r.status, 0) << r.err;
		EXPECT_EQ(r.err, "");
		return r.status == 0 ? read_object(dir.file(out)) : nullptr;
	}
	// Refused: one line on stderr, exit status 1, nothing written.
	void expect_refused(const std::string &in, const std::string &message)
	{
		std::string out = dir.file("refused.ko");
		auto before = dir_entries(dir);
		RunResult r = klp_convert(dir, {"--core", "bundled", in, out});
		EXPECT_EQ(r.status, 1);
		EXPECT_TRUE(r.one_line_error()) << r.err;
		EXPECT_NE(r.err.find(message), std::string::npos) << r.err;
		EXPECT_FALSE(std::filesystem::exists(out));
		EXPECT_EQ(dir_entries(dir), before);
	}
	// A module for the bundled core: fn calls vmlinux's foo through a placeholder.
	// The section `@TEXT@` has no section symbol; @...@ is what a test changes.
	std::string module(std::vector<std::pair<std::string, std::string>> changes = {})
	{
		std::vector<std::pair<std::string, std::string>> params = {
			{"@TEXT@", ".text.fn"},
			{"@PH@", ".klpkit.from.vmlinux.vmlinux.foo,0"},
			{"@HEADER@", template_header},
			{"@EXTRA@", ""},
			{"@MORESYMS@", ""},
		};
		for (auto &[key, value] : changes)
			for (auto &p : params)
				if (p.first == key)
					p.second = value;
		std::string yaml = R"(--- !ELF
FileHeader: { Class: ELFCLASS64, Data: ELFDATA2LSB, Type: ET_REL, Machine: EM_X86_64 }
Sections:
  - Name: @TEXT@
    Type: SHT_PROGBITS
    Flags: [ SHF_ALLOC, SHF_EXECINSTR ]
    AddressAlign: 16
    Content: "e800000000c3"
  - Name: .rela@TEXT@
    Type: SHT_RELA
    Flags: [ SHF_INFO_LINK ]
    AddressAlign: 8
    Link: .symtab
    Info: @TEXT@
    Relocations:
      - { Offset: 1, Symbol: "@PH@", Type: R_X86_64_PLT32, Addend: -4 }
  - Name: .klpkit.placeholders
    Type: SHT_PROGBITS
    Flags: [ SHF_ALLOC ]
    Content: "00"
  - Name: .klpkit.relocs
    Type: SHT_PROGBITS
    Flags: [ SHF_ALLOC ]
    AddressAlign: 8
    Content: "@HEADER@"@EXTRA@
Symbols:
  - { Name: fn, Type: STT_FUNC, Section: @TEXT@, Binding: STB_GLOBAL, Size: 6 }
  - { Name: "@PH@", Type: STT_FUNC, Section: .klpkit.placeholders, Binding: STB_WEAK }@MORESYMS@
)";
		for (auto &[key, value] : params)
			yaml = replace_all(yaml, key, value);
		return yaml_object(dir, "m" + std::to_string(count++) + ".ko", yaml);
	}

	TempDir dir;
	int count = 0;
};

} // namespace

// crossmod: vfat's vfat_create() uses a vmlinux static, a static of vfat and fat's
// fat_build_inode: three objects, vfat's name used three times.
TEST_F(Bundled, TheTableHoldsTheKernelPathsRelocations)
{
	auto kernel = convert(fixture("crossmod_bundled.ko"), "kernel.ko", "kernel");
	auto out = convert(fixture("crossmod_bundled.ko"), "bundled.ko");
	ASSERT_TRUE(kernel && out);
	// In the order of the module's relocations: vfat_creates++ at 0x15 comes after
	// secret_counter's load at 0xf.
	std::vector<std::string> expected = {
		".text.vfat_create+0xf R_X86_64_PC32 -4 vmlinux.secret_counter,0 vmlinux 1",
		".text.vfat_create+0x15 R_X86_64_PC32 -5 vfat.vfat_creates,0 vfat 1",
		".text.vfat_create+0x1e R_X86_64_PLT32 -4 fat.fat_build_inode,0 vfat 2",
	};
	EXPECT_EQ(table_entries(*out), expected);
	EXPECT_EQ(as_set(table_entries(*out)), as_set(klp_rela_entries(*kernel)));
}

TEST_F(Bundled, HeaderCountSizeAndDeduplicatedStrings)
{
	auto out = convert(fixture("crossmod_bundled.ko"), "out.ko");
	ASSERT_TRUE(out);
	const elf::Section *table = out->find_section(relocs_section);
	ASSERT_TRUE(table);
	const std::vector<uint8_t> &d = table->data;
	std::string strings("secret_counter\0vmlinux\0vfat_creates\0vfat\0fat_build_inode\0fat\0",
			    61);
	uint64_t strings_at = 16 + 3 * 40;
	EXPECT_EQ(le(d, 0, 4), relocs_magic);
	EXPECT_EQ(le(d, 4, 2), 1u);
	EXPECT_EQ(le(d, 6, 2), 40u);
	EXPECT_EQ(le(d, 8, 4), 3u);
	EXPECT_EQ(le(d, 12, 4), strings_at + strings.size());
	// Padded to 8 bytes, with zeros.
	ASSERT_EQ(d.size(), 200u);
	EXPECT_EQ(std::string(d.begin() + long(strings_at), d.end()),
		  strings + std::string(3, '\0'));
	EXPECT_EQ(table->addralign, 8u);
	EXPECT_EQ(table->flags & SHF_ALLOC, uint64_t(SHF_ALLOC));
	// "vfat" once: objname of entry 1, sec_objname of entries 1 and 2.
	uint64_t vfat = strings_at + strings.find(std::string("vfat\0", 5));
	EXPECT_EQ(le(d, 16 + 40 + 28, 4), vfat);
	EXPECT_EQ(le(d, 16 + 40 + 32, 4), vfat);
	EXPECT_EQ(le(d, 16 + 80 + 32, 4), vfat);
	// loc, in the bytes, and the padding are zero.
	for (size_t i = 0; i < 3; i++) {
		EXPECT_EQ(le(d, 16 + 40 * i, 8), 0u) << i;
		EXPECT_EQ(le(d, 16 + 40 * i + 37, 3), 0u) << i;
	}
}

TEST_F(Bundled, LocIsAnAbsoluteRelocationToThePlace)
{
	auto out = convert(fixture("crossmod_bundled.ko"), "out.ko");
	ASSERT_TRUE(out);
	const elf::Section *table = out->find_section(relocs_section);
	ASSERT_TRUE(table && table->rela);
	const elf::Section *rela = table->rela;
	EXPECT_EQ(rela->name, ".rela.klpkit.relocs");
	EXPECT_EQ(rela->type, uint32_t(SHT_RELA));
	EXPECT_EQ(rela->flags, uint64_t(SHF_INFO_LINK));
	EXPECT_EQ(rela->link, out->symtab);
	EXPECT_EQ(rela->info_section, table);
	EXPECT_EQ(rela->entsize, 24u);
	EXPECT_EQ(rela->addralign, 8u);
	const elf::Section *text = out->find_section(".text.vfat_create");
	ASSERT_EQ(rela->relocs.size(), 3u);
	std::vector<int64_t> places = {0xf, 0x15, 0x1e};
	for (size_t i = 0; i < 3; i++) {
		const elf::Relocation &r = rela->relocs[i];
		EXPECT_EQ(r.offset, 16 + 40 * i);
		EXPECT_EQ(r.type, uint32_t(R_X86_64_64));
		ASSERT_TRUE(r.sym);
		EXPECT_TRUE(r.sym->is_section());
		EXPECT_EQ(r.sym->sec, text);
		EXPECT_EQ(r.addend, places[i]);
	}
	// An independent reader agrees, without a warning.
	RunResult r = run_program(dir, KLPCONV_READOBJ, {"--relocs", dir.file("out.ko")});
	ASSERT_EQ(r.status, 0) << r.err;
	EXPECT_EQ(r.err, "");
	EXPECT_NE(r.out.find("0x60 R_X86_64_64 .text.vfat_create 0x1E"), std::string::npos)
		<< r.out;
}

TEST_F(Bundled, NoKernelLivepatchFormatIsWritten)
{
	auto in = read_object(fixture("crossmod_bundled.ko"));
	auto out = convert(fixture("crossmod_bundled.ko"), "out.ko");
	ASSERT_TRUE(in && out);
	for (auto &sec : out->sections) {
		EXPECT_FALSE(sec->flags & elf::SHF_RELA_LIVEPATCH) << sec->name;
		EXPECT_FALSE(sec->name.starts_with(klp_rela_prefix)) << sec->name;
	}
	for (auto &sym : out->symbols) {
		EXPECT_NE(sym->shndx, elf::SHN_LIVEPATCH) << sym->name;
		EXPECT_FALSE(sym->name.starts_with(".klp.")) << sym->name;
		if (!sym->is_section()) {
			EXPECT_FALSE(sym->name.starts_with(".klpkit.")) << sym->name;
		}
	}
	EXPECT_FALSE(out->find_section(placeholder_section));
	// The original entries are neutralised as on the kernel's path.
	const auto &before = in->find_section(".rela.text.vfat_create")->relocs;
	const auto &after = out->find_section(".rela.text.vfat_create")->relocs;
	ASSERT_EQ(before.size(), after.size());
	size_t neutralised = 0;
	for (size_t i = 0; i < before.size(); i++) {
		if (!before[i].sym || !is_placeholder_name(before[i].sym->name))
			continue;
		EXPECT_EQ(after[i].type, uint32_t(R_X86_64_NONE));
		EXPECT_EQ(after[i].sym, nullptr);
		EXPECT_EQ(after[i].addend, 0);
		EXPECT_EQ(after[i].offset, before[i].offset);
		neutralised++;
	}
	EXPECT_EQ(neutralised, 3u);
}

// patch: two objects' functions, an R_X86_64_64 in data, and a non-allocated
// section that is only neutralised, as on the kernel's path.
TEST_F(Bundled, SameDecisionsAsTheKernelPath)
{
	auto kernel = convert(fixture("patch_bundled.ko"), "kernel.ko", "kernel");
	auto out = convert(fixture("patch_bundled.ko"), "bundled.ko");
	ASSERT_TRUE(kernel && out);
	std::vector<std::string> entries = table_entries(*out);
	EXPECT_EQ(entries.size(), 7u);
	EXPECT_EQ(as_set(entries), as_set(klp_rela_entries(*kernel)));
	EXPECT_NE(std::find(entries.begin(), entries.end(),
			    ".data.counter_ptr+0x0 R_X86_64_64 0 vmlinux.secret_counter,0 "
			    "vmlinux 1"),
		  entries.end());
	elf::Section *nonalloc = out->find_section(".rela.klptest.nonalloc");
	ASSERT_TRUE(nonalloc);
	ASSERT_EQ(nonalloc->relocs.size(), 1u);
	EXPECT_EQ(nonalloc->relocs[0].type, uint32_t(R_X86_64_NONE));
	for (const std::string &e : entries)
		EXPECT_FALSE(e.starts_with(".klptest.nonalloc")) << e;
}

TEST_F(Bundled, ASectionSymbolIsAddedWhereTheModuleHasNone)
{
	std::string in = module();
	auto before = read_object(in);
	ASSERT_TRUE(before);
	for (auto &sym : before->symbols)
		ASSERT_FALSE(sym->is_section()) << "the fixture should lack section symbols";
	auto out = convert(in, "out.ko");
	ASSERT_TRUE(out);
	const elf::Section *text = out->find_section(".text.fn");
	const elf::Relocation &loc = out->find_section(".rela.klpkit.relocs")->relocs.at(0);
	ASSERT_TRUE(loc.sym);
	EXPECT_TRUE(loc.sym->is_section());
	EXPECT_TRUE(loc.sym->is_local());
	EXPECT_EQ(loc.sym->sec, text);
	EXPECT_EQ(loc.addend, 1);
	EXPECT_EQ(table_entries(*out),
		  (std::vector<std::string>{".text.fn+0x1 R_X86_64_PLT32 -4 vmlinux.foo,0 vmlinux 2"}));
	size_t first_global = out->symtab->info;
	for (size_t i = 1; i < out->symbols.size(); i++)
		EXPECT_EQ(out->symbols[i]->is_local(), i < first_global) << out->symbols[i]->name;
}

TEST_F(Bundled, RerunsAreByteIdentical)
{
	ASSERT_TRUE(convert(fixture("crossmod_bundled.ko"), "a.ko"));
	ASSERT_TRUE(convert(fixture("crossmod_bundled.ko"), "b.ko"));
	EXPECT_EQ(read_bytes(dir.file("a.ko")), read_bytes(dir.file("b.ko")));
	// --core kernel is the default, byte for byte.
	ASSERT_TRUE(convert(fixture("patch.ko"), "default.ko", ""));
	ASSERT_TRUE(convert(fixture("patch.ko"), "kernel.ko", "kernel"));
	EXPECT_EQ(read_bytes(dir.file("default.ko")), read_bytes(dir.file("kernel.ko")));
}

TEST_F(Bundled, RefusesAModuleNotBuiltForTheBundledCore)
{
	expect_refused(fixture("patch.ko"), "patch.ko: no .klpkit.relocs section: the module was "
					    "not built for the bundled core (KLPKIT_CORE=bundled)");
}

TEST_F(Bundled, RefusesAMalformedHeader)
{
	std::vector<std::pair<std::string, std::string>> cases = {
		{"4b4c5053010028000000000010000000", "magic 0x53504c4b is not 0x52504c4b"},
		{"4b4c5052020028000000000010000000", "version 2 is not 1"},
		{"4b4c5052010020000000000010000000", "entry size 32 is not 40"},
		{"4b4c5052010028000100000010000000", "count 1 is not 0 (converted already?)"},
		{"4b4c5052010028000000000018000000", "size 24 is not 16"},
		{template_header + "0000000000000000", "the section has 24 bytes, not the header's 16"},
		{"4b4c505201002800", "has 8 bytes, fewer than the 16-byte header"},
	};
	for (const auto &[header, message] : cases) {
		SCOPED_TRACE(message);
		expect_refused(module({{"@HEADER@", header}}),
			       "(.klpkit.relocs): malformed header: " + message);
	}
}

TEST_F(Bundled, RefusesAConvertedModule)
{
	ASSERT_TRUE(convert(fixture("crossmod_bundled.ko"), "once.ko"));
	expect_refused(dir.file("once.ko"), "malformed header: count 3 is not 0 (converted "
					    "already?); the template writes an empty table");
}

TEST_F(Bundled, RefusesALivepatchModinfo)
{
	std::string modinfo = hex(std::string("license=GPL\0livepatch=Y\0", 24));
	expect_refused(module({{"@EXTRA@", "\n  - { Name: .modinfo, Type: SHT_PROGBITS, Flags: "
					   "[ SHF_ALLOC ], Content: \"" +
						   modinfo + "\" }"}}),
		       ".modinfo has livepatch=Y: a kernel without CONFIG_LIVEPATCH refuses to "
		       "load the module");
}

TEST_F(Bundled, RefusesKernelLivepatchSectionsAndSymbols)
{
	expect_refused(module({{"@EXTRA@", R"(
  - Name: .klp.rela.vmlinux..text.fn
    Type: SHT_RELA
    ShFlags: 0x100042
    AddressAlign: 8
    Link: .symtab
    Info: .text.fn
    Relocations:
      - { Offset: 1, Symbol: ".klp.sym.vmlinux.bar,0", Type: R_X86_64_PLT32, Addend: -4 })"},
			       {"@MORESYMS@",
				"\n  - { Name: \".klp.sym.vmlinux.bar,0\", Index: 0xff20, "
				"Binding: STB_GLOBAL }"}}),
		       "(.klp.rela.vmlinux..text.fn): a livepatch relocation section in a module "
		       "for the bundled core");
	expect_refused(module({{"@MORESYMS@", "\n  - { Name: \".klp.sym.vmlinux.bar,0\", Index: "
					      "0xff20, Binding: STB_GLOBAL }"}}),
		       "(.klp.sym.vmlinux.bar,0): a livepatch symbol in a module for the bundled "
		       "core");
}

TEST_F(Bundled, RefusesWhatTheKernelPathRefuses)
{
	// A module's relocation into init code would be applied when btrfs loads, after
	// the init section is freed.
	expect_refused(module({{"@TEXT@", ".init.text"},
				{"@PH@", ".klpkit.from.btrfs.btrfs.btrfs_local,0"}}),
		       "refers to btrfs symbol 'btrfs_local'; it would be applied when btrfs "
		       "loads, after the init section is freed");
	expect_refused(module({{"@PH@", ".klpkit.from.vmlinux.fat.fat_build_inode,0"}}),
		       "vmlinux code cannot refer to a symbol of module fat");
}

// The loader reads jump labels, static call sites and alternatives while it loads
// the module; the core relocates only at the patch module's init.
TEST_F(Bundled, RefusesPlacesTheLoaderReadsFirst)
{
	for (std::string sec : {"__jump_table", ".static_call_sites", ".altinstr_replacement",
				".altinstructions", "__ex_table"})
		expect_refused(module({{"@TEXT@", sec}}),
			       "the loader reads " + sec + " before the bundled core relocates it");
	// Code run in place (static_cpu_has()'s .altinstr_aux) is relocated in time.
	EXPECT_TRUE(convert(module({{"@TEXT@", ".altinstr_aux"}}), "aux.ko"));
}

// The verifier on bundled modules: recognised by `.klpkit.relocs`, each entry checked
// like a `.klp.rela` relocation and its `.klp.sym.` symbol.
class BundledCheck : public Bundled {
protected:
	RunResult check(const std::string &path)
	{
		return klp_convert(dir, {"--check", path, "--vmlinux", fixture("vmlinux"),
					 "--module", "btrfs=" + fixture("btrfs.ko"), "--module",
					 "fat=" + fixture("fat.ko"), "--module",
					 "vfat=" + fixture("vfat.ko"), "--symvers",
					 source_fixture("Module.symvers")});
	}
	// The converted fixture `name`, changed by `edit` and written to dir/NAME.
	std::string edited(const std::string &fixture_name, const std::string &name,
			   const std::function<void(elf::Object &)> &edit,
			   const std::string &core = "bundled")
	{
		auto out = convert(fixture(fixture_name), name + ".converted.ko", core);
		EXPECT_TRUE(out);
		if (!out)
			return "";
		edit(*out);
		auto written = out->write(dir.file(name));
		EXPECT_TRUE(written) << (written ? "" : written.error().message());
		return dir.file(name);
	}
	// Exactly one problem line, containing `message`.
	void expect_problem(const std::string &path, const std::string &message)
	{
		RunResult r = check(path);
		EXPECT_EQ(r.status, 1) << r.err;
		EXPECT_EQ(r.err, "");
		EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;
		EXPECT_NE(r.out.find(message), std::string::npos) << r.out;
	}
	static std::vector<uint8_t> &table(elf::Object &obj)
	{
		return obj.find_section(relocs_section)->data;
	}
	// The entry of symbol `name` (table_entries() order).
	static size_t entry_of(const elf::Object &obj, const std::string &name)
	{
		auto entries = table_entries(obj);
		for (size_t i = 0; i < entries.size(); i++)
			if (entries[i].find("." + name + ",") != std::string::npos)
				return i;
		ADD_FAILURE() << name << " is in no entry";
		return 0;
	}
};

TEST_F(BundledCheck, ConvertedBundledFixturesPass)
{
	for (const char *name : {"crossmod_bundled.ko", "patch_bundled.ko"}) {
		ASSERT_TRUE(convert(fixture(name), name));
		RunResult r = check(dir.file(name));
		EXPECT_EQ(r.status, 0) << name << ": " << r.out << r.err;
		EXPECT_EQ(r.out, "") << name;
	}
}

TEST_F(BundledCheck, AStringOutsideTheTable)
{
	std::string path = edited("crossmod_bundled.ko", "bad.ko", [](elf::Object &obj) {
		put_le(table(obj), 16 + 24, 0x1000, 4); // entry 0's name
	});
	expect_problem(path, "(.klpkit.relocs): entry 0: name at 0x1000 is outside the strings "
			     "(0x88 to 0xc5)");
}

TEST_F(BundledCheck, AStringWithoutItsNul)
{
	// The last string, "fat", loses its NUL to the header's size.
	std::string path = edited("crossmod_bundled.ko", "bad.ko", [](elf::Object &obj) {
		put_le(table(obj), 12, 0xc4, 4);
	});
	expect_problem(path, "entry 2: objname at 0xc1 has no NUL within the table's size 196");
}

TEST_F(BundledCheck, AnAmbiguousPosition)
{
	std::string path = edited("patch_bundled.ko", "bad.ko", [](elf::Object &obj) {
		put_le(table(obj), 16 + 40 * entry_of(obj, "dup_helper") + 20, 0, 4);
	});
	expect_problem(path, "(.klpkit.relocs): vmlinux symbol 'dup_helper',0: vmlinux has 2 "
			     "symbols 'dup_helper'; position 0 is refused as ambiguous");
}

TEST_F(BundledCheck, ASymbolTheObjectLacks)
{
	// "secret_counter" becomes "secret_counteR".
	std::string path = edited("crossmod_bundled.ko", "bad.ko", [](elf::Object &obj) {
		table(obj).at(16 + 120 + 13) = 'R';
	});
	expect_problem(path, "vmlinux has no symbol 'secret_counteR'");
}

TEST_F(BundledCheck, ATypeTheCoreDoesNotWrite)
{
	std::string path = edited("crossmod_bundled.ko", "bad.ko", [](elf::Object &obj) {
		put_le(table(obj), 16 + 16, R_X86_64_GOTPCREL, 4);
	});
	expect_problem(path, "entry 0 at .text.vfat_create+0xf: R_X86_64_GOTPCREL is not a type "
			     "the bundled core writes on x86_64");
}

TEST_F(BundledCheck, AMissingLocRelocation)
{
	std::string path = edited("crossmod_bundled.ko", "bad.ko", [](elf::Object &obj) {
		auto &relocs = obj.find_section(".rela.klpkit.relocs")->relocs;
		relocs.erase(relocs.begin() + 1);
	});
	expect_problem(path, "(.klpkit.relocs): entry 1: loc has 0 relocations, not one");
}

TEST_F(BundledCheck, ALocPastItsSection)
{
	std::string path = edited("crossmod_bundled.ko", "bad.ko", [](elf::Object &obj) {
		obj.find_section(".rela.klpkit.relocs")->relocs[2].addend = 0x1000;
	});
	expect_problem(path, "entry 2 at .text.vfat_create+0x1000: 4 bytes there run past the end "
			     "of .text.vfat_create");
}

TEST_F(BundledCheck, TheWrongObjectAppliesAnEntry)
{
	// fat_build_inode's entry applied with fat: vfat's code would call through 0
	// unless fat itself is patched.
	std::string path = edited("crossmod_bundled.ko", "bad.ko", [](elf::Object &obj) {
		std::vector<uint8_t> &d = table(obj);
		put_le(d, 16 + 80 + 32, le(d, 16 + 80 + 28, 4), 4);
	});
	expect_problem(path, "entry 2 at .text.vfat_create+0x1e: vfat_create+0x1e is code of vfat "
			     "(.klpkit.funcs), but the entry is applied only when fat is patched; "
			     "its sec_objname should be vfat");
}

TEST_F(BundledCheck, ALivepatchModinfo)
{
	std::string path = edited("crossmod_bundled.ko", "bad.ko", [](elf::Object &obj) {
		std::string lp("livepatch=Y", 12);
		auto &modinfo = obj.find_section(".modinfo")->data;
		modinfo.insert(modinfo.end(), lp.begin(), lp.end());
	});
	expect_problem(path, ".modinfo has livepatch=Y, but the module is for the bundled core "
			     "(.klpkit.relocs): a kernel without CONFIG_LIVEPATCH refuses to load "
			     "it");
}

TEST_F(BundledCheck, KernelLivepatchFormatInABundledModule)
{
	// The kernel's conversion, with the table added afterwards.
	auto out = convert(fixture("crossmod.ko"), "kernel.ko", "kernel");
	ASSERT_TRUE(out);
	elf::Section *table = out->add_section(std::string(relocs_section), SHT_PROGBITS,
					       SHF_ALLOC, 8);
	for (size_t i = 0; i < template_header.size(); i += 2)
		table->data.push_back(uint8_t(std::stoul(template_header.substr(i, 2), nullptr, 16)));
	ASSERT_TRUE(out->write(dir.file("mixed.ko")));
	RunResult r = check(dir.file("mixed.ko"));
	EXPECT_EQ(r.status, 1);
	EXPECT_NE(r.out.find(".modinfo has livepatch=Y, but the module is for the bundled core"),
		  std::string::npos)
		<< r.out;
	EXPECT_NE(r.out.find("(.klp.rela.vfat..text.vfat_create): a livepatch relocation section "
			     "in a module for the bundled core"),
		  std::string::npos)
		<< r.out;
	EXPECT_NE(r.out.find("(.klp.sym.fat.fat_build_inode,0): a livepatch symbol in a module "
			     "for the bundled core"),
		  std::string::npos)
		<< r.out;
	EXPECT_EQ(r.out.find("has no livepatch=Y"), std::string::npos) << r.out;
}

TEST_F(BundledCheck, WithoutTheTableAModuleIsTheKernelCores)
{
	// The kernel's conversion of the bundled frame: no table entries, no livepatch=Y.
	std::string path = edited("patch_bundled.ko", "no-table.ko", [](elf::Object &obj) {
		elf::Section *table = obj.find_section(relocs_section);
		for (auto &sym : obj.symbols)
			if (sym->sec == table)
				obj.remove_symbol(sym.get());
		obj.remove_section(table);
	}, "kernel");
	RunResult r = check(path);
	EXPECT_EQ(r.status, 1);
	EXPECT_EQ(r.out.find(".klpkit.relocs"), std::string::npos) << r.out;
	EXPECT_NE(r.out.find(".modinfo has no livepatch=Y"), std::string::npos) << r.out;
}

TEST_F(BundledCheck, AnUnconvertedBundledModule)
{
	// The template's empty table: the placeholders are the problem, not livepatch=Y.
	RunResult r = check(fixture("patch_bundled.ko"));
	EXPECT_EQ(r.status, 1);
	EXPECT_NE(r.out.find("placeholder is left; run klp-convert"), std::string::npos) << r.out;
	EXPECT_EQ(r.out.find("livepatch=Y"), std::string::npos) << r.out;
}
