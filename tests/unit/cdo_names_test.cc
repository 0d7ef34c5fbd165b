// create-diff-object's name rules.
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
