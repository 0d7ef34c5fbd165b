// Hand-written livepatch modules: `klp-convert symbols` writing the target's map,
// and `klp-convert --symbols` resolving undefined references from the map and the
// KLP_MODULE_RELOC()/KLP_SYMPOS() annotations of kmod-template/klp-convert.h.
#include "livepatch/names.h"
#include "klpconv_test.h"
#include "symbol_map.h"

#include <set>

using namespace klp;
using namespace klp::convert;
using namespace klp::test;

namespace {

// The map of the fixture kernel: vmlinux (dup_helper twice), btrfs, Module.symvers.
std::string make_map(const TempDir &dir, const std::string &name = "symbols.klp")
{
	std::string out = dir.file(name);
	RunResult r = klp_convert(dir, {"symbols", "--vmlinux", fixture("vmlinux"), "--module",
					"btrfs=" + fixture("btrfs.ko"), "--symvers",
					source_fixture("Module.symvers"), "-o", out});
	EXPECT_EQ(r.status, 0) << r.err;
	return out;
}

std::set<std::string> klp_symbols(const elf::Object &obj)
{
	std::set<std::string> names;
	for (auto &sym : obj.symbols)
		if (sym->shndx == elf::SHN_LIVEPATCH)
			names.insert(sym->name);
	return names;
}

std::set<std::string> undefined_symbols(const elf::Object &obj)
{
	std::set<std::string> names;
	for (auto &sym : obj.symbols)
		if (sym->is_undefined() && !sym->name.empty())
			names.insert(sym->name);
	return names;
}

} // namespace

TEST(Symbols, FromVmlinuxModulesAndSymvers)
{
	TempDir dir;
	auto map = SymbolMap::read(make_map(dir));
	ASSERT_TRUE(map) << map.error().message();
	const MapObject *vmlinux = map->object("vmlinux");
	ASSERT_TRUE(vmlinux);
	auto dups = vmlinux->find("dup_helper");
	ASSERT_EQ(dups.size(), 2u);
	// Address order: vmlinux_a.c's copy comes first.
	EXPECT_EQ(dups[0]->sympos, 1u);
	EXPECT_EQ(dups[0]->file, "vmlinux_a.c");
	EXPECT_EQ(dups[1]->sympos, 2u);
	EXPECT_EQ(dups[1]->file, "vmlinux_b.c");
	EXPECT_EQ(vmlinux->find("secret_counter").at(0)->sympos, 0u);
	const MapObject *btrfs = map->object("btrfs");
	ASSERT_TRUE(btrfs);
	EXPECT_EQ(btrfs->find("btrfs_local").size(), 1u);
	ASSERT_TRUE(map->exporter("_printk"));
	EXPECT_EQ(*map->exporter("_printk"), "vmlinux");
	ASSERT_TRUE(map->exporter("btrfs_entry"));
	EXPECT_EQ(*map->exporter("btrfs_entry"), "btrfs");
}

TEST(Symbols, FromAKallsymsDump)
{
	// Exports come from the __ksymtab_<name> entries when there is no Module.symvers.
	TempDir dir;
	RunResult r = klp_convert(dir, {"symbols", "--kallsyms", source_fixture("kallsyms.txt"),
					"-o", dir.file("k.klp")});
	ASSERT_EQ(r.status, 0) << r.err;
	auto map = SymbolMap::read(dir.file("k.klp"));
	ASSERT_TRUE(map) << map.error().message();
	EXPECT_EQ(map->object("vmlinux")->find("dup_helper").size(), 2u);
	EXPECT_EQ(map->object("btrfs")->find("shared_name").size(), 1u);
	ASSERT_TRUE(map->exporter("btrfs_entry"));
	EXPECT_EQ(*map->exporter("btrfs_entry"), "btrfs");
	EXPECT_TRUE(map->exporter("_printk"));
	EXPECT_FALSE(map->exporter("dup_helper"));
}

TEST(Symbols, TheMapIsDeterministic)
{
	TempDir dir;
	EXPECT_EQ(read_bytes(make_map(dir, "a.klp")), read_bytes(make_map(dir, "b.klp")));
}

TEST(Symbols, RefusesABadModuleArgument)
{
	TempDir dir;
	RunResult r = klp_convert(dir, {"symbols", "--vmlinux", fixture("vmlinux"), "--module",
					fixture("btrfs.ko"), "-o", dir.file("x.klp")});
	EXPECT_EQ(r.status, 1);
	EXPECT_TRUE(r.one_line_error()) << r.err;
	EXPECT_NE(r.err.find("expected NAME=FILE.ko"), std::string::npos) << r.err;
	EXPECT_FALSE(std::filesystem::exists(dir.file("x.klp")));
}

TEST(HandWritten, MapAndAnnotationsResolveEveryReference)
{
	TempDir dir;
	std::string map = make_map(dir);
	RunResult r = klp_convert(dir, {"--symbols", map, fixture("handwritten.ko"),
					dir.file("out.ko")});
	ASSERT_EQ(r.status, 0) << r.err;
	auto out = read_object(dir.file("out.ko"));
	ASSERT_TRUE(out);
	EXPECT_EQ(klp_symbols(*out), (std::set<std::string>{
					     ".klp.sym.vmlinux.dup_helper,2",  // annotated
					     ".klp.sym.vmlinux.secret_counter,0", // map
					     ".klp.sym.btrfs.btrfs_local,0",      // map
					     ".klp.sym.btrfs.shared_name,0",      // annotated
				     }));
	// Exports stay for the module loader.
	EXPECT_EQ(undefined_symbols(*out), (std::set<std::string>{"_printk", "__fentry__"}));
	for (auto &sec : out->sections)
		EXPECT_FALSE(sec->name.starts_with(".klp.module_relocs")) << sec->name;
	for (auto &sym : out->symbols)
		EXPECT_FALSE(sym->name.starts_with("__klp_convert_relocs_")) << sym->name;
	EXPECT_TRUE(out->find_section(".klp.rela.vmlinux..text.livepatch_fn"));
	EXPECT_TRUE(out->find_section(".klp.rela.btrfs..text.livepatch_fn"));

	// And the verifier agrees with the result.
	RunResult check = klp_convert(dir, {"--check", dir.file("out.ko"), "--symbols", map});
	EXPECT_EQ(check.status, 0) << check.out << check.err;
	EXPECT_EQ(check.out, "");
}

TEST(HandWritten, AnnotationsAloneNeedNoMap)
{
	TempDir dir;
	RunResult r = klp_convert(dir, {fixture("handwritten.ko"), dir.file("out.ko")});
	ASSERT_EQ(r.status, 0) << r.err;
	auto out = read_object(dir.file("out.ko"));
	ASSERT_TRUE(out);
	EXPECT_EQ(klp_symbols(*out), (std::set<std::string>{".klp.sym.vmlinux.dup_helper,2",
							   ".klp.sym.btrfs.shared_name,0"}));
	EXPECT_EQ(undefined_symbols(*out),
		  (std::set<std::string>{"_printk", "__fentry__", "secret_counter", "btrfs_local"}));
}

TEST(HandWritten, ConversionIsDeterministic)
{
	TempDir dir;
	std::string map = make_map(dir);
	ASSERT_EQ(klp_convert(dir, {"--symbols", map, fixture("handwritten.ko"), dir.file("a.ko")})
			  .status,
		  0);
	ASSERT_EQ(klp_convert(dir, {"--symbols", map, fixture("handwritten.ko"), dir.file("b.ko")})
			  .status,
		  0);
	EXPECT_EQ(read_bytes(dir.file("a.ko")), read_bytes(dir.file("b.ko")));
}

class HandWrittenRefused : public ::testing::Test {
protected:
	void expect_refused(const std::string &module, const std::string &message,
			    bool with_map = true)
	{
		std::vector<std::string> args;
		if (with_map)
			args = {"--symbols", map};
		args.push_back(module);
		args.push_back(dir.file("out.ko"));
		RunResult r = klp_convert(dir, args);
		EXPECT_EQ(r.status, 1);
		EXPECT_TRUE(r.one_line_error()) << r.err;
		EXPECT_NE(r.err.find(message), std::string::npos) << r.err;
		EXPECT_FALSE(std::filesystem::exists(dir.file("out.ko")));
	}
	TempDir dir;
	std::string map = make_map(dir);
};

TEST_F(HandWrittenRefused, AmbiguousAcrossObjects)
{
	expect_refused(fixture("handwritten_plain.ko"),
		       "'shared_name' is ambiguous: vmlinux,0 (vmlinux_a.c), btrfs,0 (btrfs.c); "
		       "say which with KLP_SYMPOS(shared_name, <pos>) in "
		       "KLP_MODULE_RELOC(<object>)");
}

TEST_F(HandWrittenRefused, AmbiguousWithinAnObject)
{
	expect_refused(fixture("handwritten_dup.ko"),
		       "'dup_helper' is ambiguous: vmlinux,1 (vmlinux_a.c), vmlinux,2 "
		       "(vmlinux_b.c)");
}

TEST_F(HandWrittenRefused, AnnotationTheMapContradicts)
{
	expect_refused(fixture("handwritten_badpos.ko"),
		       "KLP_SYMPOS(dup_helper, 3) in .klp.module_relocs.vmlinux: vmlinux has 2 "
		       "symbols 'dup_helper'; there is no position 3");
}

TEST_F(HandWrittenRefused, NameFoundNowhere)
{
	expect_refused(fixture("handwritten_unknown.ko"),
		       "'no_such_symbol' is neither exported nor a symbol of any object in the "
		       "symbol map");
}

TEST_F(HandWrittenRefused, MapWithoutExports)
{
	std::string bare = dir.file("bare.klp");
	write_file(bare, "klp-convert-symbols 1\nobject vmlinux\nsym foo 0 t -\n");
	map = bare;
	expect_refused(fixture("handwritten.ko"), "the symbol map lists no exports");
}

TEST_F(HandWrittenRefused, RecordOfTheWrongSize)
{
	std::string in = yaml_object(dir, "short.ko", R"(--- !ELF
FileHeader: { Class: ELFCLASS64, Data: ELFDATA2LSB, Type: ET_REL, Machine: EM_X86_64 }
Sections:
  - Name: .klp.module_relocs.vmlinux
    Type: SHT_PROGBITS
    Flags: [ SHF_ALLOC ]
    AddressAlign: 8
    Content: "000000000000000002000000"
Symbols:
  - { Name: foo, Binding: STB_GLOBAL }
)");
	expect_refused(in, "size 12 is not a whole number of 16-byte KLP_SYMPOS() records", false);
}

TEST_F(HandWrittenRefused, AnnotationOfADefinedSymbol)
{
	std::string in = yaml_object(dir, "defined.ko", R"(--- !ELF
FileHeader: { Class: ELFCLASS64, Data: ELFDATA2LSB, Type: ET_REL, Machine: EM_X86_64 }
Sections:
  - Name: .text.foo
    Type: SHT_PROGBITS
    Flags: [ SHF_ALLOC, SHF_EXECINSTR ]
    Content: "c3"
  - Name: .klp.module_relocs.vmlinux
    Type: SHT_PROGBITS
    Flags: [ SHF_ALLOC ]
    AddressAlign: 8
    Content: "00000000000000000000000000000000"
  - Name: .rela.klp.module_relocs.vmlinux
    Type: SHT_RELA
    Flags: [ SHF_INFO_LINK ]
    AddressAlign: 8
    Link: .symtab
    Info: .klp.module_relocs.vmlinux
    Relocations:
      - { Offset: 0, Symbol: foo, Type: R_X86_64_64 }
Symbols:
  - { Name: foo, Type: STT_FUNC, Section: .text.foo, Binding: STB_GLOBAL, Size: 1 }
)");
	expect_refused(in, "record 0 names symbol", false);
}
