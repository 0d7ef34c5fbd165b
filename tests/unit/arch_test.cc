// lib/arch: the one table of architecture facts every tool reads.
#include "arch/arch.h"

#include <gtest/gtest.h>

#include <elf.h>

using namespace klp;

namespace {

elf::Section text_with(std::vector<uint8_t> bytes)
{
	elf::Section text;
	text.type = SHT_PROGBITS;
	text.flags = SHF_ALLOC | SHF_EXECINSTR;
	text.data = std::move(bytes);
	return text;
}

void put_insn(std::vector<uint8_t> &d, uint32_t insn)
{
	for (int i = 0; i < 4; i++)
		d.push_back(uint8_t(insn >> (8 * i)));
}

} // namespace

TEST(Arch, X86Row)
{
	const arch::Arch *x86 = arch::find(EM_X86_64);
	ASSERT_NE(x86, nullptr);
	EXPECT_EQ(x86->kbuild_arch, "x86_64");
	EXPECT_EQ(x86->srcarch, "x86");
	EXPECT_EQ(x86->ftrace, arch::FtraceEntry::FentryCall);
	EXPECT_EQ(x86->ftrace_section, "__mcount_loc");
	elf::Relocation call{1, R_X86_64_PLT32, nullptr, -4};
	EXPECT_EQ(x86->target_offset(call), 0);
	elf::Relocation abs{8, R_X86_64_64, nullptr, 16};
	EXPECT_EQ(x86->target_offset(abs), 16);

	// e8 <rel32>: call; 48 8d 05 <rel32>: lea; 0f 84 <rel32>: je.
	auto text = text_with({0xe8, 0, 0, 0, 0, 0x48, 0x8d, 0x05, 0, 0, 0, 0, 0x0f, 0x84, 0, 0, 0, 0});
	EXPECT_TRUE(x86->is_branch(text, {1, R_X86_64_PLT32, nullptr, -4}));
	EXPECT_FALSE(x86->is_branch(text, {8, R_X86_64_PC32, nullptr, -4}));
	EXPECT_TRUE(x86->is_branch(text, {14, R_X86_64_PC32, nullptr, -4}));

	// endbr64 first (X86_KERNEL_IBT): the call's relocation follows it.
	auto ibt = text_with({0xf3, 0x0f, 0x1e, 0xfa, 0xe8, 0, 0, 0, 0});
	EXPECT_EQ(x86->fentry_reloc_at(ibt, 0), 5u);
	EXPECT_EQ(x86->fentry_reloc_at(text, 0), 1u);

	const arch::SpecialSection *bug = x86->find_special("__bug_table");
	ASSERT_NE(bug, nullptr);
	EXPECT_EQ(bug->env, "BUG_STRUCT_SIZE");
	EXPECT_EQ(x86->find_special(".text"), nullptr);
	EXPECT_NE(x86->find_special(".orc_unwind"), nullptr);

	EXPECT_EQ(x86->apply_width(R_X86_64_PC32), 4u);
	EXPECT_EQ(x86->apply_width(R_X86_64_64), 8u);
	EXPECT_EQ(x86->apply_width(R_X86_64_GOTPCREL), 0u);
	EXPECT_TRUE(x86->apply_needs_zero);
	EXPECT_EQ(arch::reloc_type_name(EM_X86_64, R_X86_64_PLT32), "R_X86_64_PLT32");
	EXPECT_EQ(arch::reloc_type_name(EM_X86_64, 42), "R_X86_64_REX_GOTPCRELX");
}

TEST(Arch, Aarch64Row)
{
	const arch::Arch *a64 = arch::find(EM_AARCH64);
	ASSERT_NE(a64, nullptr);
	EXPECT_EQ(a64->kbuild_arch, "arm64");
	EXPECT_EQ(a64->gnu_triplet, "aarch64-linux-gnu");
	EXPECT_EQ(a64->ftrace, arch::FtraceEntry::PatchableEntry);
	EXPECT_EQ(a64->ftrace_section, "__patchable_function_entries");

	// Addends are exact: `bl foo` is CALL26 foo+0, `adrp x0, s+8` is s+8.
	EXPECT_EQ(a64->target_offset({4, R_AARCH64_CALL26, nullptr, 0}), 0);
	EXPECT_EQ(a64->target_offset({8, R_AARCH64_ADR_PREL_PG_HI21, nullptr, 8}), 8);
	EXPECT_EQ(a64->target_offset({0, R_AARCH64_PREL32, nullptr, 12}), 12);

	std::vector<uint8_t> d;
	put_insn(d, 0xd503245f); // bti c
	put_insn(d, 0xd503201f); // nop
	put_insn(d, 0xd503201f); // nop
	put_insn(d, 0x94000000); // bl
	put_insn(d, 0x90000000); // adrp x0
	auto text = text_with(d);
	EXPECT_TRUE(a64->is_branch(text, {12, R_AARCH64_CALL26, nullptr, 0}));
	EXPECT_TRUE(a64->is_branch(text, {12, R_AARCH64_JUMP26, nullptr, 0}));
	EXPECT_FALSE(a64->is_branch(text, {16, R_AARCH64_ADR_PREL_PG_HI21, nullptr, 0}));

	// The NOPs after `bti c`, at the start without one, or two before the symbol
	// (CALL_OPS' -fpatchable-function-entry=4,2).
	EXPECT_TRUE(a64->is_patchable_site(text, 0, 4));
	EXPECT_TRUE(a64->is_patchable_site(text, 0, 0));
	EXPECT_FALSE(a64->is_patchable_site(text, 0, 8));
	EXPECT_TRUE(a64->is_patchable_site(text, 12, 4));
	EXPECT_FALSE(a64->is_patchable_site(text, 12, 16));

	elf::Symbol x;
	x.name = "$x";
	EXPECT_TRUE(a64->is_mapping_symbol(x));
	x.name = "$d.17";
	EXPECT_TRUE(a64->is_mapping_symbol(x));
	x.name = "$xyz";
	EXPECT_FALSE(a64->is_mapping_symbol(x));
	x.name = "$x";
	x.bind = STB_GLOBAL;
	EXPECT_FALSE(a64->is_mapping_symbol(x));
	EXPECT_FALSE(arch::find(EM_X86_64)->is_mapping_symbol(elf::Symbol{.name = "$x"}));

	EXPECT_EQ(a64->apply_width(R_AARCH64_ADR_PREL_PG_HI21), 4u);
	EXPECT_EQ(a64->apply_width(R_AARCH64_ABS64), 8u);
	EXPECT_EQ(a64->apply_width(R_AARCH64_PREL16), 2u);
	EXPECT_EQ(a64->apply_width(R_AARCH64_ADR_GOT_PAGE), 0u);
	EXPECT_FALSE(a64->apply_needs_zero);
	EXPECT_EQ(arch::reloc_type_name(EM_AARCH64, R_AARCH64_CALL26), "R_AARCH64_CALL26");
	EXPECT_EQ(arch::reloc_type_name(EM_AARCH64, 9999), "reloc type 9999");

	ASSERT_NE(a64->find_special(".altinstructions"), nullptr);
	EXPECT_EQ(a64->find_special(".altinstructions")->default_entry_size, 12u);
	EXPECT_EQ(a64->find_special(".orc_unwind"), nullptr);
	EXPECT_EQ(a64->find_special(".static_call_sites"), nullptr);
}

TEST(Arch, ByConfig)
{
	std::map<std::string, std::string> x86 = {{"CONFIG_X86", "y"}, {"CONFIG_X86_64", "y"}};
	std::map<std::string, std::string> arm64 = {{"CONFIG_ARM64", "y"}};
	std::map<std::string, std::string> s390 = {{"CONFIG_S390", "y"}, {"CONFIG_64BIT", "y"}};
	ASSERT_NE(arch::find_by_config(x86), nullptr);
	EXPECT_EQ(arch::find_by_config(x86)->machine, EM_X86_64);
	EXPECT_EQ(arch::find_by_config(arm64)->machine, EM_AARCH64);
	EXPECT_EQ(arch::find_by_config(s390), nullptr);
	EXPECT_EQ(arch::config_arch_name(s390), "s390");
	EXPECT_EQ(arch::config_srcarch(x86), "x86");
	EXPECT_EQ(arch::config_srcarch({{"CONFIG_PPC64", "y"}}), "powerpc");
	EXPECT_EQ(arch::config_srcarch({}), "");
	EXPECT_EQ(arch::supported_names(), "x86_64, aarch64");
	EXPECT_EQ(arch::machine_name(EM_AARCH64), "aarch64");
	EXPECT_EQ(arch::machine_name(EM_S390), "machine 22");
	EXPECT_EQ(arch::find(EM_S390), nullptr);
}
