// Build roots: which suite a kernel's compiler needs, what is shown inside a root and
// how a command enters it; and the config options a root cannot provide.
#include "buildroot.h"
#include "kbuild.h"
#include "temp_dir.h"

#include <gtest/gtest.h>

#include <elf.h>
#include <sys/stat.h>

#include <algorithm>

using namespace klp::build;
using klp::build::test::TempDir;

TEST(BuildRoot, SuiteFromDebianCompilers)
{
	// CONFIG_CC_VERSION_TEXT of Debian's own kernels.
	EXPECT_EQ(*suite_for_compiler("gcc-10 (Debian 10.2.1-6) 10.2.1 20210110"), "bullseye");
	EXPECT_EQ(*suite_for_compiler("gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0"), "bookworm");
	EXPECT_EQ(*suite_for_compiler("gcc-14 (Debian 14.2.0-19) 14.2.0"), "trixie");
	EXPECT_EQ(*suite_for_compiler("x86_64-linux-gnu-gcc-16 (Debian 16.2.0-4) 16.2.0"), "sid");
}

TEST(BuildRoot, ArchOfTheTargetNamesItsRoot)
{
	// Debian's arm64 7.2 (sid): its own cross compiler, in a root of its own.
	EXPECT_EQ(*suite_for_compiler("aarch64-linux-gnu-gcc-16 (Debian 16.2.0-4) 16.2.0"), "sid");
	const klp::arch::Arch *host = klp::arch::find(klp::arch::host_machine());
	const klp::arch::Arch *other =
		klp::arch::find(klp::arch::host_machine() == EM_AARCH64 ? EM_X86_64 : EM_AARCH64);
	ASSERT_TRUE(host && other);
	EXPECT_EQ(default_build_root("/c", "sid"), "/c/buildroots/sid");
	EXPECT_EQ(default_build_root("/c", "sid", host), "/c/buildroots/sid");
	EXPECT_EQ(default_build_root("/c", "sid", other),
		  "/c/buildroots/sid-" + std::string(other->debian_arch));
}

TEST(BuildRoot, RefusesWhatNoSuiteHolds)
{
	auto clang = suite_for_compiler("Debian clang version 19.1.7 (3+b1)");
	ASSERT_FALSE(clang);
	EXPECT_NE(clang.error().message().find("gcc only"), std::string::npos) << clang.error().message();
	auto ubuntu = suite_for_compiler("gcc-13 (Ubuntu 13.2.0-4ubuntu3) 13.2.0");
	ASSERT_FALSE(ubuntu);
	EXPECT_NE(ubuntu.error().message().find("not a Debian gcc"), std::string::npos);
	auto gcc13 = suite_for_compiler("gcc-13 (Debian 13.3.0-16) 13.3.0");
	ASSERT_FALSE(gcc13);
	EXPECT_NE(gcc13.error().message().find("gcc-13"), std::string::npos);
	EXPECT_FALSE(suite_for_compiler(""));
}

TEST(BuildRoot, BindsBuildDirectoriesNeverSystemOnes)
{
	TempDir t;
	t.write("cache/src/x/Makefile", "");
	t.write("work/a", "");
	BuildRoot root;
	root.dir = t.path() + "/root";
	for (const char *system : {"/", "/usr", "/usr/lib", "/etc", "/bin"})
		root.bind(system);
	EXPECT_TRUE(root.binds.empty());
	root.bind(t.path() + "/cache/src/x");
	root.bind(t.path() + "/cache/src/x/"); // the same again
	root.bind(t.path() + "/nonexistent");
	ASSERT_EQ(root.binds.size(), 1u);
	// A parent bound later covers the child bound before it.
	root.bind(t.path() + "/cache");
	root.bind(t.path() + "/work");
	std::vector<std::string> want = {t.path() + "/cache", t.path() + "/work"};
	EXPECT_EQ(root.binds, want);
	// A directory below a system one is the build's own (Debian's installed headers).
	root.bind("/usr/share/doc");
	EXPECT_NE(std::find(root.binds.begin(), root.binds.end(), "/usr/share/doc"), root.binds.end());
}

TEST(BuildRoot, WrapsACommand)
{
	BuildRoot root;
	root.dir = "/srv/roots/sid";
	root.binds = {"/var/cache/klpkit"};
	auto argv = root.wrap({"make", "-C", "/tree", "prepare"}, "/work");
	ASSERT_GE(argv.size(), 8u);
	EXPECT_EQ(argv[0], "bwrap");
	EXPECT_EQ(argv[1], "--bind");
	EXPECT_EQ(argv[2], "/srv/roots/sid");
	EXPECT_EQ(argv[3], "/");
	auto bind = std::find(argv.begin(), argv.end(), "/var/cache/klpkit");
	ASSERT_NE(bind, argv.end());
	EXPECT_EQ(*(bind - 1), "--bind");
	EXPECT_EQ(*(bind + 1), "/var/cache/klpkit");
	auto dashdash = std::find(argv.begin(), argv.end(), "--");
	ASSERT_NE(dashdash, argv.end());
	EXPECT_EQ(*(dashdash - 2), "--chdir");
	EXPECT_EQ(*(dashdash - 1), "/work");
	EXPECT_EQ(std::vector<std::string>(dashdash + 1, argv.end()),
		  (std::vector<std::string>{"make", "-C", "/tree", "prepare"}));
	auto plain = root.wrap({"true"});
	EXPECT_EQ(*(std::find(plain.begin(), plain.end(), "--chdir") + 1), "/"); // no cwd: /
}

TEST(BuildRoot, OpensOnlyWhatItMade)
{
	TempDir t;
	auto none = open_build_root(t.path());
	ASSERT_FALSE(none);
	EXPECT_NE(none.error().message().find("not a build root"), std::string::npos);

	t.write(".klpkit-buildroot", "suite=bullseye\nmirror=http://deb.debian.org/debian\n");
	auto nomake = open_build_root(t.path());
	ASSERT_FALSE(nomake);
	EXPECT_NE(nomake.error().message().find("make"), std::string::npos);

	std::string make = t.write("usr/bin/make", "#!/bin/sh\n");
	chmod(make.c_str(), 0755);
	std::string gcc = t.write("usr/bin/gcc-10", "#!/bin/sh\n");
	chmod(gcc.c_str(), 0755);
	auto root = open_build_root(t.path() + "/", "bullseye");
	ASSERT_TRUE(root) << root.error().message();
	EXPECT_EQ(root->suite, "bullseye");
	EXPECT_EQ(root->dir, t.path());
	EXPECT_EQ(root->find_program("gcc-10"), t.path() + "/usr/bin/gcc-10");
	EXPECT_EQ(root->find_program("gcc-16"), "");
	auto wrong = open_build_root(t.path(), "sid");
	ASSERT_FALSE(wrong);
	EXPECT_NE(wrong.error().message().find("bullseye root, not sid"), std::string::npos);
}

TEST(BuildRoot, MakeRefusesBadSuiteAndForeignDirectory)
{
	TempDir t;
	auto bad = make_build_root(t.path() + "/r", "jessie", t.path() + "/log", false);
	ASSERT_FALSE(bad);
	EXPECT_NE(bad.error().message().find("bullseye, bookworm, trixie, sid"), std::string::npos)
		<< bad.error().message();
	t.write("mine/notes.txt", "not a root");
	auto foreign = make_build_root(t.path() + "/mine", "bullseye", t.path() + "/log", false);
	ASSERT_FALSE(foreign);
	EXPECT_NE(foreign.error().message().find("not a build root"), std::string::npos);
	EXPECT_EQ(t.read("mine/notes.txt"), "not a root");
}

TEST(ConfigDrift, OptionsTheHostCannotProvide)
{
	// Debian's 7.2 config against the tree olddefconfig made in a root without rustc.
	std::map<std::string, std::string> target = {
		{"CONFIG_RUST", "y"},
		{"CONFIG_RUSTC_VERSION", "109701"},
		{"CONFIG_RUSTC_VERSION_TEXT", "\"rustc 1.97.1\""},
		{"CONFIG_CC_VERSION_TEXT", "\"x86_64-linux-gnu-gcc-16 (Debian 16.2.0-4) 16.2.0\""},
		{"CONFIG_LIVEPATCH", "y"},
		{"CONFIG_DRM_PANIC_SCREEN_QR_CODE", "y"},
	};
	std::map<std::string, std::string> tree = {
		{"CONFIG_RUSTC_VERSION", "0"},
		{"CONFIG_CC_VERSION_TEXT", "\"x86_64-linux-gnu-gcc-16 (Debian 16.2.0-4) 16.2.0\""},
		{"CONFIG_LIVEPATCH", "y"},
		{"CONFIG_BUILD_SALT", "\"\""},
		{"CONFIG_MODULE_SIG_KEY", "\"certs/signing_key.pem\""},
	};
	std::vector<std::string> want = {"CONFIG_DRM_PANIC_SCREEN_QR_CODE", "CONFIG_RUST"};
	EXPECT_EQ(config_drift(target, tree), want);
	EXPECT_TRUE(config_drift(target, target).empty());

	EXPECT_TRUE(names_option("#ifdef CONFIG_RUST\n", "CONFIG_RUST"));
	EXPECT_TRUE(names_option("if (IS_ENABLED(CONFIG_RUST))", "CONFIG_RUST"));
	EXPECT_FALSE(names_option("#ifdef CONFIG_RUST_OVERFLOW_CHECKS\n", "CONFIG_RUST"));
	EXPECT_FALSE(names_option("#ifdef XCONFIG_RUST\n", "CONFIG_RUST"));
	EXPECT_FALSE(names_option("", "CONFIG_RUST"));
}
