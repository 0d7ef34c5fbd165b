// klp-build's logic without a kernel: patch headers, kbuild records, compiler
// identities, which objects a patch names, applying and reverting patches, and the
// original-object cache, on small files in a temporary directory.
#include "kbuild.h"
#include "klp_build.h"
#include "objcache.h"
#include "patches.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;
using namespace klp::build;

namespace {

class TempDir {
public:
	TempDir()
	{
		std::string pattern = (fs::temp_directory_path() / "klp-build-test.XXXXXX").string();
		path_ = mkdtemp(pattern.data());
	}
	~TempDir()
	{
		std::error_code ec;
		fs::remove_all(path_, ec);
	}
	const std::string &path() const { return path_; }
	std::string write(const std::string &rel, const std::string &text) const
	{
		fs::path p = fs::path(path_) / rel;
		fs::create_directories(p.parent_path());
		std::ofstream(p) << text;
		return p.string();
	}
	std::string read(const std::string &rel) const
	{
		auto t = read_text(path_ + "/" + rel);
		return t ? *t : "<missing>";
	}

private:
	std::string path_;
};

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

// ---- targets

TEST(Targets, ObjectsNamedByTheSources)
{
	TempDir t;
	t.write("fs/proc/Makefile", "proc-y += cmdline.o\nproc-$(CONFIG_X) += other.o\n");
	t.write("kernel/sched/Makefile", "obj-y += core.o build_policy.o\n");
	t.write("kernel/sched/build_policy.c", "#include \"idle.c\"\n#  include \"rt.c\"\n");
	t.write("kernel/sched/rt.c", "int x;\n");
	Options opts = quiet_options();
	KernelRun run;
	run.tree = t.path();
	run.changed_files = {"fs/proc/cmdline.c", "kernel/sched/rt.c", "fs/proc/other.c"};
	ASSERT_FALSE(choose_targets(opts, run));
	EXPECT_FALSE(run.full_build);
	EXPECT_EQ(run.targets, (std::vector<std::string>{"fs/proc/cmdline.o", "fs/proc/other.o",
							  "kernel/sched/build_policy.o"}));

	run.targets.clear();
	run.changed_files = {"fs/proc/nowhere.c"};
	Status st = choose_targets(opts, run);
	ASSERT_TRUE(st);
	EXPECT_EQ(st->result, Result::refused);

	run.changed_files = {"include/linux/x.h"};
	ASSERT_FALSE(choose_targets(opts, run));
	EXPECT_TRUE(run.full_build); // no records to tell who includes it
}

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

// ---- cache of original objects

TEST(ObjectCache, HitOnlyWhileTheSourcesAreTheSame)
{
	TempDir t;
	Options opts = quiet_options(t.path() + "/cache");
	KernelRun run;
	run.tree = t.path() + "/tree";
	run.release = "6.1.0-56-amd64";
	run.cc = {"gcc-12"};
	run.cc_version = "gcc-12 (Debian 12.2.0-14) 12.2.0";
	t.write("tree/.config", "CONFIG_LIVEPATCH=y\n");
	t.write("tree/fs/proc/cmdline.c", "int a;\n");
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

} // namespace
