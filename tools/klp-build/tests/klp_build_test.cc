// klp-build's logic without a kernel: patch headers, kbuild records, compiler
// identities, which objects a patch names, applying and reverting patches, and the
// original-object cache, on small files in a temporary directory.
#include "kbuild.h"
#include "entry_sizes.h"
#include "kbuild_dirs.h"
#include "klp_build.h"
#include "objcache.h"
#include "objtool.h"
#include "patches.h"

#include "elf/object.h"

#include "temp_dir.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;
using namespace klp::build;
using klp::build::test::TempDir;

namespace {


Options quiet_options(const std::string &cache = "")
{
	Options o;
	o.cache_dir = cache;
	return o;
}

// ---- patches

TEST(ParsePatch, GitAndPlainHeaders)
{
	TempDir t;
	std::string p = t.write("x.patch", "Subject: fix\n\n"
					   "diff --git a/fs/proc/cmdline.c b/fs/proc/cmdline.c\n"
					   "--- a/fs/proc/cmdline.c\t2024-01-01 00:00:00\n"
					   "+++ b/fs/proc/cmdline.c\t2024-01-01 00:00:01\n"
					   "@@ -1 +1 @@\n-a\n+b\n"
					   "--- /dev/null\n+++ b/include/new.h\n@@ -0,0 +1 @@\n+x\n"
					   "--- a/mm/gone.c\n+++ /dev/null\n@@ -1 +0,0 @@\n-x\n");
	auto info = parse_patch(p);
	ASSERT_TRUE(info) << info.error().message();
	ASSERT_EQ(info->files.size(), 3u);
	EXPECT_EQ(info->files[0].path, "fs/proc/cmdline.c");
	EXPECT_FALSE(info->files[0].added || info->files[0].deleted);
	EXPECT_EQ(info->files[1].path, "include/new.h");
	EXPECT_TRUE(info->files[1].added);
	EXPECT_EQ(info->files[2].path, "mm/gone.c");
	EXPECT_TRUE(info->files[2].deleted);
}

TEST(ParsePatch, RenameBinaryAndEmpty)
{
	TempDir t;
	auto rename = parse_patch(t.write("r.patch", "diff --git a/a.c b/b.c\nsimilarity index 100%\n"
						     "rename from a.c\nrename to b.c\n"));
	ASSERT_TRUE(rename);
	ASSERT_EQ(rename->files.size(), 2u);
	EXPECT_TRUE(rename->files[0].deleted);
	EXPECT_TRUE(rename->files[1].added);
	EXPECT_FALSE(parse_patch(t.write("b.patch", "diff --git a/x b/x\nBinary files a/x and b/x differ\n")));
	auto empty = parse_patch(t.write("e.patch", "just words\n"));
	ASSERT_FALSE(empty);
	EXPECT_NE(empty.error().message().find("no file changes"), std::string::npos);
}

TEST(AppliedPatches, AppliesRevertsAndUndoesOnFailure)
{
	TempDir t;
	t.write("tree/a.c", "one\ntwo\nthree\n");
	std::string good = t.write("good.patch", "--- a/a.c\n+++ b/a.c\n@@ -1,3 +1,3 @@\n one\n-two\n+TWO\n three\n");
	std::string bad = t.write("bad.patch", "--- a/a.c\n+++ b/a.c\n@@ -1,3 +1,3 @@\n one\n-zwei\n+ZWEI\n three\n");
	std::vector<std::string> notes;
	{
		AppliedPatches applied;
		auto r = applied.apply(t.path() + "/tree", {good}, t.path() + "/marker", "", notes);
		ASSERT_TRUE(r) << r.error().message();
		EXPECT_EQ(t.read("tree/a.c"), "one\nTWO\nthree\n");
		EXPECT_TRUE(fs::exists(t.path() + "/marker/000-good.patch"));
	} // the destructor reverts
	EXPECT_EQ(t.read("tree/a.c"), "one\ntwo\nthree\n");
	EXPECT_FALSE(fs::exists(t.path() + "/marker"));

	AppliedPatches applied;
	auto r = applied.apply(t.path() + "/tree", {good, bad}, t.path() + "/marker", "", notes);
	ASSERT_FALSE(r);
	EXPECT_NE(r.error().message().find("bad.patch does not apply"), std::string::npos) << r.error().message();
	EXPECT_EQ(t.read("tree/a.c"), "one\ntwo\nthree\n"); // good.patch taken back out
}

TEST(AppliedPatches, RevertsWhatACrashedRunLeft)
{
	TempDir t;
	t.write("tree/a.c", "one\nTWO\nthree\n"); // patched, and the marker says by what
	t.write("marker/000-good.patch", "--- a/a.c\n+++ b/a.c\n@@ -1,3 +1,3 @@\n one\n-two\n+TWO\n three\n");
	auto n = revert_stale_patches(t.path() + "/tree", t.path() + "/marker", "");
	ASSERT_TRUE(n) << n.error().message();
	EXPECT_EQ(*n, 1u);
	EXPECT_EQ(t.read("tree/a.c"), "one\ntwo\nthree\n");
	EXPECT_FALSE(fs::exists(t.path() + "/marker"));
	auto none = revert_stale_patches(t.path() + "/tree", t.path() + "/marker", "");
	ASSERT_TRUE(none);
	EXPECT_EQ(*none, 0u);
}

// ---- kbuild records

TEST(CmdFile, CommandSourceAndDependencies)
{
	TempDir t;
	std::string cmd = t.write("fs/proc/.cmdline.o.cmd",
				  "cmd_fs/proc/cmdline.o := gcc-12 -Wp,-MMD,x -DKBUILD_MODNAME='\"proc\"' -c -o "
				  "fs/proc/cmdline.o fs/proc/cmdline.c\n\n"
				  "source_fs/proc/cmdline.o := fs/proc/cmdline.c\n\n"
				  "deps_fs/proc/cmdline.o := \\\n"
				  "  include/linux/compiler-version.h \\\n"
				  "    $(wildcard include/config/CC_VERSION_TEXT) \\\n"
				  "  include/linux/kconfig.h \\\n\n"
				  "fs/proc/cmdline.o: $(deps_fs/proc/cmdline.o)\n\n$(deps_fs/proc/cmdline.o):\n");
	EXPECT_EQ(cmd_file_of(t.path() + "/fs/proc/cmdline.o"), cmd);
	auto rec = read_cmd_file(cmd);
	ASSERT_TRUE(rec) << rec.error().message();
	EXPECT_EQ(rec->source, "fs/proc/cmdline.c");
	EXPECT_EQ(rec->deps, (std::vector<std::string>{"include/linux/compiler-version.h", "include/linux/kconfig.h"}));
	EXPECT_EQ(module_of_command(rec->command), ""); // KBUILD_MODNAME alone: vmlinux
	EXPECT_FALSE(read_cmd_file(t.write("junk.cmd", "nothing here\n")));
}

// Linux 6.2+ writes `savedcmd_<target>` (scripts/Kbuild.include, fixdep); source_
// and deps_ keep their form. As Debian 6.12's kbuild writes it:
TEST(CmdFile, SavedcmdOfLinux62)
{
	TempDir t;
	std::string cmd = t.write("fs/proc/.cmdline.o.cmd",
				  "savedcmd_fs/proc/cmdline.o := gcc-12 -Wp,-MMD,fs/proc/.cmdline.o.d -DMODULE "
				  "-DKBUILD_MODNAME='\"proc\"' -c -o fs/proc/cmdline.o fs/proc/cmdline.c\n\n"
				  "source_fs/proc/cmdline.o := fs/proc/cmdline.c\n\n"
				  "deps_fs/proc/cmdline.o := \\\n"
				  "  include/linux/compiler-version.h \\\n"
				  "    $(wildcard include/config/CC_VERSION_TEXT) \\\n"
				  "  include/linux/kconfig.h \\\n\n"
				  "fs/proc/cmdline.o: $(deps_fs/proc/cmdline.o)\n\n$(deps_fs/proc/cmdline.o):\n\n"
				  "fs/proc/cmdline.o: $(wildcard ./tools/objtool/objtool)\n");
	auto rec = read_cmd_file(cmd);
	ASSERT_TRUE(rec) << rec.error().message();
	EXPECT_EQ(rec->command.rfind("gcc-12 -Wp,-MMD", 0), 0u) << rec->command;
	EXPECT_EQ(module_of_command(rec->command), "proc");
	EXPECT_EQ(rec->source, "fs/proc/cmdline.c");
	EXPECT_EQ(rec->deps, (std::vector<std::string>{"include/linux/compiler-version.h", "include/linux/kconfig.h"}));
}

// Both forms in one file (a record written by hand, or by a kbuild in between):
// savedcmd_ is what 6.2+ kbuild itself compares against, so it wins. Neither: the
// error names the file.
TEST(CmdFile, SavedcmdPreferredAndNeitherNamed)
{
	TempDir t;
	auto both = read_cmd_file(t.write(".both.o.cmd", "savedcmd_both.o := gcc -DNEW -c both.c\n"
							 "cmd_both.o := gcc -DOLD -c both.c\n"));
	ASSERT_TRUE(both) << both.error().message();
	EXPECT_EQ(both->command, "gcc -DNEW -c both.c");
	std::string junk = t.write(".junk.o.cmd", "source_junk.o := junk.c\n");
	auto none = read_cmd_file(junk);
	ASSERT_FALSE(none);
	EXPECT_EQ(none.error().message(), junk + ": no savedcmd_ or cmd_ line (not a kbuild .cmd file?)");
}

TEST(CmdFile, ModuleFromCompileLine)
{
	EXPECT_EQ(module_of_command("gcc -DMODULE -DKBUILD_BASENAME='\"x\"' -DKBUILD_MODNAME='\"hello-oot\"' -c"),
		  "hello_oot");
	EXPECT_EQ(module_of_command("gcc -DMODULE_SIG_FOO -DKBUILD_MODNAME='\"proc\"' -c"), "");
	EXPECT_EQ(module_of_command("gcc -DKBUILD_MODNAME='\"xfs\"' -DMODULE"), "xfs");
}

TEST(Config, ValuesAndStrings)
{
	TempDir t;
	auto config = read_config(t.write(".config", "CONFIG_LIVEPATCH=y\n# CONFIG_FOO is not set\n"
						     "CONFIG_CC_VERSION_TEXT=\"gcc-12 (Debian \\\"x\\\") 12.2.0\"\n"));
	ASSERT_TRUE(config);
	EXPECT_EQ(config->at("CONFIG_LIVEPATCH"), "y");
	EXPECT_EQ(config->count("CONFIG_FOO"), 0u);
	EXPECT_EQ(config_string(*config, "CONFIG_CC_VERSION_TEXT"), "gcc-12 (Debian \"x\") 12.2.0");
	EXPECT_EQ(config_string(*config, "CONFIG_NONE"), "");
}

TEST(Version, MakefileAndDebianInclude)
{
	TempDir t;
	t.write("common/Makefile", "VERSION = 6\nPATCHLEVEL = 1\nSUBLEVEL = 192\nEXTRAVERSION =\nNAME = x\n");
	t.write("arch/Makefile", "include " + t.path() + "/common/Makefile\n");
	auto v = makefile_version(t.path() + "/arch");
	ASSERT_TRUE(v) << v.error().message();
	EXPECT_EQ(*v, "6.1.192");
	t.write("rc/Makefile", "VERSION = 6\nPATCHLEVEL = 13\nSUBLEVEL = 0\nEXTRAVERSION = -rc1\n");
	EXPECT_EQ(*makefile_version(t.path() + "/rc"), "6.13.0-rc1");
	t.write("arch/include/generated/utsrelease.h", "#define UTS_RELEASE \"6.1.0-56-amd64\"\n");
	EXPECT_EQ(uts_release(t.path() + "/arch"), "6.1.0-56-amd64");
	EXPECT_EQ(uts_release(t.path() + "/rc"), "");
}

TEST(Compiler, IdentityIgnoresProgramName)
{
	std::string a = compiler_identity("gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0");
	EXPECT_EQ(a, "(Debian 12.2.0-14+deb12u1) 12.2.0");
	EXPECT_EQ(compiler_identity("gcc (Debian 12.2.0-14+deb12u1) 12.2.0\n"), a);
	EXPECT_EQ(compiler_identity("GCC: (Debian 12.2.0-14+deb12u1) 12.2.0"), a);
	EXPECT_EQ(compiler_identity("x86_64-linux-gnu-gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0"), a);
	EXPECT_NE(compiler_identity("gcc (Debian 12.2.0-14) 12.2.0"), a);
	EXPECT_EQ(compiler_identity("Debian clang version 14.0.6"), "Debian clang version 14.0.6");
}

TEST(Names, ModuleAndFlatNames)
{
	EXPECT_EQ(sanitize_module_name("livepatch-fix 1.2"), "livepatch-fix_1_2");
	EXPECT_EQ(sanitize_module_name(std::string(80, 'a')).size(), 55u);
	EXPECT_EQ(flat_name("fs/proc/cmdline.o"), "fs-proc-cmdline");
	EXPECT_EQ(flat_name("drivers/a.b/c.o"), "drivers-a-b-c");
}

// ---- targets (kbuild's own answers: kbuild_dirs_test.cc)

TEST(Targets, DependencyRecordsOfABuild)
{
	TempDir t;
	t.write("vmlinux.o", "");
	auto cmd = [](const std::string &obj, const std::string &src, const std::string &deps) {
		return "cmd_" + obj + " := gcc -D__KERNEL__ -c -o " + obj + " " + src + "\n\nsource_" + obj +
		       " := " + src + "\n\ndeps_" + obj + " := \\\n" + deps + "\n";
	};
	t.write("kernel/.sys.o.cmd", cmd("kernel/sys.o", "kernel/sys.c", "  include/linux/utsname.h \\\n"));
	t.write("mm/.vmstat.o.cmd", cmd("mm/vmstat.o", "mm/vmstat.c", "  include/linux/mm.h \\\n"));
	t.write("scripts/mod/.modpost.o.cmd", "cmd_scripts/mod/modpost.o := gcc -c x\n\nsource_x := "
					      "include/linux/utsname.h\n");
	Options opts = quiet_options();
	KernelRun run;
	run.tree = t.path();
	run.changed_files = {"include/linux/utsname.h"};
	ASSERT_FALSE(choose_targets(opts, run));
	EXPECT_EQ(run.targets, std::vector<std::string>{"kernel/sys.o"});
	run.changed_files = {"mm/vmstat.c", "include/linux/mm.h"};
	ASSERT_FALSE(choose_targets(opts, run));
	EXPECT_EQ(run.targets, std::vector<std::string>{"mm/vmstat.o"});

	// A 6.2+ build's records: savedcmd_.
	t.write("fs/proc/.cmdline.o.cmd", "saved" + cmd("fs/proc/cmdline.o", "fs/proc/cmdline.c",
							"  include/linux/utsname.h \\\n"));
	run.changed_files = {"include/linux/utsname.h"};
	ASSERT_FALSE(choose_targets(opts, run));
	EXPECT_EQ(run.targets, (std::vector<std::string>{"fs/proc/cmdline.o", "kernel/sys.o"}));
}

// ---- modules the patch uses

// A diff object of module vfat whose report names fat's export and vfat's own static.
KernelRun vfat_run(const TempDir &t)
{
	KernelRun run;
	run.mode = Mode::oot;
	run.release = "6.1.0-56-amd64";
	ObjectPair pair;
	pair.rel = "fs/fat/namei_vfat.o";
	pair.parent = "vfat";
	pair.parent_symtab = t.path() + "/vfat.ko";
	pair.diff = t.write("diff/fs-fat-namei_vfat.o", "");
	pair.report = t.write("diff/fs-fat-namei_vfat.json", R"({"klp_relocations": [
  {"symbol": "fat_build_inode", "objname": "fat", "sec_objname": "vfat"},
  {"symbol": "vfat_hashi", "objname": "vfat", "sec_objname": "vfat"}]})");
	run.objects.push_back(pair);
	return run;
}

TEST(UsedModules, SymbolsOfEveryModuleTheRelocationsName)
{
	TempDir t;
	std::string fat = t.write("modules/kernel/fs/fat/fat.ko", "");
	KernelRun run = vfat_run(t);
	run.spec.modules_dir = t.path() + "/modules";
	ASSERT_FALSE(find_used_modules(quiet_options(), run));
	// vfat is the parent: its symbols are already the verifier's.
	EXPECT_EQ(run.used_modules, (std::map<std::string, std::string>{{"fat", fat}}));
}

TEST(UsedModules, AMissingModuleIsNamed)
{
	TempDir t;
	KernelRun run = vfat_run(t);
	Status st = find_used_modules(quiet_options(), run);
	ASSERT_TRUE(st);
	EXPECT_EQ(st->kind, "missing-input");
	EXPECT_NE(st->message.find("fs/fat/namei_vfat.o (module vfat) uses module fat's symbol "
				   "fat_build_inode: no symbols for module fat: pass --modules "
				   "/lib/modules/6.1.0-56-amd64"),
		  std::string::npos)
		<< st->message;
}

// ---- objtool where kbuild runs it on a link

ObjectPair pair_of(const std::string &parent, bool single)
{
	ObjectPair p;
	p.parent = parent;
	p.single_object_module = single;
	return p;
}

// Debian 6.1 (objtool on each object), Debian 6.12 (X86_KERNEL_IBT: vmlinux.o and
// module links), and a kernel without objtool.
TEST(Objtool, RuleFromTheConfigAndTheParent)
{
	std::map<std::string, std::string> d61 = {{"CONFIG_OBJTOOL", "y"}, {"CONFIG_UNWINDER_ORC", "y"}};
	std::map<std::string, std::string> d612 = d61;
	d612["CONFIG_X86_KERNEL_IBT"] = "y";
	std::map<std::string, std::string> lto = {{"CONFIG_OBJTOOL", "y"}, {"CONFIG_LTO_CLANG", "y"}};

	auto cmdline = pair_of("vmlinux", false);
	auto binfmt = pair_of("binfmt_misc", true);
	auto vfat = pair_of("vfat", false);

	for (const auto *p : {&cmdline, &binfmt, &vfat}) {
		auto c = choose_objtool(d61, *p);
		EXPECT_FALSE(c.run) << p->parent;
		EXPECT_EQ(c.why, "kbuild ran objtool on the object as it compiled it");
		EXPECT_FALSE(choose_objtool({}, *p).run);
	}
	EXPECT_EQ(choose_objtool({}, cmdline).why, "no CONFIG_OBJTOOL: kbuild runs no objtool");

	auto c = choose_objtool(d612, cmdline);
	EXPECT_TRUE(c.run);
	EXPECT_FALSE(c.module);
	EXPECT_EQ(c.why, "CONFIG_X86_KERNEL_IBT: kbuild runs objtool on vmlinux.o, not on built-in objects");
	c = choose_objtool(d612, binfmt);
	EXPECT_FALSE(c.run);
	EXPECT_NE(c.why.find("a single-object module, binfmt_misc"), std::string::npos) << c.why;
	c = choose_objtool(d612, vfat);
	EXPECT_TRUE(c.run);
	EXPECT_TRUE(c.module);
	EXPECT_EQ(c.why, "CONFIG_X86_KERNEL_IBT: kbuild runs objtool on the link of module vfat, not on its parts");
	c = choose_objtool(lto, cmdline);
	EXPECT_TRUE(c.run);
	EXPECT_NE(c.why.find("CONFIG_LTO_CLANG"), std::string::npos);
}

// The parent's kind comes from the compile line: binfmt_misc.o is module binfmt_misc
// (built from that object alone), namei_vfat.o is a part of vfat.
TEST(Objtool, SingleObjectModuleFromTheRecord)
{
	TempDir t;
	auto record = [&](const std::string &obj, const std::string &modname) {
		std::string dir = obj.substr(0, obj.rfind('/'));
		std::string name = obj.substr(obj.rfind('/') + 1);
		return t.write("patched/" + dir + "/." + name + ".cmd",
			       "savedcmd_" + obj + " := gcc -DMODULE -DKBUILD_BASENAME='\"x\"' -DKBUILD_MODNAME='\"" +
				       modname + "\"' -c -o " + obj + " x.c\n");
	};
	t.write("modules/kernel/fs/binfmt_misc.ko", "");
	t.write("modules/kernel/fs/fat/vfat.ko", "");
	KernelRun run;
	run.spec.modules_dir = t.path() + "/modules";
	for (auto [obj, mod] : {std::pair{"fs/binfmt_misc.o", "binfmt_misc"}, {"fs/fat/namei_vfat.o", "vfat"}}) {
		ObjectPair p;
		p.rel = obj;
		p.changed = true;
		p.cmd_file = record(obj, mod);
		run.objects.push_back(p);
	}
	ASSERT_FALSE(find_parents(quiet_options(), run));
	EXPECT_EQ(run.objects[0].parent, "binfmt_misc");
	EXPECT_TRUE(run.objects[0].single_object_module);
	EXPECT_EQ(run.objects[1].parent, "vfat");
	EXPECT_FALSE(run.objects[1].single_object_module);
}

// A stand-in for scripts/Makefile.build + Makefile.lib's objtool variables.
TEST(Objtool, CommandAskedOfKbuild)
{
	TempDir t;
	t.write("scripts/Makefile.build", "src ?= $(obj)\n"
					  "-include include/config/auto.conf\n"
					  "include $(or $(wildcard $(src)/Kbuild),$(src)/Makefile)\n"
					  "objtool := $(objtree)/tools/objtool/objtool\n"
					  "objtool-args = --orc $(if $(CONFIG_X86_KERNEL_IBT),--ibt --link) "
					  "$(if $(part-of-module), --module)\n");
	t.write("include/config/auto.conf", "CONFIG_X86_KERNEL_IBT=y\n");
	t.write("fs/proc/Makefile", "obj-y += cmdline.o\n");
	auto vmlinux = ask_objtool_command(t.path(), "fs/proc", false, {}, false);
	ASSERT_TRUE(vmlinux) << vmlinux.error().message();
	EXPECT_EQ(*vmlinux, (std::vector<std::string>{"./tools/objtool/objtool", "--orc", "--ibt", "--link"}));
	auto part = ask_objtool_command(t.path(), "fs/proc", false, {}, true);
	ASSERT_TRUE(part) << part.error().message();
	EXPECT_EQ(part->back(), "--module");

	// An external module's directory, read as kbuild reads it for M=.
	std::string ext = t.path() + "/ext";
	t.write("ext/Kbuild", "obj-m := multi.o\nmulti-y := a.o b.o\n");
	auto oot = ask_objtool_command(t.path(), ext, true, {}, true);
	ASSERT_TRUE(oot) << oot.error().message();
	EXPECT_EQ(oot->size(), 5u);

	t.write("scripts/Makefile.build", "include $(obj)/Makefile\n");
	auto none = ask_objtool_command(t.path(), "fs/proc", false, {}, false);
	ASSERT_FALSE(none);
	EXPECT_NE(none.error().message().find("names no objtool command"), std::string::npos)
		<< none.error().message();
}

// The seal list goes, with its relocations; the code stays.
TEST(Objtool, EndbrSealDropped)
{
	TempDir t;
	auto obj = klp::elf::Object::create(EM_X86_64, ELFDATA2LSB);
	auto *text = obj->add_section(".text.foo", SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, 16);
	text->data = {0xf3, 0x0f, 0x1e, 0xfa, 0xc3};
	auto *foo = obj->add_symbol("foo", STB_GLOBAL, STT_FUNC, text, 0, 5);
	auto *seal = obj->add_section(".ibt_endbr_seal", SHT_PROGBITS, SHF_ALLOC, 1);
	seal->entsize = 4;
	seal->data.assign(4, 0);
	obj->add_rela_section(seal)->relocs.push_back({0, R_X86_64_PC32, foo, 0});
	std::string path = t.path() + "/x.o";
	ASSERT_TRUE(obj->write(path));

	ASSERT_TRUE(drop_endbr_seal(path));
	auto back = klp::elf::Object::read(path);
	ASSERT_TRUE(back) << back.error().message();
	EXPECT_EQ((*back)->find_section(".ibt_endbr_seal"), nullptr);
	EXPECT_EQ((*back)->find_section(".rela.ibt_endbr_seal"), nullptr);
	ASSERT_NE((*back)->find_section(".text.foo"), nullptr);
	EXPECT_NE((*back)->find_symbol("foo"), nullptr);
	ASSERT_TRUE(drop_endbr_seal(path)); // nothing to drop: fine
	EXPECT_FALSE(drop_endbr_seal(t.path() + "/missing.o"));
}

// ---- special-section entry sizes

// An object as the kernel's asm and objtool leave it: .altinstructions and
// __bug_table without sh_entsize, objtool's .return_sites with it.
std::string object_with_special_sections(const TempDir &t, const std::string &name)
{
	auto obj = klp::elf::Object::create(EM_X86_64, ELFDATA2LSB);
	auto *text = obj->add_section(".text.foo", SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, 16);
	text->data.assign(16, 0xc3);
	obj->add_symbol("foo", STB_GLOBAL, STT_FUNC, text, 0, 16);
	obj->add_section(".altinstructions", SHT_PROGBITS, SHF_ALLOC)->data.assign(28, 0);
	obj->add_section("__bug_table", SHT_PROGBITS, SHF_ALLOC)->data.assign(12, 0);
	auto *ret = obj->add_section(".return_sites", SHT_PROGBITS, SHF_ALLOC);
	ret->entsize = 4;
	ret->data.assign(4, 0);
	obj->add_section(".altinstr_replacement", SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR)->data.assign(5, 0x90);
	std::string path = t.path() + "/" + name;
	EXPECT_TRUE(obj->write(path));
	return path;
}

TEST(EntrySizes, OnlySectionsThatDoNotStateTheirs)
{
	TempDir t;
	auto secs = sections_without_entsize(object_with_special_sections(t, "x.o"));
	ASSERT_TRUE(secs) << secs.error().message();
	EXPECT_EQ(*secs, (std::map<std::string, uint64_t>{{".altinstructions", 28}, {"__bug_table", 12}}));
}

KernelRun run_with_special_sections(const TempDir &t)
{
	KernelRun run;
	run.release = "6.12.118+deb12-amd64";
	run.work = t.path() + "/work";
	run.headers = t.path() + "/no-headers";
	ObjectPair pair;
	pair.rel = "fs/proc/meminfo.o";
	pair.changed = true;
	pair.orig = object_with_special_sections(t, "orig.o");
	pair.patched = object_with_special_sections(t, "patched.o");
	run.objects.push_back(pair);
	return run;
}

// The user's sizes need no probe; a probe that cannot build at all is an error,
// not a reason to fall back on 6.1's sizes.
TEST(EntrySizes, GivenByTheUserOrMeasured)
{
	TempDir t;
	Options opts = quiet_options(t.path() + "/cache");
	opts.entry_sizes = {{".altinstructions", 14}, {"__bug_table", 12}};
	KernelRun run = run_with_special_sections(t);
	ASSERT_FALSE(find_entry_sizes(opts, run));
	ASSERT_EQ(run.entry_sizes.size(), 2u);
	EXPECT_EQ(run.entry_sizes.at(".altinstructions").bytes, 14u);
	EXPECT_EQ(run.entry_sizes.at(".altinstructions").from, "--entry-size");

	opts.entry_sizes.clear();
	Status st = find_entry_sizes(opts, run);
	ASSERT_TRUE(st);
	EXPECT_EQ(st->kind, "entry-size");
	EXPECT_EQ(st->result, Result::error);
	EXPECT_NE(st->message.find("the probe build failed"), std::string::npos) << st->message;
	EXPECT_FALSE(fs::exists(t.path() + "/cache/entry-sizes"));
}

// A type the target's headers lack (struct paravirt_patch_site after 6.8) refuses
// only the objects that have its section, and says how to go on.
TEST(EntrySizes, ATypeTheHeadersLackIsRefused)
{
	TempDir t;
	Options opts = quiet_options();
	KernelRun run;
	run.headers = "/usr/src/linux-headers-6.12";
	std::map<std::string, uint64_t> measured = {{"struct alt_instr", 14}, {"int", 4}};
	ASSERT_FALSE(choose_entry_sizes(opts, run, {{".altinstructions", "mm/vmalloc.o"}}, measured));
	EXPECT_EQ(run.entry_sizes.at(".altinstructions").bytes, 14u);
	EXPECT_EQ(run.entry_sizes.at(".altinstructions").from,
		  "sizeof(struct alt_instr) in /usr/src/linux-headers-6.12");

	Status st = choose_entry_sizes(opts, run, {{".parainstructions", "arch/x86/kernel/x.o"}}, measured);
	ASSERT_TRUE(st);
	EXPECT_EQ(st->result, Result::refused);
	EXPECT_EQ(st->message, "arch/x86/kernel/x.o has .parainstructions, but the target's headers "
			       "(/usr/src/linux-headers-6.12) define no struct paravirt_patch_site to tell the "
			       "size of one entry (looked in <asm/paravirt_types.h>); give it with "
			       "--entry-size .parainstructions=BYTES");
	opts.entry_sizes = {{".parainstructions", 16}};
	ASSERT_FALSE(choose_entry_sizes(opts, run, {{".parainstructions", "arch/x86/kernel/x.o"}}, measured));
}

// ---- the files klp-build finds do not depend on the order a directory lists them

// Two copies of a module: modprobe's (updates/ first), then the first by path,
// whichever was made first (tmpfs lists the newest first, ext4 by hash).
TEST(ModuleFile, ChoiceDoesNotFollowDirectoryOrder)
{
	for (bool reversed : {false, true}) {
		SCOPED_TRACE(reversed ? "made in reverse" : "made in order");
		TempDir t;
		std::vector<std::string> files = {"kernel/fs/fat/vfat.ko", "kernel/fs/zz/vfat.ko.xz",
						  "updates/dkms/vfat.ko", "extra/vfat.ko"};
		if (reversed)
			std::reverse(files.begin(), files.end());
		for (const auto &f : files)
			t.write("modules/" + f, "x");
		EXPECT_EQ(find_module_file(t.path() + "/modules", "vfat"),
			  t.path() + "/modules/updates/dkms/vfat.ko");
		fs::remove_all(t.path() + "/modules/updates");
		EXPECT_EQ(find_module_file(t.path() + "/modules", "vfat"), t.path() + "/modules/extra/vfat.ko");
		EXPECT_EQ(find_module_file(t.path() + "/modules", "fat"), "");
	}
}

// ---- the source tree extracted from a tarball

// A tree left half-made (stamp missing: killed between the rename and the stamp, or
// an older klp-build; its Makefile gone) is extracted again, never used as it is.
TEST(SourceTree, HalfExtractedTreeIsExtractedAgain)
{
	TempDir t;
	Options opts = quiet_options(t.path() + "/cache");
	KernelRun run;
	run.work = t.path() + "/work";
	fs::create_directories(run.work);
	t.write("src/linux-source-6.1/Makefile", "VERSION = 6\n");
	t.write("src/linux-source-6.1/fs/proc/cmdline.c", "int cmdline;\n");
	std::string tarball = t.path() + "/linux-source-6.1.tar.gz";
	ASSERT_EQ(std::system(("tar -czf " + tarball + " -C " + t.path() + "/src linux-source-6.1").c_str()), 0);
	std::string dest = t.path() + "/tree";

	ASSERT_FALSE(extract_tarball(opts, run, tarball, dest));
	EXPECT_EQ(t.read("tree/fs/proc/cmdline.c"), "int cmdline;\n");
	ASSERT_TRUE(fs::exists(dest + "/.klp-build/source"));

	// Stamped and whole: used as it is (a local edit stays).
	t.write("tree/fs/proc/cmdline.c", "edited\n");
	ASSERT_FALSE(extract_tarball(opts, run, tarball, dest));
	EXPECT_EQ(t.read("tree/fs/proc/cmdline.c"), "edited\n");

	// No stamp: extracted again.
	fs::resize_file(dest + "/fs/proc/cmdline.c", 3);
	fs::remove(dest + "/.klp-build/source");
	ASSERT_FALSE(extract_tarball(opts, run, tarball, dest));
	EXPECT_EQ(t.read("tree/fs/proc/cmdline.c"), "int cmdline;\n");

	// No Makefile: extracted again; a killed extraction's temporary is removed.
	fs::remove(dest + "/Makefile");
	t.write("tree.tmp.999999/half/extracted.c", "int x");
	ASSERT_FALSE(extract_tarball(opts, run, tarball, dest));
	EXPECT_TRUE(fs::exists(dest + "/Makefile"));
	// No temporary directory is left beside the tree.
	for (const auto &e : fs::directory_iterator(t.path()))
		EXPECT_EQ(e.path().filename().string().find(".tmp."), std::string::npos) << e.path();
}

// ---- cache of original objects

TEST(ObjectCache, HitOnlyWhileTheSourcesAreTheSame)
{
	TempDir t;
	Options opts = quiet_options(t.path() + "/cache");
	KernelRun run = klp::build::test::cache_test_run(t);
	t.write("tree/include/x.h", "#define X 1\n");
	std::string obj = t.write("tree/fs/proc/cmdline.o", "ORIGINAL");
	t.write("tree/fs/proc/.cmdline.o.cmd", "cmd_fs/proc/cmdline.o := gcc -c\n\nsource_fs/proc/cmdline.o "
					       ":= fs/proc/cmdline.c\n\ndeps_fs/proc/cmdline.o := \\\n"
					       "  include/x.h \\\n\n");
	ASSERT_TRUE(cache_store(opts, run, "fs/proc/cmdline.o", obj, cmd_file_of(obj)));

	std::string out = t.path() + "/out/cmdline.o";
	EXPECT_TRUE(cache_fetch(opts, run, "fs/proc/cmdline.o", out, cmd_file_of(out)));
	EXPECT_EQ(t.read("out/cmdline.o"), "ORIGINAL");
	EXPECT_FALSE(cache_fetch(opts, run, "fs/proc/other.o", out, cmd_file_of(out)));

	t.write("tree/include/x.h", "#define X 2\n"); // a dependency changed
	EXPECT_FALSE(cache_fetch(opts, run, "fs/proc/cmdline.o", out, cmd_file_of(out)));
	t.write("tree/include/x.h", "#define X 1\n");
	EXPECT_TRUE(cache_fetch(opts, run, "fs/proc/cmdline.o", out, cmd_file_of(out)));
	run.cc_version = "gcc-13 (Debian 13.1.0) 13.1.0"; // another compiler
	EXPECT_FALSE(cache_fetch(opts, run, "fs/proc/cmdline.o", out, cmd_file_of(out)));
}

// A cached object cut short (a full disk, a crash while copying, a bad sector) or
// overwritten is detected by its recorded hash: the entry is removed, never used.
TEST(ObjectCache, DamagedEntryIsDroppedNotUsed)
{
	TempDir t;
	Options opts = quiet_options(t.path() + "/cache");
	KernelRun run = klp::build::test::cache_test_run(t);
	std::string obj = t.write("tree/fs/proc/cmdline.o", "ORIGINAL OBJECT BYTES");
	t.write("tree/fs/proc/.cmdline.o.cmd", "cmd_fs/proc/cmdline.o := gcc -c\n\nsource_fs/proc/cmdline.o "
					       ":= fs/proc/cmdline.c\n\ndeps_fs/proc/cmdline.o := \\\n\n");
	std::string out = t.path() + "/out/cmdline.o";
	for (const char *damage : {"truncate", "overwrite", "cmd", "unrecorded"}) {
		SCOPED_TRACE(damage);
		ASSERT_TRUE(cache_store(opts, run, "fs/proc/cmdline.o", obj, cmd_file_of(obj)));
		std::vector<fs::path> entries;
		for (const auto &e : fs::directory_iterator(opts.cache_dir + "/objects"))
			entries.push_back(e.path());
		ASSERT_EQ(entries.size(), 1u);
		fs::path entry = entries.front();
		if (std::string(damage) == "truncate")
			fs::resize_file(entry / "object.o", 8);
		else if (std::string(damage) == "overwrite")
			std::ofstream(entry / "object.o", std::ios::binary) << "ORIGINAL OBJECT BYTEZ";
		else if (std::string(damage) == "cmd")
			fs::resize_file(entry / "object.cmd", 10);
		else
			fs::remove(entry / "contents");
		fs::remove(out);
		EXPECT_FALSE(cache_fetch(opts, run, "fs/proc/cmdline.o", out, cmd_file_of(out)));
		EXPECT_FALSE(fs::exists(out));
		EXPECT_FALSE(fs::exists(entry)) << "a damaged entry stays in the cache";
	}
	// Stored again, it is used again.
	ASSERT_TRUE(cache_store(opts, run, "fs/proc/cmdline.o", obj, cmd_file_of(obj)));
	EXPECT_TRUE(cache_fetch(opts, run, "fs/proc/cmdline.o", out, cmd_file_of(out)));
	EXPECT_EQ(t.read("out/cmdline.o"), "ORIGINAL OBJECT BYTES");
}

} // namespace
