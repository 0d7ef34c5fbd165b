// The kernel's livepatch names: parsing as klp_resolve_symbols()' sscanf() does,
// spelling, and the objname/symbol-name limits.
#include "livepatch/names.h"

#include <gtest/gtest.h>

using namespace klp::livepatch;

TEST(KlpNames, ParsesObjectNameAndPosition)
{
	KlpSymbol sym;
	EXPECT_FALSE(parse_klp_symbol(".klp.sym.vmlinux.dup_helper,2", klp_sym_prefix, sym));
	EXPECT_EQ(sym, (KlpSymbol{"vmlinux", "dup_helper", 2}));
	EXPECT_FALSE(parse_klp_symbol(".klpkit.sym.btrfs.btrfs_table,0", placeholder_prefix, sym));
	EXPECT_EQ(sym, (KlpSymbol{"btrfs", "btrfs_table", 0}));
}

TEST(KlpNames, SymbolNameKeepsItsDots)
{
	// The object name ends at the first '.', the symbol name at the first ','.
	KlpSymbol sym;
	EXPECT_FALSE(parse_klp_symbol(".klp.sym.vmlinux.foo.isra.0,1", klp_sym_prefix, sym));
	EXPECT_EQ(sym, (KlpSymbol{"vmlinux", "foo.isra.0", 1}));
}

TEST(KlpNames, RefusesMalformedNames)
{
	KlpSymbol sym;
	EXPECT_TRUE(parse_klp_symbol(".klp.sym.vmlinux.foo", klp_sym_prefix, sym));
	EXPECT_TRUE(parse_klp_symbol(".klp.sym.vmlinux", klp_sym_prefix, sym));
	EXPECT_TRUE(parse_klp_symbol(".klp.sym.vmlinux.foo,x", klp_sym_prefix, sym));
	EXPECT_TRUE(parse_klp_symbol(".klp.sym.vmlinux.foo,1x", klp_sym_prefix, sym));
	EXPECT_TRUE(parse_klp_symbol(".klp.sym.vmlinux.foo,", klp_sym_prefix, sym));
	EXPECT_TRUE(parse_klp_symbol(".klp.sym..foo,0", klp_sym_prefix, sym));
	EXPECT_TRUE(parse_klp_symbol(".klp.sym.vmlinux.,0", klp_sym_prefix, sym));
	EXPECT_TRUE(parse_klp_symbol("foo", klp_sym_prefix, sym));
}

TEST(KlpNames, ObjectNameLimitIs55Characters)
{
	EXPECT_FALSE(check_objname(std::string(55, 'm')));
	auto problem = check_objname(std::string(56, 'm'));
	ASSERT_TRUE(problem);
	EXPECT_NE(problem->find("56 characters"), std::string::npos) << *problem;
	KlpSymbol sym;
	EXPECT_TRUE(parse_klp_symbol(".klp.sym." + std::string(56, 'm') + ".foo,0", klp_sym_prefix,
				     sym));
}

TEST(KlpNames, SymbolNameLimitIs511Characters)
{
	EXPECT_FALSE(check_symname(std::string(511, 's')));
	auto problem = check_symname(std::string(512, 's'));
	ASSERT_TRUE(problem);
	EXPECT_NE(problem->find("512 characters"), std::string::npos) << *problem;
}

TEST(KlpNames, ModuleNamesUseUnderscores)
{
	auto problem = check_objname("nf-foo");
	ASSERT_TRUE(problem);
	EXPECT_NE(problem->find("'nf_foo'"), std::string::npos) << *problem;
}

TEST(KlpNames, SpellsSymbolsAndSections)
{
	EXPECT_EQ(klp_sym_name({"btrfs", "btrfs_ktype", 0}), ".klp.sym.btrfs.btrfs_ktype,0");
	EXPECT_EQ(klp_rela_name("vmlinux", ".text.cmdline_proc_show"),
		  ".klp.rela.vmlinux..text.cmdline_proc_show");
	EXPECT_EQ(klp_rela_objname(".klp.rela.ext4..text.ext4_attr_store"), "ext4");
	EXPECT_FALSE(klp_rela_objname(".klp.rela..text"));
	EXPECT_FALSE(klp_rela_objname(".rela.text"));
}

TEST(KlpNames, ModuleRelocationsOfInitSectionsComeTooLate)
{
	EXPECT_TRUE(applied_after_init(".init.text", "btrfs"));
	EXPECT_TRUE(applied_after_init(".init.data", "btrfs"));
	EXPECT_FALSE(applied_after_init(".init.text", "vmlinux"));
	EXPECT_FALSE(applied_after_init(".text.init_foo", "btrfs"));
}
