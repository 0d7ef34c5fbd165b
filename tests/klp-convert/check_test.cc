// klp-convert --check: a clean module passes silently; each rule, broken alone in
// an otherwise correct module, gives its one line and exit status 1.
#include "klpconv_test.h"

#include <fstream>

using namespace klp;
using namespace klp::test;

namespace {

// A correct converted module: fn calls __fentry__ (exported) and, through a
// livepatch relocation, the second dup_helper of vmlinux. @NAME@ marks what a test
// may change.
const char *module_yaml = R"(--- !ELF
FileHeader: { Class: ELFCLASS64, Data: ELFDATA2LSB, Type: ET_REL, Machine: EM_X86_64 }
Sections:
  - Name: .text.fn
    Type: SHT_PROGBITS
    Flags: [ SHF_ALLOC, SHF_EXECINSTR ]
    AddressAlign: 16
    Content: "@TEXT@"
  - Name: .rela.text.fn
    Type: SHT_RELA
    Flags: [ SHF_INFO_LINK ]
    AddressAlign: 8
    Link: .symtab
    Info: .text.fn
    Relocations:
      - { Offset: 1, Symbol: __fentry__, Type: R_X86_64_PLT32, Addend: -4 }@PLAIN@
  - Name: @KLPNAME@
    Type: SHT_RELA
    ShFlags: @KLPFLAGS@
    AddressAlign: 8
    Link: .symtab
    Info: @KLPINFO@
    Relocations:
      - { Offset: 6, Symbol: "@KLPRELSYM@", Type: @RELTYPE@, Addend: -4 }
  - Name: .modinfo
    Type: SHT_PROGBITS
    Flags: [ SHF_ALLOC ]
    Content: "@MODINFO@"
  - Name: .note.nonalloc
    Type: SHT_PROGBITS
    Content: "00000000000000000000000000000000"@EXTRA@@SYMTAB@
Symbols:@LOCALSYMS@
  - { Name: fn, Type: STT_FUNC, Section: .text.fn, Binding: STB_GLOBAL, Size: 11 }
  - { Name: "@KLPSYM@", Index: 0xff20, Binding: STB_GLOBAL }
  - { Name: __fentry__, Binding: STB_GLOBAL }@MORESYMS@
)";

std::string hex(const std::string &bytes)
{
	std::string out;
	for (unsigned char c : bytes)
		out += fmt::format("{:02x}", c);
	return out;
}

class Check : public ::testing::Test {
protected:
	Check()
	{
		params = {
			{"@TEXT@", "e800000000e800000000c3"},
			{"@PLAIN@", ""},
			{"@KLPNAME@", ".klp.rela.vmlinux..text.fn"},
		
			{"@KLPFLAGS@", "0x100042"},
			{"@KLPINFO@", ".text.fn"},
			{"@KLPRELSYM@", "@KLPSYM@"},
			{"@RELTYPE@", "R_X86_64_PLT32"},
			{"@KLPSYM@", ".klp.sym.vmlinux.dup_helper,2"},
			{"@MODINFO@", hex(std::string("livepatch=Y\0name=lp_check\0", 26))},
			{"@EXTRA@", ""},
			{"@SYMTAB@", ""},
			{"@MORESYMS@", ""},
			{"@LOCALSYMS@", ""},
		};
		RunResult r = klp_convert(dir, {"symbols", "--vmlinux", fixture("vmlinux"),
						"--module", "btrfs=" + fixture("btrfs.ko"),
						"--module", "fat=" + fixture("fat.ko"),
						"--module", "vfat=" + fixture("vfat.ko"),
						"--symvers", source_fixture("Module.symvers"), "-o",
						map});
		EXPECT_EQ(r.status, 0) << r.err;
	}
	std::string module()
	{
		std::string yaml = module_yaml;
		for (const auto &[key, value] : params)
			yaml = replace_all(yaml, key, value);
		return yaml_object(dir, "m" + std::to_string(count++) + ".ko", yaml);
	}
	RunResult check(const std::string &path)
	{
		return klp_convert(dir, {"--check", path, "--symbols", map});
	}
	// Exactly one problem line, containing `message`.
	void expect_problem(const std::string &message)
	{
		RunResult r = check(module());
		EXPECT_EQ(r.status, 1) << r.err;
		EXPECT_EQ(r.err, "");
		EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;
		EXPECT_NE(r.out.find(message), std::string::npos) << r.out;
	}

	TempDir dir;
	std::string map = dir.file("symbols.klp");
	std::vector<std::pair<std::string, std::string>> params;
	int count = 0;

	void set(const std::string &key, const std::string &value)
	{
		for (auto &p : params)
			if (p.first == key)
				p.second = value;
	}
	// A `.klpkit.funcs` entry, as create-diff-object writes it, registering
	// function `func` (fn, or `other`, which calls `other_calls`) as code of
	// `objname`.
	void register_func(const std::string &func, const std::string &objname,
			   const std::string &other_calls = "fn")
	{
		std::string strings = func + '\0' + objname + '\0';
		set("@EXTRA@", fmt::format(R"(
  - Name: .text.other
    Type: SHT_PROGBITS
    Flags: [ SHF_ALLOC, SHF_EXECINSTR ]
    AddressAlign: 16
    Content: "e800000000c3"
  - Name: .rela.text.other
    Type: SHT_RELA
    Flags: [ SHF_INFO_LINK ]
    AddressAlign: 8
    Link: .symtab
    Info: .text.other
    Relocations:
      - {{ Offset: 1, Symbol: {}, Type: R_X86_64_PLT32, Addend: -4 }}
  - Name: .klpkit.strings
    Type: SHT_PROGBITS
    Flags: [ SHF_ALLOC, SHF_MERGE, SHF_STRINGS ]
    EntSize: 1
    Content: "{}"
  - Name: .klpkit.funcs
    Type: SHT_PROGBITS
    Flags: [ SHF_ALLOC ]
    AddressAlign: 8
    Content: "{}"
  - Name: .rela.klpkit.funcs
    Type: SHT_RELA
    Flags: [ SHF_INFO_LINK ]
    AddressAlign: 8
    Link: .symtab
    Info: .klpkit.funcs
    Relocations:
      - {{ Offset: 0, Symbol: {}, Type: R_X86_64_64 }}
      - {{ Offset: 8, Symbol: .klpkit.strings, Type: R_X86_64_64 }}
      - {{ Offset: 16, Symbol: .klpkit.strings, Type: R_X86_64_64, Addend: {} }})",
					   other_calls, hex(strings), std::string(64, '0'),
					   func, func.size() + 1));
		set("@LOCALSYMS@", "\n  - { Name: .klpkit.strings, Type: STT_SECTION, Section: "
				   ".klpkit.strings }");
		set("@MORESYMS@", "\n  - { Name: other, Type: STT_FUNC, Section: .text.other, "
				  "Binding: STB_GLOBAL, Size: 6 }");
	}
	// fn's livepatch relocation in `section`, against fat's fat_build_inode.
	void call_fat_from(const std::string &section)
	{
		set("@KLPNAME@", section);
		set("@KLPSYM@", ".klp.sym.fat.fat_build_inode,0");
	}
};

} // namespace

TEST_F(Check, ACorrectModulePassesSilently)
{
	RunResult r = check(module());
	EXPECT_EQ(r.status, 0) << r.out << r.err;
	EXPECT_EQ(r.out, "");
	EXPECT_EQ(r.err, "");
}

TEST_F(Check, AConvertedFixturePasses)
{
	ASSERT_EQ(klp_convert(dir, {fixture("patch.ko"), dir.file("p.ko")}).status, 0);
	RunResult r = klp_convert(dir, {"--check", dir.file("p.ko"), "--vmlinux",
					fixture("vmlinux"), "--module", "btrfs=" + fixture("btrfs.ko"),
					"--symvers", source_fixture("Module.symvers")});
	EXPECT_EQ(r.status, 0) << r.out << r.err;
	EXPECT_EQ(r.out, "");
}

// crossmod.ko, converted: vfat's code with fat's symbol in .klp.rela.vfat.*. The
// verifier needs fat's symbols to check `.klp.sym.fat.`; without them it says which
// module is missing.
TEST_F(Check, AConvertedCrossModuleFixturePasses)
{
	ASSERT_EQ(klp_convert(dir, {fixture("crossmod.ko"), dir.file("c.ko")}).status, 0);
	std::vector<std::string> args = {"--check",  dir.file("c.ko"),
					 "--vmlinux", fixture("vmlinux"),
					 "--module",  "vfat=" + fixture("vfat.ko"),
					 "--symvers", source_fixture("Module.symvers")};
	RunResult without_fat = klp_convert(dir, args);
	EXPECT_EQ(without_fat.status, 1);
	EXPECT_EQ(std::count(without_fat.out.begin(), without_fat.out.end(), '\n'), 1)
		<< without_fat.out;
	EXPECT_NE(without_fat.out.find("(.klp.sym.fat.fat_build_inode,0): no symbols of fat were "
				       "given (--module fat=FILE.ko"),
		  std::string::npos)
		<< without_fat.out;
	args.insert(args.end(), {"--module", "fat=" + fixture("fat.ko")});
	RunResult r = klp_convert(dir, args);
	EXPECT_EQ(r.status, 0) << r.out << r.err;
	EXPECT_EQ(r.out, "");
}

TEST_F(Check, NoLivepatchModinfo)
{
	set("@MODINFO@", hex(std::string("license=GPL\0name=lp_check\0", 26)));
	expect_problem(".modinfo has no livepatch=Y");
}

TEST_F(Check, ModuleNameTooLong)
{
	std::string name(56, 'n');
	set("@MODINFO@", hex("livepatch=Y" + std::string(1, '\0') + "name=" + name + '\0'));
	expect_problem("module name '" + name + "' has 56 characters; the kernel allows at most 55");
}

TEST_F(Check, UnconvertedModule)
{
	RunResult r = check(fixture("patch.ko"));
	EXPECT_EQ(r.status, 1);
	EXPECT_NE(r.out.find("(.klpkit.sym.vmlinux.dup_helper,2): a create-diff-object "
			     "placeholder is left; run klp-convert"),
		  std::string::npos)
		<< r.out;
	EXPECT_NE(r.out.find("(.klpkit.placeholders): an intermediate section is left"),
		  std::string::npos)
		<< r.out;
}

TEST_F(Check, AnnotationsLeft)
{
	RunResult r = check(fixture("handwritten.ko"));
	EXPECT_EQ(r.status, 1);
	EXPECT_NE(r.out.find("(.klp.module_relocs.vmlinux): an intermediate section is left"),
		  std::string::npos)
		<< r.out;
	EXPECT_NE(r.out.find("undefined symbol 'dup_helper' is not exported by the target kernel"),
		  std::string::npos)
		<< r.out;
}

TEST_F(Check, KlpRelaWithoutAlloc)
{
	set("@KLPFLAGS@", "0x100040");
	expect_problem("lacks SHF_ALLOC; the loader would free it");
}

TEST_F(Check, KlpRelaWithoutInfoLink)
{
	set("@KLPFLAGS@", "0x100002");
	expect_problem("lacks SHF_INFO_LINK");
}

TEST_F(Check, LivepatchFlagOnANonRelaSection)
{
	set("@EXTRA@", "\n  - { Name: .klp.rela.vmlinux..odd, Type: SHT_PROGBITS, ShFlags: "
		       "0x100002, Content: \"00\" }");
	expect_problem("(.klp.rela.vmlinux..odd): SHF_RELA_LIVEPATCH on a section of type 1, not "
		       "SHT_RELA");
}

TEST_F(Check, KlpRelaNamedAfterAnotherSection)
{
	set("@KLPNAME@", ".klp.rela.vmlinux..text.other");
	expect_problem("applies to section 1 (.text.fn), so it should be named "
		       ".klp.rela.vmlinux..text.fn");
}

TEST_F(Check, KlpRelaOfANonAllocatedSection)
{
	set("@KLPNAME@", ".klp.rela.vmlinux..note.nonalloc");
	set("@KLPINFO@", ".note.nonalloc");
	expect_problem("which is not allocated: it is not in memory when the livepatch core "
		       "writes to it");
}

TEST_F(Check, ModuleRelocationsIntoAnInitSection)
{
	set("@EXTRA@", "\n  - { Name: .init.text, Type: SHT_PROGBITS, Flags: [ SHF_ALLOC, "
		       "SHF_EXECINSTR ], Content: \"e800000000e800000000c3\" }");
	set("@KLPNAME@", ".klp.rela.btrfs..init.text");
	set("@KLPINFO@", ".init.text");
	set("@KLPSYM@", ".klp.sym.btrfs.btrfs_local,0");
	expect_problem("applies to init section .init.text, which is freed before btrfs may load");
}

TEST_F(Check, KlpRelaEntryAgainstAnOrdinarySymbol)
{
	set("@KLPRELSYM@", "fn");
	expect_problem("relocation 0 at .text.fn+0x6: symbol 1 (fn) is not an SHN_LIVEPATCH symbol");
}

TEST_F(Check, VmlinuxSymbolFromAModuleSection)
{
	set("@KLPNAME@", ".klp.rela.btrfs..text.fn");
	expect_problem("refers to vmlinux symbol 'dup_helper' from a section of module btrfs; the "
		       "kernel refuses that (since 5.8)");
}

TEST_F(Check, ModuleSymbolFromVmlinuxsSection)
{
	set("@KLPSYM@", ".klp.sym.btrfs.btrfs_local,0");
	expect_problem("refers to a symbol of module btrfs from vmlinux's section, which is "
		       "applied when the patch module loads, whether or not btrfs is loaded");
}

// A patch of vfat calling fat's export: vfat's section, fat's symbol. The kernel
// resolves it when vfat is patched (klp_resolve_symbols() only forbids vmlinux
// symbols in a module's section), and fat is loaded then: vfat depends on it.
TEST_F(Check, AnotherModulesSymbolInTheCodesObjectsSection)
{
	register_func("fn", "vfat");
	call_fat_from(".klp.rela.vfat..text.fn");
	RunResult r = check(module());
	EXPECT_EQ(r.status, 0) << r.out << r.err;
	EXPECT_EQ(r.out, "");
}

// The module that panicked: vfat's code with its call in fat's section, which the
// kernel applies only when fat is patched. Having fat's symbols does not make it
// right.
TEST_F(Check, SectionOfAnObjectOtherThanTheCodes)
{
	register_func("fn", "vfat");
	call_fat_from(".klp.rela.fat..text.fn");
	expect_problem("(.klp.rela.fat..text.fn): relocation 0 at .text.fn+0x6: fn+0x6 is code "
		       "of vfat (.klpkit.funcs), but the section is applied only when fat is "
		       "patched; it belongs in .klp.rela.vfat..text.fn");
}

TEST_F(Check, CodeReachedFromARegisteredFunctionIsItsObjects)
{
	// `other` is vfat's patched function; fn, which it calls, is vfat's code too.
	register_func("other", "vfat");
	call_fat_from(".klp.rela.vfat..text.fn");
	RunResult r = check(module());
	EXPECT_EQ(r.status, 0) << r.out << r.err;
	EXPECT_EQ(r.out, "");
	call_fat_from(".klp.rela.fat..text.fn");
	expect_problem("fn+0x6 is code of vfat (.klpkit.funcs), but the section is applied only "
		       "when fat is patched");
}

TEST_F(Check, CodeNoRegisteredFunctionReaches)
{
	// `other` is registered but calls __fentry__ only: nothing says whose fn is.
	register_func("other", "vfat", "__fentry__");
	call_fat_from(".klp.rela.vfat..text.fn");
	expect_problem("relocation 0 at .text.fn+0x6: no function of .klpkit.funcs reaches "
		       "fn+0x6, so whose code it is is unknown; the section is applied only "
		       "when vfat is patched");
}

TEST_F(Check, HandWrittenModulesHaveNoTableToCheckAgainst)
{
	// No .klpkit.funcs: which object's code fn is cannot be known.
	call_fat_from(".klp.rela.vfat..text.fn");
	RunResult r = check(module());
	EXPECT_EQ(r.status, 0) << r.out << r.err;
	EXPECT_EQ(r.out, "");
}

TEST_F(Check, UnreadableFuncsTableEntry)
{
	register_func("fn", "vfat");
	std::string extra;
	for (auto &p : params)
		if (p.first == "@EXTRA@")
			extra = p.second;
	// The objname pointer of entry 0 points past the strings.
	set("@EXTRA@", replace_all(extra, "Addend: 3 }", "Addend: 300 }"));
	call_fat_from(".klp.rela.vfat..text.fn");
	RunResult r = check(module());
	EXPECT_EQ(r.status, 1);
	EXPECT_NE(r.out.find("(.klpkit.funcs): entry 0: objname is not a string of the module"),
		  std::string::npos)
		<< r.out;
}

TEST_F(Check, RelocationTypeTheKernelDoesNotApply)
{
	set("@RELTYPE@", "R_X86_64_GOTPCREL");
	expect_problem("R_X86_64_GOTPCREL is not a type the kernel's apply_relocate_add() handles");
}

TEST_F(Check, NonzeroRelocationTarget)
{
	set("@TEXT@", "e800000000e8ffffffffc3");
	expect_problem("relocation 0 at .text.fn+0x6: the 4 bytes there are not zero");
}

TEST_F(Check, SymbolTheObjectLacks)
{
	set("@KLPSYM@", ".klp.sym.vmlinux.nothing,0");
	expect_problem("(.klp.sym.vmlinux.nothing,0): vmlinux has no symbol 'nothing'");
}

TEST_F(Check, PositionZeroOfADuplicate)
{
	set("@KLPSYM@", ".klp.sym.vmlinux.dup_helper,0");
	expect_problem("vmlinux has 2 symbols 'dup_helper'; position 0 is refused as ambiguous");
}

TEST_F(Check, PositionPastTheLast)
{
	set("@KLPSYM@", ".klp.sym.vmlinux.dup_helper,3");
	expect_problem("vmlinux has 2 symbols 'dup_helper'; there is no position 3");
}

TEST_F(Check, ObjectWithoutSymbols)
{
	set("@KLPNAME@", ".klp.rela.ext4..text.fn");
	set("@KLPSYM@", ".klp.sym.ext4.ext4_fill_super,0");
	expect_problem("no symbols of ext4 were given");
}

TEST_F(Check, MalformedKlpSymbolName)
{
	set("@KLPSYM@", ".klp.sym.vmlinux.dup_helper");
	expect_problem("(.klp.sym.vmlinux.dup_helper): '.klp.sym.vmlinux.dup_helper' has no "
		       "',<sympos>'");
}

TEST_F(Check, OrdinaryRelocationAgainstALivepatchSymbol)
{
	set("@PLAIN@", "\n      - { Offset: 6, Symbol: \"@KLPSYM@\", Type: R_X86_64_PLT32, "
		       "Addend: -4 }");
	expect_problem("(.rela.text.fn): relocation 1 at .text.fn+0x6 refers to livepatch symbol "
		       "2 (.klp.sym.vmlinux.dup_helper,2); the loader would apply it with value 0");
}

TEST_F(Check, UndefinedSymbolsTheKernelDoesNotExport)
{
	set("@MORESYMS@", "\n  - { Name: secret_counter, Binding: STB_GLOBAL }"
			  "\n  - { Name: maybe_there, Binding: STB_WEAK }");
	RunResult r = check(module());
	EXPECT_EQ(r.status, 1);
	EXPECT_NE(r.out.find("undefined symbol 'secret_counter' is not exported by the target "
			     "kernel\n"),
		  std::string::npos)
		<< r.out;
	EXPECT_NE(r.out.find("undefined symbol 'maybe_there' is not exported by the target kernel "
			     "(weak: it would silently be 0)"),
		  std::string::npos)
		<< r.out;
}

TEST_F(Check, ExportsUnknown)
{
	RunResult r = klp_convert(dir, {"--check", module(), "--vmlinux", fixture("vmlinux_b.o")});
	EXPECT_EQ(r.status, 1);
	EXPECT_NE(r.out.find("1 undefined symbols are unchecked: the target's exports are unknown "
			     "(give --symvers Module.symvers)"),
		  std::string::npos)
		<< r.out;
}

TEST_F(Check, LocalAfterAGlobal)
{
	set("@SYMTAB@", "\n  - Name: .symtab\n    Type: SHT_SYMTAB\n    Info: 1");
	set("@MORESYMS@", "\n  - { Name: late_local, Section: .text.fn }");
	expect_problem("(late_local): is local but follows the first global at sh_info 1 of .symtab");
}

TEST_F(Check, MalformedModuleIsAnError)
{
	std::string path = dir.file("cut.ko");
	auto bytes = read_bytes(fixture("patch.ko"));
	write_file(path, std::string(bytes.begin(), bytes.begin() + 100));
	RunResult r = check(path);
	EXPECT_EQ(r.status, 1);
	EXPECT_TRUE(r.one_line_error()) << r.err;
	EXPECT_EQ(r.out, "");
}

TEST_F(Check, NeedsATarget)
{
	RunResult r = klp_convert(dir, {"--check", module()});
	EXPECT_EQ(r.status, 2);
	EXPECT_NE(r.err.find("--check needs the target"), std::string::npos) << r.err;
}

TEST_F(Check, SymversAddsExportsToAMap)
{
	std::string bare = dir.file("bare.klp");
	write_file(bare, "klp-convert-symbols 1\nobject vmlinux\nsym dup_helper 1 t a.c\n"
			 "sym dup_helper 2 t b.c\n");
	std::string path = module();
	RunResult without = klp_convert(dir, {"--check", path, "--symbols", bare});
	EXPECT_EQ(without.status, 1);
	EXPECT_NE(without.out.find("the target's exports are unknown"), std::string::npos)
		<< without.out;
	RunResult with = klp_convert(dir, {"--check", path, "--symbols", bare, "--symvers",
					   source_fixture("Module.symvers")});
	EXPECT_EQ(with.status, 0) << with.out << with.err;
	EXPECT_EQ(with.out, "");
}
