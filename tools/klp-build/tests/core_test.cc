// Which livepatch core klp-build builds for (core.cc): the choice from the target's
// config, the refusals naming what it lacks, the --core option's values, and the
// patched build's flag for it.
#include "core.h"

#include "arch/arch.h"

#include "make.h"
#include "options.h"
#include "temp_dir.h"

#include <gtest/gtest.h>

#include <regex>

using namespace klp::build;
using klp::build::test::TempDir;

namespace {

// Debian 12's amd64 config, as far as the cores care.
const char *debian_amd64 = "CONFIG_X86_64=y\n"
			   "CONFIG_X86=y\n"
			   "CONFIG_MODULES=y\n"
			   "CONFIG_MODULE_UNLOAD=y\n"
			   "CONFIG_KALLSYMS=y\n"
			   "CONFIG_KALLSYMS_ALL=y\n"
			   "CONFIG_KPROBES=y\n"
			   "CONFIG_FUNCTION_TRACER=y\n"
			   "CONFIG_DYNAMIC_FTRACE=y\n"
			   "CONFIG_DYNAMIC_FTRACE_WITH_REGS=y\n"
			   "CONFIG_DYNAMIC_FTRACE_WITH_ARGS=y\n"
			   "CONFIG_STACKTRACE=y\n"
			   "CONFIG_LIVEPATCH=y\n";

// debian_amd64 with each of `drop`'s lines turned into "# ... is not set", and
// `add` after it; read back as the tool reads it.
Config config_file(const TempDir &t, const std::vector<std::string> &drop, const std::string &add = "")
{
	std::string text = debian_amd64;
	for (const auto &option : drop)
		text = std::regex_replace(text, std::regex("(^|\n)" + option + "=y\n"),
					  "$1# " + option + " is not set\n");
	auto config = read_config(t.write(".config", text + add));
	EXPECT_TRUE(config) << (config ? "" : config.error().message());
	return config ? *config : Config{};
}

struct Outcome {
	Status stop;
	CoreChoice choice;
};

Outcome choose(const std::string &asked, const Config &config)
{
	Outcome o;
	o.stop = choose_core(asked, config, "/boot/config-6.1", o.choice);
	return o;
}

} // namespace

TEST(CoreChoice, AutoTakesTheKernelsCoreWhereItHasOne)
{
	TempDir t;
	auto o = choose("auto", config_file(t, {}));
	ASSERT_FALSE(o.stop) << o.stop->message;
	EXPECT_EQ(o.choice.kind, CoreKind::kernel);
	EXPECT_EQ(o.choice.reason, "target has CONFIG_LIVEPATCH=y");
}

TEST(CoreChoice, AutoTakesTheBundledCoreWithoutLivepatch)
{
	TempDir t;
	auto o = choose("auto", config_file(t, {"CONFIG_LIVEPATCH"}));
	ASSERT_FALSE(o.stop) << o.stop->message;
	EXPECT_EQ(o.choice.kind, CoreKind::bundled);
	EXPECT_EQ(o.choice.reason, "target lacks CONFIG_LIVEPATCH");

	// "CONFIG_LIVEPATCH=m" is no core either (it cannot be a module).
	o = choose("auto", config_file(t, {"CONFIG_LIVEPATCH"}, "CONFIG_LIVEPATCH=m\n"));
	ASSERT_FALSE(o.stop);
	EXPECT_EQ(o.choice.kind, CoreKind::bundled);
}

TEST(CoreChoice, ForcedIsTakenWhereThereIsOne)
{
	TempDir t;
	auto o = choose("bundled", config_file(t, {}));
	ASSERT_FALSE(o.stop) << o.stop->message;
	EXPECT_EQ(o.choice.kind, CoreKind::bundled);
	EXPECT_EQ(o.choice.reason, "forced by --core");
	o = choose("kernel", config_file(t, {}));
	ASSERT_FALSE(o.stop) << o.stop->message;
	EXPECT_EQ(o.choice.kind, CoreKind::kernel);
	EXPECT_EQ(o.choice.reason, "forced by --core");
}

TEST(CoreChoice, ForcedKernelCoreWithoutLivepatchIsRefused)
{
	TempDir t;
	auto o = choose("kernel", config_file(t, {"CONFIG_LIVEPATCH"}));
	ASSERT_TRUE(o.stop);
	EXPECT_EQ(o.stop->result, Result::refused);
	EXPECT_EQ(o.stop->kind, "core-unavailable");
	EXPECT_EQ(o.stop->message, "/boot/config-6.1: CONFIG_LIVEPATCH is not set: the kernel has no livepatch "
				   "core for --core kernel (--core bundled builds for klpkit-core.ko)");
	EXPECT_TRUE(o.choice.reason.empty());

	// No hint at the bundled core where that is not possible either.
	o = choose("kernel", config_file(t, {"CONFIG_LIVEPATCH", "CONFIG_KPROBES"}));
	ASSERT_TRUE(o.stop);
	EXPECT_EQ(o.stop->message.find("--core bundled"), std::string::npos) << o.stop->message;
}

TEST(CoreChoice, BundledCoreNamesEveryMissingOption)
{
	TempDir t;
	auto o = choose("bundled", config_file(t, {"CONFIG_KPROBES"}));
	ASSERT_TRUE(o.stop);
	EXPECT_EQ(o.stop->result, Result::refused);
	EXPECT_EQ(o.stop->kind, "core-unavailable");
	EXPECT_EQ(o.stop->message,
		  "/boot/config-6.1: bundled core: needs CONFIG_KPROBES, which the config does not set");

	// All of them, in the order of the requirements; the ftrace pair as one.
	Config none = config_file(t, {"CONFIG_MODULES", "CONFIG_MODULE_UNLOAD", "CONFIG_KALLSYMS",
				      "CONFIG_KALLSYMS_ALL", "CONFIG_KPROBES", "CONFIG_FUNCTION_TRACER",
				      "CONFIG_DYNAMIC_FTRACE", "CONFIG_DYNAMIC_FTRACE_WITH_REGS",
				      "CONFIG_DYNAMIC_FTRACE_WITH_ARGS", "CONFIG_STACKTRACE"});
	std::vector<std::string> want = {"CONFIG_MODULES",
					 "CONFIG_MODULE_UNLOAD",
					 "CONFIG_KALLSYMS",
					 "CONFIG_KPROBES",
					 "CONFIG_FUNCTION_TRACER",
					 "CONFIG_DYNAMIC_FTRACE",
					 "CONFIG_DYNAMIC_FTRACE_WITH_REGS or CONFIG_DYNAMIC_FTRACE_WITH_ARGS",
					 "CONFIG_STACKTRACE"};
	EXPECT_EQ(bundled_core_missing(none), want);
	o = choose("bundled", none);
	ASSERT_TRUE(o.stop);
	for (const auto &option : want)
		EXPECT_NE(o.stop->message.find(option), std::string::npos) << option;
}

TEST(CoreChoice, EitherFtraceFlavourSetsTheIp)
{
	TempDir t;
	// 6.x arm64-style: arguments only; 5.10 x86: registers only.
	EXPECT_TRUE(bundled_core_missing(config_file(t, {"CONFIG_DYNAMIC_FTRACE_WITH_REGS"})).empty());
	EXPECT_TRUE(bundled_core_missing(config_file(t, {"CONFIG_DYNAMIC_FTRACE_WITH_ARGS"})).empty());
	std::vector<std::string> want = {"CONFIG_DYNAMIC_FTRACE_WITH_REGS or CONFIG_DYNAMIC_FTRACE_WITH_ARGS"};
	EXPECT_EQ(bundled_core_missing(
			  config_file(t, {"CONFIG_DYNAMIC_FTRACE_WITH_REGS", "CONFIG_DYNAMIC_FTRACE_WITH_ARGS"})),
		  want);
}

TEST(CoreChoice, BundledCoreOnX86_64AndArm64)
{
	TempDir t;
	// Debian's arm64 kernel: no CONFIG_LIVEPATCH and no CONFIG_KALLSYMS_ALL (data is
	// refused per patch), everything else the core needs.
	Config arm64 = config_file(t, {"CONFIG_X86_64", "CONFIG_X86", "CONFIG_LIVEPATCH", "CONFIG_KALLSYMS_ALL"},
				   "CONFIG_ARM64=y\n");
	EXPECT_EQ(klp::arch::config_arch_name(arm64), "arm64");
	auto o = choose("auto", arm64);
	ASSERT_FALSE(o.stop);
	EXPECT_EQ(o.choice.kind, CoreKind::bundled);

	// s390 has no port: --core bundled is refused, and auto says why it cannot stand in.
	Config s390 = config_file(t, {"CONFIG_X86_64", "CONFIG_X86", "CONFIG_LIVEPATCH"}, "CONFIG_S390=y\n");
	o = choose("bundled", s390);
	ASSERT_TRUE(o.stop);
	EXPECT_EQ(o.stop->kind, "core-unavailable");
	EXPECT_EQ(o.stop->message, "/boot/config-6.1: bundled core: not ported to s390 (x86_64 and arm64 are)");
	o = choose("auto", s390);
	ASSERT_TRUE(o.stop);
	EXPECT_EQ(o.stop->kind, "no-livepatch");
	EXPECT_EQ(o.stop->message, "/boot/config-6.1: CONFIG_LIVEPATCH is not set, and the bundled core cannot "
				   "stand in: not ported to s390 (x86_64 and arm64 are)");

	EXPECT_EQ(klp::arch::config_arch_name(config_file(t, {"CONFIG_X86_64"}, "CONFIG_X86_32=y\n")), "i386");
	EXPECT_EQ(klp::arch::config_arch_name(config_file(t, {"CONFIG_X86_64", "CONFIG_X86"})), "");
	EXPECT_EQ(bundled_core_unavailable(config_file(t, {"CONFIG_X86_64", "CONFIG_X86"})),
		  "not ported to the target's architecture (x86_64 and arm64 are)");
	EXPECT_EQ(bundled_core_unavailable(config_file(t, {})), "");
}

TEST(CoreChoice, AutoWithoutEitherCoreIsRefused)
{
	TempDir t;
	auto o = choose("auto", config_file(t, {"CONFIG_LIVEPATCH", "CONFIG_KPROBES", "CONFIG_STACKTRACE"}));
	ASSERT_TRUE(o.stop);
	EXPECT_EQ(o.stop->result, Result::refused);
	EXPECT_EQ(o.stop->kind, "no-livepatch");
	EXPECT_EQ(o.stop->message, "/boot/config-6.1: CONFIG_LIVEPATCH is not set, and the bundled core cannot "
				   "stand in: needs CONFIG_KPROBES; CONFIG_STACKTRACE, which the config does not set");
}

namespace {

klp::Expected<ParsedOptions> parse(std::vector<std::string> args)
{
	static TempDir t;
	std::string patch = t.write("fix.patch", "--- a/x.c\n+++ b/x.c\n@@ -1 +1 @@\n-a\n+b\n");
	args.insert(args.begin(), "klp-build");
	args.push_back(patch);
	std::vector<char *> argv;
	for (auto &a : args)
		argv.push_back(a.data());
	return parse_options(static_cast<int>(argv.size()), argv.data());
}

} // namespace

TEST(CoreOption, DefaultsAndPerKernelKey)
{
	auto p = parse({"-s", "/src", "--kallsyms", "/k"});
	ASSERT_TRUE(p) << p.error().message();
	EXPECT_EQ(p->options.kernels.at(0).core, "auto");

	// --core is every kernel's default; core= overrides it for one.
	p = parse({"--core", "bundled", "--kallsyms", "/k", "-K", "src=/a", "-K", "src=/b,core=kernel"});
	ASSERT_TRUE(p) << p.error().message();
	ASSERT_EQ(p->options.kernels.size(), 2u);
	EXPECT_EQ(p->options.kernels[0].core, "bundled");
	EXPECT_EQ(p->options.kernels[1].core, "kernel");
}

TEST(CoreOption, UnknownValuesAreErrors)
{
	auto p = parse({"-s", "/src", "--kallsyms", "/k", "--core", "kpatch"});
	ASSERT_FALSE(p);
	EXPECT_EQ(p.error().message(), "--core kpatch: expected auto, kernel or bundled");
	p = parse({"--kallsyms", "/k", "-K", "src=/a,core=yes"});
	ASSERT_FALSE(p);
	EXPECT_EQ(p.error().message(), "--kernel src=/a,core=yes: core=yes: expected auto, kernel or bundled");
}

TEST(SplitOption, StacksAndRefusesProve)
{
	auto p = parse({"-s", "/src", "--kallsyms", "/k"});
	ASSERT_TRUE(p) << p.error().message();
	EXPECT_FALSE(p->options.split);
	EXPECT_TRUE(p->options.replace);

	// An atomic-replace part would drop the other parts: --split stacks.
	p = parse({"-s", "/src", "--kallsyms", "/k", "--split"});
	ASSERT_TRUE(p) << p.error().message();
	EXPECT_TRUE(p->options.split);
	EXPECT_FALSE(p->options.replace);

	p = parse({"-s", "/src", "--kallsyms", "/k", "--split", "--prove"});
	ASSERT_FALSE(p);
	EXPECT_EQ(p.error().message(), "--prove proves one module; prove each part of --split with klpkit prove");
}

TEST(CoreFlags, PatchedBuildOfABundledPatchDefinesIt)
{
	Options opts;
	opts.template_dir = "/opt/klpkit/kmod-template";
	KernelRun run;
	klp::Command cmd;
	cmd.argv = {"make", "-C", "/src", "KCFLAGS=-ffunction-sections -fdata-sections", "fs/proc/cmdline.o"};

	run.core = {CoreKind::kernel, "target has CONFIG_LIVEPATCH=y"};
	EXPECT_EQ(with_patched_flags(opts, run, cmd).argv[3],
		  "KCFLAGS=-ffunction-sections -fdata-sections -idirafter /opt/klpkit/kmod-template");

	// klpkit-bundled.h, force-included, maps the kernel's livepatch API onto
	// klpkit-core.ko's whichever header the patch uses.
	run.core = {CoreKind::bundled, "target lacks CONFIG_LIVEPATCH"};
	EXPECT_EQ(with_patched_flags(opts, run, cmd).argv[3],
		  "KCFLAGS=-ffunction-sections -fdata-sections "
		  "-idirafter /opt/klpkit/kmod-template -DKLPKIT_CORE_BUNDLED=1 "
		  "-include /opt/klpkit/kmod-template/klpkit-bundled.h");
	// Out of tree the make has no KCFLAGS of its own yet.
	cmd.argv = {"make", "-C", "/headers", "M=/work/oot/patched"};
	EXPECT_EQ(with_patched_flags(opts, run, cmd).argv.back(),
		  "KCFLAGS=-idirafter /opt/klpkit/kmod-template -DKLPKIT_CORE_BUNDLED=1 "
		  "-include /opt/klpkit/kmod-template/klpkit-bundled.h");
}
