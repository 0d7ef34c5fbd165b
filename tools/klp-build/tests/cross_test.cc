// A target of another architecture (checks.cc check_compiler_and_config): kbuild's
// ARCH= and CROSS_COMPILE= from lib/arch, the cross compiler of the one the config
// names, and the refusals (an architecture without a row, --prove).
#include "klp_build.h"
#include "make.h"
#include "temp_dir.h"

#include <gtest/gtest.h>

#include <fstream>

using namespace klp::build;
using klp::build::test::TempDir;

namespace {

std::string write_config(const TempDir &t, const std::string &text)
{
	std::string path = t.path() + "/config";
	std::ofstream(path) << text;
	return path;
}

bool has(const std::vector<std::string> &v, const std::string &s)
{
	return std::find(v.begin(), v.end(), s) != v.end();
}

} // namespace

TEST(Cross, Arm64TargetGetsArchAndCrossCompile)
{
	TempDir t;
	Options opts;
	opts.cc = {"true"}; // $CC: the compiler's own check is not what this tests
	KernelRun run;
	run.config = write_config(t, "CONFIG_ARM64=y\nCONFIG_CC_VERSION_TEXT=\"gcc-12 (Debian 12.2.0-14) 12.2.0\"\n");
	auto st = check_compiler_and_config(opts, run);
	ASSERT_NE(run.arch, nullptr);
	EXPECT_EQ(run.arch->kbuild_arch, "arm64");
	EXPECT_EQ(run.cross, (std::vector<std::string>{"ARCH=arm64", "CROSS_COMPILE=aarch64-linux-gnu-"}));
	auto vars = kbuild_vars(run);
	EXPECT_TRUE(has(vars, "ARCH=arm64"));
	EXPECT_TRUE(has(vars, "CC=true"));
	// `true --version` prints nothing: the config's compiler differs, refused as such.
	ASSERT_TRUE(st.has_value());
	EXPECT_EQ(st->kind, "compiler-mismatch");
}

TEST(Cross, HostTargetHasNoCrossVariables)
{
	TempDir t;
	Options opts;
	opts.cc = {"true"};
	KernelRun run;
	run.config = write_config(t, "CONFIG_X86_64=y\nCONFIG_X86=y\n");
	check_compiler_and_config(opts, run);
	ASSERT_NE(run.arch, nullptr);
	EXPECT_TRUE(run.cross.empty());
	EXPECT_EQ(kbuild_vars(run), (std::vector<std::string>{"CC=true"}));
}

TEST(Cross, ArchitectureWithoutARowIsRefused)
{
	TempDir t;
	Options opts;
	KernelRun run;
	run.config = write_config(t, "CONFIG_S390=y\nCONFIG_64BIT=y\n");
	auto st = check_compiler_and_config(opts, run);
	ASSERT_TRUE(st.has_value());
	EXPECT_EQ(st->kind, "unsupported-arch");
	EXPECT_NE(st->message.find("s390"), std::string::npos) << st->message;
	EXPECT_NE(st->message.find("x86_64, aarch64"), std::string::npos) << st->message;
}

TEST(Cross, ProveOfAnotherArchitectureIsRefused)
{
	TempDir t;
	Options opts;
	opts.prove = true;
	KernelRun run;
	run.config = write_config(t, "CONFIG_ARM64=y\n");
	auto st = check_compiler_and_config(opts, run);
	ASSERT_TRUE(st.has_value());
	EXPECT_EQ(st->kind, "prove-unsupported");
}

TEST(Cross, TheConfigsCompilerWithTheCrossPrefix)
{
	if (!klp::in_path("aarch64-linux-gnu-gcc-12"))
		GTEST_SKIP() << "aarch64-linux-gnu-gcc-12 is not installed (scripts/setup)";
	TempDir t;
	Options opts;
	KernelRun run;
	// Debian's arm64 6.1: built natively with gcc-12, here that is the cross gcc-12.
	run.config = write_config(t, "CONFIG_ARM64=y\nCONFIG_CC_VERSION_TEXT=\"gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0\"\n");
	check_compiler_and_config(opts, run);
	EXPECT_EQ(run.cc, (std::vector<std::string>{"aarch64-linux-gnu-gcc-12"}));
	// 7.x names its compiler with the host's triplet: x86_64-linux-gnu-gcc-16 built an
	// amd64 kernel, aarch64-linux-gnu-gcc-16 an arm64 one.
	run.config = write_config(t, "CONFIG_ARM64=y\nCONFIG_CC_VERSION_TEXT=\"aarch64-linux-gnu-gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0\"\n");
	check_compiler_and_config(opts, run);
	EXPECT_EQ(run.cc, (std::vector<std::string>{"aarch64-linux-gnu-gcc-12"}));
}
