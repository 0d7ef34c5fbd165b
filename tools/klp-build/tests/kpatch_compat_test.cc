// kpatch-build's command line onto klp-build's (kpatch_compat.h): each option, the
// defaults kpatch-build would find on a Debian or Fedora machine, and the errors for
// what klp-build does not do. The whole command: tests/kernel/klp-build-cases
// (kpatch-build-oot).
#include "kpatch_compat.h"

#include <gtest/gtest.h>

#include <set>

using namespace klp::build;

namespace {

KpatchHost host_with(std::set<std::string> files, std::string release = "6.1.0-57-amd64")
{
	KpatchHost host;
	host.running_release = std::move(release);
	host.exists = [files = std::move(files)](const std::string &p) { return files.count(p) > 0; };
	return host;
}

std::vector<std::string> translated(const std::vector<std::string> &args, const KpatchHost &host)
{
	auto t = translate_kpatch_build(args, host);
	EXPECT_TRUE(t) << (t ? "" : t.error().message());
	return t ? t->args : std::vector<std::string>{};
}

std::string error_of(const std::vector<std::string> &args, const KpatchHost &host = host_with({}))
{
	auto t = translate_kpatch_build(args, host);
	return t ? "<no error>" : t.error().message();
}

using Args = std::vector<std::string>;

TEST(KpatchCompat, TheCommonInvocation)
{
	EXPECT_EQ(translated({"-s", "/src", "-c", "/boot/config", "-v", "/vmlinux", "-j", "4", "-n", "fix",
			      "-o", "/out", "fix.patch", "two.patch"},
			     host_with({})),
		  (Args{"-s", "/src", "--vmlinux", "/vmlinux", "-c", "/boot/config", "-j", "4", "-n", "fix", "-o",
			"/out", "--", "fix.patch", "two.patch"}));
}

TEST(KpatchCompat, LongFormsClustersAndInlineValues)
{
	EXPECT_EQ(translated({"--sourcedir=/src", "--vmlinux", "/v", "-j8", "-dR", "--skip-cleanup", "p.patch"},
			     host_with({})),
		  (Args{"-s", "/src", "--vmlinux", "/v", "-j", "8", "--no-replace", "-T", "--debug", "--",
			"p.patch"}));
	// -d twice: the tools' output too, as kpatch-build's deeper xtrace.
	EXPECT_EQ(translated({"-s", "/src", "-d", "--debug", "p.patch"}, host_with({})),
		  (Args{"-s", "/src", "--debug", "-v", "--", "p.patch"}));
	// After --, a patch may look like an option.
	EXPECT_EQ(translated({"-s", "/src", "--", "-odd.patch"}, host_with({})),
		  (Args{"-s", "/src", "--", "-odd.patch"}));
}

// Not -v as --verbose: kpatch-build's -v is the vmlinux.
TEST(KpatchCompat, DashVIsTheVmlinux)
{
	auto args = translated({"-s", "/src", "-v", "/usr/lib/debug/vmlinux", "p.patch"}, host_with({}));
	ASSERT_GE(args.size(), 4u);
	EXPECT_EQ(args[2], "--vmlinux");
	EXPECT_EQ(args[3], "/usr/lib/debug/vmlinux");
}

TEST(KpatchCompat, DefaultsAreWhereDebianAndFedoraPutThem)
{
	// Debian: linux-source-6.1's tarball, linux-image-*-dbg's vmlinux.
	auto debian = host_with({"/usr/src/linux-source-6.1.tar.xz", "/usr/lib/debug/boot/vmlinux-6.1.0-57-amd64"});
	auto t = translate_kpatch_build({"p.patch"}, debian);
	ASSERT_TRUE(t) << t.error().message();
	EXPECT_EQ(t->args, (Args{"-s", "/usr/src/linux-source-6.1.tar.xz", "--vmlinux",
				 "/usr/lib/debug/boot/vmlinux-6.1.0-57-amd64", "--", "p.patch"}));
	EXPECT_EQ(t->notes.size(), 2u);
	// -a: another kernel's release, its series' source and its symbols.
	auto fedora = host_with({"/usr/src/linux-source-6.12.tar.xz", "/usr/lib/debug/lib/modules/6.12.9/vmlinux"});
	EXPECT_EQ(translated({"-a", "6.12.9", "p.patch"}, fedora),
		  (Args{"--release", "6.12.9", "-s", "/usr/src/linux-source-6.12.tar.xz", "--vmlinux",
			"/usr/lib/debug/lib/modules/6.12.9/vmlinux", "--", "p.patch"}));
	// No vmlinux found: none passed, klp-build says what it needs if it needs it.
	EXPECT_EQ(translated({"-s", "/src", "p.patch"}, host_with({})), (Args{"-s", "/src", "--", "p.patch"}));
}

TEST(KpatchCompat, OutOfTreeModule)
{
	// -s is then the kernel build tree the module is built against: klp-build's -k.
	EXPECT_EQ(translated({"-s", "/lib/modules/6.1.0-57-amd64/build", "--oot-module-src", "/m", "-e",
			      "/lib/modules/6.1.0-57-amd64/updates/m.ko", "p.patch"},
			     host_with({"/usr/lib/debug/boot/vmlinux-6.1.0-57-amd64"})),
		  (Args{"--oot-module-src", "/m", "-k", "/lib/modules/6.1.0-57-amd64/build", "--oot-module",
			"/lib/modules/6.1.0-57-amd64/updates/m.ko", "--", "p.patch"}));
}

TEST(KpatchCompat, TargetIsANoteNotAnError)
{
	auto t = translate_kpatch_build({"-s", "/src", "-t", "vmlinux", "p.patch"}, host_with({}));
	ASSERT_TRUE(t);
	ASSERT_EQ(t->notes.size(), 1u);
	EXPECT_NE(t->notes[0].find("-t vmlinux: ignored"), std::string::npos);
}

TEST(KpatchCompat, WhatKlpBuildDoesNotDoIsAnError)
{
	EXPECT_NE(error_of({"-r", "kernel.src.rpm", "p.patch"}).find("-r/--sourcerpm kernel.src.rpm: RPM sources"),
		  std::string::npos);
	EXPECT_NE(error_of({"--skip-compiler-check", "-s", "/src", "p.patch"})
			  .find("--skip-compiler-check is not supported: a livepatch must be compiled by the compiler"),
		  std::string::npos);
	EXPECT_NE(error_of({"--skip-gcc-check", "p.patch"}).find("--skip-gcc-check is not supported"),
		  std::string::npos);
	EXPECT_EQ(error_of({"-x", "p.patch"}), "unknown option -x (kpatch-build --help lists them)");
	EXPECT_EQ(error_of({"--frobnicate", "p.patch"}), "unknown option --frobnicate (kpatch-build --help lists them)");
	EXPECT_EQ(error_of({"-s"}), "-s/--sourcedir needs a value");
	EXPECT_EQ(error_of({"--skip-cleanup=1", "p.patch"}), "--skip-cleanup takes no value");
	EXPECT_EQ(error_of({"-s", "/src"}), "no patch given (kpatch-build [options] PATCH...)");
	EXPECT_NE(error_of({"p.patch"}).find("no kernel source: give -s SRC"), std::string::npos);
	EXPECT_NE(error_of({"p.patch"}).find("or install linux-source-6.1"), std::string::npos);
}

TEST(KpatchCompat, HelpStopsBeforeAnythingElse)
{
	auto t = translate_kpatch_build({"-r", "x.rpm", "-h"}, host_with({}));
	// -r comes first and is an error; -h alone is help.
	EXPECT_FALSE(t);
	t = translate_kpatch_build({"--help"}, host_with({}));
	ASSERT_TRUE(t);
	EXPECT_TRUE(t->help);
	EXPECT_NE(kpatch_usage().find("-v, --vmlinux FILE"), std::string::npos);
}

} // namespace
