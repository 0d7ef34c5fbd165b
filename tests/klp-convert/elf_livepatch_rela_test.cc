// lib/elf and livepatch modules: a `.klp.rela.<obj>.<sec>` section may sit next to
// the base's own `.rela<sec>`; it keeps its base but never becomes `base->rela`.
#include "klpconv_test.h"

using namespace klp;
using namespace klp::test;

namespace {

const char *two_relas_yaml = R"(--- !ELF
FileHeader: { Class: ELFCLASS64, Data: ELFDATA2LSB, Type: ET_REL, Machine: EM_X86_64 }
Sections:
  - Name: .text.fn
    Type: SHT_PROGBITS
    Flags: [ SHF_ALLOC, SHF_EXECINSTR ]
    AddressAlign: 16
    Content: "e800000000e800000000c3"
  - Name: .klp.rela.vmlinux..text.fn
    Type: SHT_RELA
    ShFlags: 0x100042
    AddressAlign: 8
    Link: .symtab
    Info: .text.fn
    Relocations:
      - { Offset: 6, Symbol: ".klp.sym.vmlinux.foo,0", Type: R_X86_64_PLT32, Addend: -4 }
  - Name: .rela.text.fn
    Type: SHT_RELA
    Flags: [ SHF_INFO_LINK ]
    AddressAlign: 8
    Link: .symtab
    Info: .text.fn
    Relocations:
      - { Offset: 1, Symbol: __fentry__, Type: R_X86_64_PLT32, Addend: -4 }
Symbols:
  - { Name: fn, Type: STT_FUNC, Section: .text.fn, Binding: STB_GLOBAL, Size: 11 }
  - { Name: ".klp.sym.vmlinux.foo,0", Index: 0xff20, Binding: STB_GLOBAL }
  - { Name: __fentry__, Binding: STB_GLOBAL }
)";

} // namespace

TEST(ElfLivepatchRela, ReadsBesideTheBasesOwnRela)
{
	TempDir dir;
	auto obj = read_object(yaml_object(dir, "two.o", two_relas_yaml));
	ASSERT_TRUE(obj);
	elf::Section *text = obj->find_section(".text.fn");
	elf::Section *klp = obj->find_section(".klp.rela.vmlinux..text.fn");
	ASSERT_TRUE(text && klp);
	ASSERT_TRUE(text->rela);
	EXPECT_EQ(text->rela->name, ".rela.text.fn");
	EXPECT_EQ(klp->base, text);
	EXPECT_TRUE(klp->is_livepatch_rela());
	EXPECT_FALSE(text->rela->is_livepatch_rela());
	ASSERT_EQ(klp->relocs.size(), 1u);
	EXPECT_EQ(klp->relocs[0].sym->shndx, elf::SHN_LIVEPATCH);
	EXPECT_EQ(obj->add_rela_section(text), text->rela); // the own one, not the klp one
}

TEST(ElfLivepatchRela, SurvivesAWrite)
{
	TempDir dir;
	auto obj = read_object(yaml_object(dir, "two.o", two_relas_yaml));
	ASSERT_TRUE(obj);
	ASSERT_TRUE(obj->write(dir.file("out.o")));
	auto again = read_object(dir.file("out.o"));
	ASSERT_TRUE(again);
	elf::Section *klp = again->find_section(".klp.rela.vmlinux..text.fn");
	ASSERT_TRUE(klp);
	EXPECT_EQ(klp->flags, uint64_t(SHF_ALLOC | SHF_INFO_LINK | elf::SHF_RELA_LIVEPATCH));
	EXPECT_EQ(klp->base, again->find_section(".text.fn"));
	EXPECT_EQ(klp->relocs[0].sym->name, ".klp.sym.vmlinux.foo,0");
}

TEST(ElfLivepatchRela, TwoOrdinaryRelasForOneBaseAreStillRefused)
{
	TempDir dir;
	std::string yaml = replace_all(two_relas_yaml, "ShFlags: 0x100042", "ShFlags: 0x42");
	auto obj = elf::Object::read(yaml_object(dir, "bad.o", yaml));
	ASSERT_FALSE(obj);
	EXPECT_NE(obj.error().message().find("already has relocation section"), std::string::npos)
		<< obj.error().message();
}
