// Which directory builds an object and how make reaches it, asked of kbuild (a
// stand-in Makefile.build with kbuild's interface) or given as kbuild's answers.
#include "include_scan.h"
#include "kbuild_dirs.h"
#include "klp_build.h"
#include "make.h"

#include "temp_dir.h"

#include <gtest/gtest.h>

#include <map>

using namespace klp::build;
using klp::build::test::TempDir;

namespace {

Options quiet_options()
{
	Options o;
	o.jobs = 2;
	return o;
}

// A stand-in for kbuild's scripts/Makefile.build with the same interface (obj=DIR,
// the directory's Kbuild or Makefile read with include/config/auto.conf) deriving
// the lists klp-build asks for: real-obj-y/-m (composites expanded) and subdir-ym.
const char *fake_makefile_build =
	"src := $(obj)\n"
	"-include include/config/auto.conf\n"
	"include $(or $(wildcard $(src)/Kbuild),$(src)/Makefile)\n"
	"parts = $(or $(strip $($(1:.o=-y)) $($(1:.o=-m)) $($(1:.o=-objs))),$(1))\n"
	"real-obj-y := $(addprefix $(obj)/,$(foreach o,$(filter %.o,$(obj-y)),$(call parts,$(o))))\n"
	"real-obj-m := $(addprefix $(obj)/,$(foreach o,$(filter %.o,$(obj-m)),$(call parts,$(o))))\n"
	"subdir-ym := $(addprefix $(obj)/,$(patsubst %/,%,$(filter %/,$(obj-y) $(obj-m))))\n";

// What kbuild reads and klp-build's grep did not: a `\` continuation, an object in
// a subdirectory without a Makefile, a CONFIG_ value, a variable, an include.
TEST(Kbuild, AskReadsTheDirectoryAsKbuildDoes)
{
	TempDir t;
	t.write("scripts/Makefile.build", fake_makefile_build);
	t.write("include/config/auto.conf", "CONFIG_KVM_AMD=m\nCONFIG_XFS_FS=y\n");
	t.write("arch/x86/kvm/Makefile", "kvm-amd-y += svm/svm.o \\\n\t\tsvm/nested.o\n"
					 "kvm-intel-y += vmx/vmx.o\n"
					 "obj-$(CONFIG_KVM_AMD) += kvm-amd.o\nobj-$(CONFIG_KVM_INTEL) += kvm-intel.o\n");
	auto kvm = ask_kbuild(t.path(), {}, "arch/x86/kvm");
	ASSERT_TRUE(kvm) << kvm.error().message();
	EXPECT_EQ(kvm->objects, (std::vector<std::string>{"arch/x86/kvm/svm/svm.o", "arch/x86/kvm/svm/nested.o"}));

	t.write("drivers/gpu/drm/amd/amdgpu/Makefile", "AMDDALPATH = ../display\n"
							"include $(src)/../display/Makefile\n"
							"amdgpu-y += amdgpu_drv.o $(AMD_DISPLAY_FILES)\n"
							"obj-m += amdgpu.o\n");
	t.write("drivers/gpu/drm/amd/display/Makefile", "AMD_DISPLAY_FILES += $(AMDDALPATH)/dc/core/dc.o\n");
	auto amdgpu = ask_kbuild(t.path(), {}, "drivers/gpu/drm/amd/amdgpu");
	ASSERT_TRUE(amdgpu) << amdgpu.error().message();
	EXPECT_EQ(amdgpu->objects, (std::vector<std::string>{"drivers/gpu/drm/amd/amdgpu/amdgpu_drv.o",
							     "drivers/gpu/drm/amd/amdgpu/../display/dc/core/dc.o"}));

	t.write("fs/Makefile", "obj-$(CONFIG_XFS_FS) += xfs/\nobj-$(CONFIG_EXT4_FS) += ext4/\n");
	auto fs = ask_kbuild(t.path(), {}, "fs");
	ASSERT_TRUE(fs) << fs.error().message();
	EXPECT_EQ(fs->subdirs, std::vector<std::string>{"fs/xfs"});

	// A Makefile that only means something included by another (AMDDALPATH is
	// amdgpu's): the directory is named in the error.
	t.write("drivers/gpu/drm/amd/display/dc/Makefile", "include $(AMDDALPATH)/dc/core/Makefile\n");
	auto display = ask_kbuild(t.path(), {}, "drivers/gpu/drm/amd/display/dc");
	ASSERT_FALSE(display);
	EXPECT_NE(display.error().message().find("drivers/gpu/drm/amd/display/dc:"), std::string::npos)
		<< display.error().message();
}

// The search over directories, with kbuild's answers given: the object's directory
// and those above it, and beside them what they enter under the object's path.
TEST(Kbuild, OwnerFoundAboveOrBeside)
{
	TempDir t;
	for (const char *mk : {"arch/x86/kvm/Makefile", "fs/xfs/Makefile", "drivers/gpu/drm/Makefile",
			       "drivers/gpu/drm/amd/amdgpu/Makefile", "drivers/gpu/drm/i915/Makefile",
			       "drivers/gpu/drm/amd/display/dc/core/Makefile"})
		t.write(mk, "");
	std::map<std::string, KbuildDir> dirs = {
		{"arch/x86/kvm", {{"arch/x86/kvm/svm/nested.o"}, {}}},
		{"fs/xfs", {{"fs/xfs/xfs_super.o", "fs/xfs/libxfs/xfs_ag.o"}, {}}},
		{"drivers/gpu/drm", {{"drivers/gpu/drm/drm_drv.o"},
				     {"drivers/gpu/drm/i915", "drivers/gpu/drm/amd/amdgpu"}}},
		{"drivers/gpu/drm/amd/amdgpu", {{"drivers/gpu/drm/amd/amdgpu/../display/dc/core/dc.o"}, {}}},
		{"drivers/gpu/drm/i915", {{"drivers/gpu/drm/i915/i915_drv.o"}, {}}},
	};
	std::vector<std::string> asked;
	AskKbuild ask = [&](const std::string &dir) -> klp::Expected<KbuildDir> {
		asked.push_back(dir);
		auto it = dirs.find(dir);
		if (it == dirs.end())
			return klp::make_error("{}: not a kbuild directory", dir);
		return it->second;
	};
	std::string why;
	auto kvm = find_kbuild_owner(t.path(), "arch/x86/kvm/svm/nested.o", ask, why);
	ASSERT_TRUE(kvm) << why;
	EXPECT_EQ(kvm->dir, "arch/x86/kvm");
	EXPECT_EQ(kvm->goal, "arch/x86/kvm/svm/nested.o");

	auto xfs = find_kbuild_owner(t.path(), "fs/xfs/libxfs/xfs_ag.o", ask, why);
	ASSERT_TRUE(xfs) << why;
	EXPECT_EQ(xfs->dir, "fs/xfs");

	asked.clear();
	auto dc = find_kbuild_owner(t.path(), "drivers/gpu/drm/amd/display/dc/core/dc.o", ask, why);
	ASSERT_TRUE(dc) << why;
	EXPECT_EQ(dc->dir, "drivers/gpu/drm/amd/amdgpu");
	EXPECT_EQ(dc->goal, "drivers/gpu/drm/amd/amdgpu/../display/dc/core/dc.o");
	EXPECT_EQ(dc->object, "drivers/gpu/drm/amd/display/dc/core/dc.o");
	// dc/core's Makefile is asked (and cannot answer); i915 is not under drm/amd.
	EXPECT_EQ(asked, (std::vector<std::string>{"drivers/gpu/drm/amd/display/dc/core", "drivers/gpu/drm",
						   "drivers/gpu/drm/amd/amdgpu"}));

	EXPECT_FALSE(find_kbuild_owner(t.path(), "fs/xfs/libxfs/xfs_nowhere.o", ask, why));
	EXPECT_EQ(why, "kbuild lists no fs/xfs/libxfs/xfs_nowhere.o in fs/xfs/libxfs or a directory above it "
		       "(not enabled in this config?)");
}

TEST(Targets, ObjectsNamedByTheSources)
{
	TempDir t;
	t.write("scripts/Makefile.build", fake_makefile_build);
	t.write("include/config/auto.conf", "CONFIG_KVM_AMD=m\n");
	t.write("fs/proc/Makefile", "proc-y += cmdline.o\nproc-$(CONFIG_X) += other.o\nobj-y += proc.o\n");
	t.write("kernel/sched/Makefile", "obj-y += core.o build_policy.o\n");
	t.write("kernel/sched/build_policy.c", "#include \"idle.c\"\n#  include \"rt.c\"\n");
	t.write("kernel/sched/rt.c", "int x;\n");
	t.write("arch/x86/kvm/Makefile", "kvm-amd-y += svm/svm.o \\\n\tsvm/nested.o\nobj-$(CONFIG_KVM_AMD) += kvm-amd.o\n");
	t.write("drivers/gpu/drm/Makefile", "obj-m += amd/amdgpu/\n");
	t.write("drivers/gpu/drm/amd/amdgpu/Makefile", "amdgpu-y += ../display/dc/core/dc.o\nobj-m += amdgpu.o\n");
	Options opts = quiet_options();
	KernelRun run;
	run.tree = t.path();
	run.changed_files = {"fs/proc/cmdline.c", "kernel/sched/rt.c", "arch/x86/kvm/svm/nested.c",
			     "drivers/gpu/drm/amd/display/dc/core/dc.c"};
	ASSERT_FALSE(choose_targets(opts, run));
	EXPECT_FALSE(run.full_build);
	EXPECT_EQ(run.targets, (std::vector<std::string>{"arch/x86/kvm/svm/nested.o",
							  "drivers/gpu/drm/amd/display/dc/core/dc.o",
							  "fs/proc/cmdline.o", "kernel/sched/build_policy.o"}));
	// make is asked for the "../" object by the name amdgpu's Makefile gives it.
	EXPECT_EQ(run.make_goals, (std::map<std::string, std::string>{
					  {"drivers/gpu/drm/amd/display/dc/core/dc.o",
					   "drivers/gpu/drm/amd/amdgpu/../display/dc/core/dc.o"}}));

	// Not in this config (CONFIG_X unset), or nowhere: refused, naming the file.
	for (const char *f : {"fs/proc/other.c", "fs/proc/nowhere.c"}) {
		run.targets.clear();
		run.changed_files = {f};
		Status st = choose_targets(opts, run);
		ASSERT_TRUE(st) << f;
		EXPECT_EQ(st->result, Result::refused);
		EXPECT_EQ(st->message.rfind(std::string(f) + ": kbuild lists no", 0), 0u) << st->message;
	}

	// A header: the .c files that include it and that the config builds (other.c
	// is not), through another header; past --max-header-users, a full build.
	t.write("include/linux/x.h", "struct x { int a; };\n");
	t.write("include/linux/y.h", "#include <linux/x.h>\n");
	t.write("fs/proc/cmdline.c", "#include <linux/y.h>\n");
	t.write("fs/proc/other.c", "#include <linux/x.h>\n");
	// Listed by its own Makefile, in a directory drivers/acpi enters only on arm64.
	t.write("drivers/acpi/Makefile", "obj-y += osl.o\n");
	t.write("drivers/acpi/arm64/Makefile", "obj-y += cpuidle.o\n");
	t.write("drivers/acpi/arm64/cpuidle.c", "#include <linux/x.h>\n");
	run.targets.clear();
	run.changed_files = {"include/linux/x.h"};
	ASSERT_FALSE(choose_targets(opts, run));
	EXPECT_FALSE(run.full_build);
	EXPECT_EQ(run.targets, std::vector<std::string>{"fs/proc/cmdline.o"});

	opts.max_header_users = 1;
	ASSERT_FALSE(choose_targets(opts, run));
	EXPECT_TRUE(run.full_build); // 3 includers: more than 1

	run.full_build = false;
	opts.full_build = false; // --no-full-build
	Status st = choose_targets(opts, run);
	ASSERT_TRUE(st);
	EXPECT_EQ(st->kind, "full-build-needed");
	EXPECT_FALSE(run.full_build);
}

// The #include lines of a tree, resolved as kbuild's search path does, walked back
// from the changed headers: through headers, quoted includes beside the file, a
// .c #included by another .c; an include of another name is no use.
TEST(IncludeScan, IncludersThroughHeadersAndQuotes)
{
	TempDir t;
	t.write("include/linux/skbuff.h", "#include <asm/page.h>\n");
	t.write("arch/x86/include/asm/page.h", "#define PAGE_SIZE 4096\n");
	t.write("include/net/sock.h", "  #  include <linux/skbuff.h>\n");
	t.write("net/core/sock.c", "#include <net/sock.h>\n");
	t.write("net/ipv4/tcp.c", "#include \"tcp_impl.h\"\n");
	t.write("net/ipv4/tcp_impl.h", "#include <linux/skbuff.h>\n");
	t.write("kernel/sched/build_policy.c", "#include \"rt.c\"\n");
	t.write("kernel/sched/rt.c", "#include <asm/page.h>\n");
	t.write("mm/slab.c", "#include <linux/slab.h>\n");
	t.write("tools/perf/x.c", "#include <linux/skbuff.h>\n"); // not kernel code
	t.write("arch/arm64/mm/ptdump.c", "#include <asm/page.h>\n"); // another arch's
	IncludeScan scan = scan_includers(t.path(), "x86", {"arch/x86/include/asm/page.h"});
	EXPECT_EQ(scan.sources, (std::vector<std::string>{"kernel/sched/build_policy.c", "kernel/sched/rt.c",
							   "net/core/sock.c", "net/ipv4/tcp.c"}));
	EXPECT_EQ(scan_includers(t.path(), "x86", {"net/ipv4/tcp_impl.h"}).sources,
		  std::vector<std::string>{"net/ipv4/tcp.c"});
}


// drivers/Makefile enters char/ and char/ipmi/ (so does char/Makefile): kbuild's
// single-target descent reaches drivers/char/ipmi twice, and with -j2 both compile
// ipmi_msghandler.o at once (a race Debian's 6.1 showed). Such targets build with -j1.
TEST(Kbuild, EnteredTwiceOnTheWay)
{
	std::map<std::string, KbuildDir> dirs = {
		{"drivers", {{}, {"drivers/char", "drivers/char/ipmi", "drivers/net"}}},
		{"drivers/char", {{"drivers/char/mem.o"}, {"drivers/char/ipmi"}}},
		{"drivers/char/ipmi", {{"drivers/char/ipmi/ipmi_msghandler.o"}, {}}},
	};
	AskKbuild ask = [&](const std::string &dir) -> klp::Expected<KbuildDir> {
		auto it = dirs.find(dir);
		if (it == dirs.end())
			return klp::make_error("{}: not a kbuild directory", dir);
		return it->second;
	};
	EXPECT_EQ(entered_twice("drivers/char/ipmi", ask), "drivers enters drivers/char and drivers/char/ipmi");
	EXPECT_EQ(entered_twice("drivers/char", ask), std::nullopt);
	EXPECT_EQ(entered_twice("drivers/net/ethernet", ask), std::nullopt);
}

// drivers/Makefile enters of/ only with CONFIG_OF: without it drivers/of is not
// built, though its own Makefile lists base.o; drivers/s390/Makefile enters
// char/, but drivers/ does not enter s390/. drivers/gpu/drm enters amd/amdgpu,
// through drivers/gpu/drm/amd, which has no kbuild file. arch/ is not judged.
TEST(Kbuild, NotEnteredByTheConfig)
{
	std::map<std::string, KbuildDir> dirs = {
		{"drivers", {{}, {"drivers/char", "drivers/gpu"}}},
		{"drivers/of", {{"drivers/of/base.o"}, {}}},
		{"drivers/s390", {{}, {"drivers/s390/char"}}},
		{"drivers/s390/char", {{"drivers/s390/char/zcore.o"}, {}}},
		{"drivers/gpu", {{}, {"drivers/gpu/drm"}}},
		{"drivers/gpu/drm", {{}, {"drivers/gpu/drm/amd/amdgpu"}}},
		{"drivers/gpu/drm/amd/amdgpu", {{"drivers/gpu/drm/amd/amdgpu/amdgpu_drv.o"}, {}}},
		{"arch/x86", {{}, {"arch/x86/kernel"}}},
	};
	AskKbuild ask = [&](const std::string &dir) -> klp::Expected<KbuildDir> {
		auto it = dirs.find(dir);
		if (it == dirs.end())
			return klp::make_error("{}: not a kbuild directory", dir);
		return it->second;
	};
	EXPECT_EQ(not_entered_by("drivers/of", ask), "drivers");
	EXPECT_EQ(not_entered_by("drivers/s390/char", ask), "drivers");
	EXPECT_EQ(not_entered_by("drivers/gpu/drm/amd/amdgpu", ask), std::nullopt);
	EXPECT_EQ(not_entered_by("drivers/char", ask), std::nullopt);
	EXPECT_EQ(not_entered_by("arch/x86/pci", ask), std::nullopt);
	EXPECT_EQ(not_entered_by("fs/nowhere/deep", ask), std::nullopt); // nothing answers
	EXPECT_EQ(goal_directory("drivers/gpu/drm/amd/amdgpu/../display/dc/core/dc.o"), "drivers/gpu/drm/amd/amdgpu");
}

TEST(Targets, SerialMakeWhereKbuildWouldBuildTwice)
{
	TempDir t;
	t.write("scripts/Makefile.build", fake_makefile_build);
	t.write("drivers/Makefile", "obj-y += char/\n\nobj-y += char/ipmi/\nobj-y += net/\n");
	t.write("drivers/char/Makefile", "obj-y += mem.o ipmi/\n");
	t.write("drivers/char/ipmi/Makefile", "obj-y += ipmi_msghandler.o\n");
	Options opts = quiet_options();
	KernelRun run;
	run.tree = t.path();
	run.changed_files = {"drivers/char/mem.c"};
	ASSERT_FALSE(choose_targets(opts, run));
	EXPECT_FALSE(run.serial_make);

	run.changed_files = {"drivers/char/mem.c", "drivers/char/ipmi/ipmi_msghandler.c"};
	ASSERT_FALSE(choose_targets(opts, run));
	EXPECT_TRUE(run.serial_make);
	EXPECT_EQ(tree_make(opts, run, run.tree, {}, "orig").argv[3], "-j1");
}

} // namespace
