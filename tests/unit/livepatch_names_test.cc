// The kernel's livepatch names: parsing as klp_resolve_symbols()' sscanf() does,
// spelling, the objname/symbol-name limits, create-diff-object's placeholders and
// which object's section a livepatch relocation goes in; what a release string says.
#include "livepatch/kernel_release.h"
#include "livepatch/names.h"

#include <gtest/gtest.h>

using namespace klp::livepatch;

TEST(KlpNames, ParsesObjectNameAndPosition)
{
	KlpSymbol sym;
	EXPECT_FALSE(parse_klp_symbol(".klp.sym.vmlinux.dup_helper,2", klp_sym_prefix, sym));
	EXPECT_EQ(sym, (KlpSymbol{"vmlinux", "dup_helper", 2}));
	EXPECT_FALSE(parse_klp_symbol(".klp.sym.btrfs.btrfs_table,0", klp_sym_prefix, sym));
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

TEST(KlpNames, PlaceholdersCarryTheCodesObjectAndTheSymbols)
{
	// vfat's patched code calling fat's export fat_build_inode.
	PlaceholderTarget vfat_calls_fat{"vfat", {"fat", "fat_build_inode", 0}};
	std::string name = placeholder_name(vfat_calls_fat);
	EXPECT_EQ(name, ".klpkit.from.vfat.fat.fat_build_inode,0");
	EXPECT_TRUE(is_placeholder_name(name));
	PlaceholderTarget back;
	EXPECT_FALSE(parse_placeholder(name, back));
	EXPECT_EQ(back, vfat_calls_fat);
	// The symbol name keeps its dots.
	EXPECT_FALSE(parse_placeholder(".klpkit.from.vmlinux.vmlinux.foo.isra.0,2", back));
	EXPECT_EQ(back, (PlaceholderTarget{"vmlinux", {"vmlinux", "foo.isra.0", 2}}));
}

TEST(KlpNames, OneObjectPlaceholdersAreTheSymbolsObjectsCode)
{
	// Objects written before the code's object was recorded.
	PlaceholderTarget t;
	EXPECT_TRUE(is_placeholder_name(".klpkit.sym.btrfs.btrfs_table,0"));
	EXPECT_FALSE(parse_placeholder(".klpkit.sym.btrfs.btrfs_table,0", t));
	EXPECT_EQ(t, (PlaceholderTarget{"btrfs", {"btrfs", "btrfs_table", 0}}));
}

TEST(KlpNames, RefusesMalformedPlaceholders)
{
	PlaceholderTarget t;
	EXPECT_FALSE(is_placeholder_name(".klp.sym.fat.fat_build_inode,0"));
	EXPECT_TRUE(parse_placeholder(".klp.sym.fat.fat_build_inode,0", t));
	EXPECT_TRUE(parse_placeholder(".klpkit.from.vfat", t));
	EXPECT_TRUE(parse_placeholder(".klpkit.from.vfat.fat_build_inode,0", t));
	EXPECT_TRUE(parse_placeholder(".klpkit.from..fat.fat_build_inode,0", t));
	EXPECT_TRUE(parse_placeholder(".klpkit.from.vfat.fat.fat_build_inode", t));
	auto problem = parse_placeholder(".klpkit.from." + std::string(56, 'm') + ".fat.f,0", t);
	ASSERT_TRUE(problem);
	EXPECT_NE(problem->find("56 characters"), std::string::npos) << *problem;
	problem = parse_placeholder(".klpkit.from.nf-foo.fat.f,0", t);
	ASSERT_TRUE(problem);
	EXPECT_NE(problem->find("'nf_foo'"), std::string::npos) << *problem;
}

TEST(KlpNames, SectionOfTheCodesObjectButVmlinuxForVmlinuxSymbols)
{
	// klp_apply_object_relocs() applies only the patched object's sections.
	EXPECT_EQ(*sec_objname_for("vfat", "fat"), "vfat");
	EXPECT_EQ(*sec_objname_for("btrfs", "btrfs"), "btrfs");
	// klp_resolve_symbols(): a module's section may not refer to vmlinux.
	EXPECT_EQ(*sec_objname_for("btrfs", "vmlinux"), "vmlinux");
	EXPECT_EQ(*sec_objname_for("vmlinux", "vmlinux"), "vmlinux");
	// Applied when the patch loads, whether or not fat is there.
	auto refused = sec_objname_for("vmlinux", "fat");
	ASSERT_FALSE(refused);
	EXPECT_NE(refused.error().message().find("vmlinux code cannot refer to a symbol of module "
						 "fat"),
		  std::string::npos)
		<< refused.error().message();
}

TEST(KernelRelease, ReadsTheVersion)
{
	EXPECT_EQ(kernel_version("6.1.0-57-amd64"), (KernelVersion{6, 1}));
	EXPECT_EQ(kernel_version("7.2.13+deb14-amd64"), (KernelVersion{7, 2}));
	EXPECT_EQ(kernel_version("5.10.246"), (KernelVersion{5, 10}));
	EXPECT_EQ(kernel_version("6.12-rc1"), (KernelVersion{6, 12}));
	EXPECT_FALSE(kernel_version(""));
	EXPECT_FALSE(kernel_version("6"));
	EXPECT_FALSE(kernel_version("6."));
	EXPECT_FALSE(kernel_version("linux-6.1"));
}

TEST(KernelRelease, ModuleReloadRefusedBefore6_3)
{
	EXPECT_TRUE(module_reload_refused("5.10.0-46-amd64"));
	EXPECT_TRUE(module_reload_refused("6.1.0-57-amd64"));
	EXPECT_TRUE(module_reload_refused("6.2.16"));
	EXPECT_FALSE(module_reload_refused("6.3.0"));
	EXPECT_FALSE(module_reload_refused("6.12.117+deb12-amd64"));
	EXPECT_FALSE(module_reload_refused("7.2.13+deb14-amd64"));
	EXPECT_TRUE(module_reload_refused("unknown")); // unknown: warn
}
