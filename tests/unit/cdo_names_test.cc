// create-diff-object's name rules and architecture table.
#include "create-diff-object/arch.h"
#include "create-diff-object/names.h"

#include <gtest/gtest.h>

using namespace klp::cdo;

TEST(CdoNames, StripSuffix)
{
	EXPECT_EQ(strip_suffix("foo.isra.3"), "foo.isra");
	EXPECT_EQ(strip_suffix("foo.constprop.0"), "foo.constprop");
	EXPECT_EQ(strip_suffix("foo.constprop.0.isra.0"), "foo.constprop.isra");
	EXPECT_EQ(strip_suffix("foo.part.1"), "foo.part");
	EXPECT_EQ(strip_suffix("count.12"), "count");
	EXPECT_EQ(strip_suffix("__UNIQUE_ID_ddebug_694"), "__UNIQUE_ID_ddebug_");
	EXPECT_EQ(strip_suffix("foo.llvm.8675309"), "foo");
	EXPECT_EQ(strip_suffix("foo.cold"), "foo.cold");
	EXPECT_EQ(strip_suffix("plain"), "plain");
	// A leading number is part of the name, not a counter.
	EXPECT_EQ(strip_suffix("ext4.2fs"), "ext4.2fs");
}

TEST(CdoNames, SpecialStatics)
{
	for (const char *name : {"__key.5", "__warned.3", "__already_done.12", "__func__.7",
				 "_rs.9", "CSWTCH.42", "descriptor.4", "__UNIQUE_ID_ddebug_17"})
		EXPECT_TRUE(is_special_static(name)) << name;
	for (const char *name : {"counter", "count.2", "key", "warned", "CSWTCHx"})
		EXPECT_FALSE(is_special_static(name)) << name;
	// clang names a static local after its function: `foo.__warned`.
	EXPECT_TRUE(is_special_static("do_work.__warned"));
	// A section's name is not a static's: `.bss.__already_done.1`.
	EXPECT_FALSE(is_special_static(".bss.__already_done.1"));
}

TEST(CdoNames, DyndbgDescriptors)
{
	for (const char *name : {"descriptor.4", "__UNIQUE_ID_ddebug485.24", "__UNIQUE_ID_ddebug_17",
				 "aio_free_ring.__UNIQUE_ID_ddebug412"})
		EXPECT_TRUE(is_dyndbg_descriptor(name)) << name;
	for (const char *name : {"__dyndbg", "__warned.3", "descriptors", ".data.descriptor"})
		EXPECT_FALSE(is_dyndbg_descriptor(name)) << name;
}

TEST(CdoNames, ColdParent)
{
	EXPECT_EQ(cold_parent_name("foo.cold"), "foo");
	EXPECT_EQ(cold_parent_name("foo.cold.3"), "foo");
	EXPECT_EQ(cold_parent_name("foo.isra.0.cold"), "foo.isra.0");
	EXPECT_EQ(cold_parent_name("foo"), "");
	EXPECT_EQ(cold_parent_name("foo.coldest"), "");
	EXPECT_EQ(cold_parent_name(".cold"), "");
}

TEST(CdoNames, SectionFamily)
{
	EXPECT_EQ(section_family(".text.foo"), ".text");
	EXPECT_EQ(section_family(".text.unlikely.foo"), ".text");
	EXPECT_EQ(section_family(".text.hot.foo"), ".text");
	EXPECT_EQ(section_family(".init.text"), ".init.text");
	EXPECT_EQ(section_family(".bss.counter"), ".bss");
	EXPECT_EQ(section_family(".data..once"), ".data");
	EXPECT_EQ(section_family(".rodata.str1.1"), ".rodata");
	EXPECT_EQ(section_family(".custom"), ".custom");
}

TEST(CdoArch, X86Traits)
{
	const ArchTraits *x86 = arch_traits(EM_X86_64);
	ASSERT_NE(x86, nullptr);
	EXPECT_EQ(arch_traits(EM_AARCH64), nullptr);
	klp::elf::Relocation call{1, R_X86_64_PLT32, nullptr, -4};
	EXPECT_EQ(x86->target_offset(call), 0);
	klp::elf::Relocation abs{8, R_X86_64_64, nullptr, 16};
	EXPECT_EQ(x86->target_offset(abs), 16);

	klp::elf::Section text;
	text.type = SHT_PROGBITS;
	text.flags = SHF_ALLOC | SHF_EXECINSTR;
	// e8 <rel32>: call; 48 8d 05 <rel32>: lea; 0f 84 <rel32>: je.
	text.data = {0xe8, 0, 0, 0, 0, 0x48, 0x8d, 0x05, 0, 0, 0, 0, 0x0f, 0x84, 0, 0, 0, 0};
	EXPECT_TRUE(x86->is_branch(text, {1, R_X86_64_PLT32, nullptr, -4}));
	EXPECT_FALSE(x86->is_branch(text, {8, R_X86_64_PC32, nullptr, -4}));
	EXPECT_TRUE(x86->is_branch(text, {14, R_X86_64_PC32, nullptr, -4}));

	const SpecialSection *bug = x86->find_special("__bug_table");
	ASSERT_NE(bug, nullptr);
	EXPECT_EQ(bug->env, "BUG_STRUCT_SIZE");
	EXPECT_EQ(x86->find_special(".text"), nullptr);
}
