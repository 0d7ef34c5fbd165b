// klpkit's view of a kernel (livepatches.h) on trees laid out as the kernel's core
// (6.1: <object>/patched, a directory per function) and klpkit-core.ko write sysfs,
// and as /proc shows tasks during a transition.
#include "installed.h"
#include "livepatches.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;
using namespace klp::klpkit;

namespace {

class Tree {
public:
	Tree()
	{
		std::string pattern = (fs::temp_directory_path() / "klpkit-test.XXXXXX").string();
		root_ = mkdtemp(pattern.data());
	}
	~Tree() { fs::remove_all(root_); }
	void file(const std::string &rel, const std::string &text) const
	{
		fs::path p = fs::path(root_) / rel;
		fs::create_directories(p.parent_path());
		std::ofstream(p) << text;
	}
	void dir(const std::string &rel) const { fs::create_directories(fs::path(root_) / rel); }
	Roots roots() const { return {root_ + "/sys", root_ + "/proc"}; }
	const std::string &root() const { return root_; }

private:
	std::string root_;
};

// Files under `base`: {relative path, contents}.
void files(const Tree &t, const std::string &base,
	   std::initializer_list<std::pair<const char *, const char *>> entries)
{
	for (const auto &[rel, text] : entries)
		t.file(base + rel, text);
}

// /sys/kernel/livepatch/livepatch_cmdline as Debian 6.1 shows it, and one patch of
// klpkit-core.ko with a module object that is not loaded.
void two_cores(const Tree &t)
{
	const std::string lp = "sys/kernel/livepatch/livepatch_cmdline/";
	files(t, lp,
	      {{"enabled", "1\n"}, {"transition", "0\n"}, {"replace", "1\n"}, {"force", ""}, {"vmlinux/patched", "1\n"}});
	t.dir(lp + "vmlinux/cmdline_proc_show,1");
	t.dir(lp + "vmlinux/version_proc_show,1");
	files(t, "sys/kernel/klpkit/livepatch_vfat/",
	      {{"enabled", "1\n"}, {"transition", "1\n"}, {"replace", "0\n"}, {"blocked", ""}, {"vfat/patched", "0\n"}});
}

// A relocatable object with a .modinfo (name, vermagic, livepatch=Y) and a one-entry
// .klpkit.funcs table: as much of a livepatch module as klpkit reads.
std::string compile_livepatch(const Tree &t, const std::string &name, const std::string &vermagic)
{
	std::string src = t.root() + "/" + name + ".c";
	std::ofstream(src) << "__attribute__((section(\".modinfo\"), used)) static const char m[] = \"name=" << name
			   << "\\0vermagic=" << vermagic << "\\0livepatch=Y\";\n"
			   << "struct f { void *n; const char *o, *obj; unsigned long pos; };\n"
			   << "static int fn(void) { return 1; }\n"
			   << "__attribute__((section(\".klpkit.funcs\"), used, aligned(8))) static const struct f t[] = "
			      "{{fn, \"cmdline_proc_show\", \"vmlinux\", 0}};\n";
	std::string ko = t.root() + "/" + name + ".ko";
	EXPECT_EQ(std::system(("cc -O1 -c -o " + ko + " " + src).c_str()), 0);
	return ko;
}

TEST(Livepatches, BothCoresAreRead)
{
	Tree t;
	two_cores(t);
	auto all = read_livepatches(t.roots());
	ASSERT_TRUE(all) << all.error().message();
	ASSERT_EQ(all->size(), 2u);
	const Livepatch &k = (*all)[0];
	EXPECT_EQ(k.name, "livepatch_cmdline");
	EXPECT_EQ(k.core, "kernel");
	EXPECT_TRUE(k.enabled);
	EXPECT_FALSE(k.transition);
	EXPECT_EQ(k.replace, true);
	ASSERT_EQ(k.objects.size(), 1u);
	EXPECT_EQ(k.objects[0].name, "vmlinux");
	EXPECT_EQ(k.objects[0].patched, true);
	ASSERT_EQ(k.objects[0].functions.size(), 2u);
	EXPECT_EQ(k.objects[0].functions[0].name, "cmdline_proc_show");
	EXPECT_EQ(k.objects[0].functions[0].sympos, 1u);
	const Livepatch &b = (*all)[1];
	EXPECT_EQ(b.core, "bundled");
	EXPECT_TRUE(b.transition);
	EXPECT_EQ(b.objects[0].patched, false);
	EXPECT_TRUE(b.objects[0].functions.empty());

	EXPECT_EQ(format_livepatches(*all),
		  "livepatch_cmdline: enabled, replaces the others (kernel core)\n"
		  "  vmlinux (patched): cmdline_proc_show,1 version_proc_show,1\n"
		  "livepatch_vfat: enabled, in transition, stacked (bundled core)\n"
		  "  vfat (not loaded)\n");
}

TEST(Livepatches, NoneLoaded)
{
	Tree t;
	auto all = read_livepatches(t.roots());
	ASSERT_TRUE(all);
	EXPECT_EQ(format_livepatches(*all), "no livepatch loaded\n");
}

TEST(Livepatches, FoundByEitherSpellingOfItsName)
{
	Tree t;
	two_cores(t);
	auto p = find_livepatch(t.roots(), "livepatch-cmdline");
	ASSERT_TRUE(p);
	ASSERT_TRUE(*p);
	EXPECT_EQ((*p)->name, "livepatch_cmdline");
	auto none = find_livepatch(t.roots(), "livepatch_other");
	ASSERT_TRUE(none);
	EXPECT_FALSE(*none);
}

// While a patch is enabled the tasks still at 0 hold it up; -1 is a task outside
// any transition.
TEST(Livepatches, BlockingTasksAreTheOnesNotYetSwitched)
{
	Tree t;
	files(t, "proc/",
	      {{"1/patch_state", "1\n"},
	       {"1/comm", "init\n"},
	       {"42/patch_state", "0\n"},
	       {"42/comm", "klp-sleeper\n"},
	       {"42/stack", "[<0>] msleep+0x2d/0x40\n[<0>] sleeper_fn+0x11/0x30\n"},
	       {"7/patch_state", "-1\n"},
	       {"7/comm", "kthreadd\n"},
	       {"self/patch_state", "0\n"}}); // self: not a pid
	auto blocked = blocking_tasks(t.roots(), 1);
	ASSERT_EQ(blocked.size(), 1u);
	EXPECT_EQ(blocked[0].pid, 42);
	EXPECT_EQ(blocked[0].comm, "klp-sleeper");
	EXPECT_EQ(blocked[0].stack, "[<0>] msleep+0x2d/0x40 [<0>] sleeper_fn+0x11/0x30");
	// Disabling: the ones still patched.
	auto back = blocking_tasks(t.roots(), 0);
	ASSERT_EQ(back.size(), 1u);
	EXPECT_EQ(back[0].pid, 1);
}

TEST(Livepatches, TransitionWaitsEndOnZeroOrAGoneDirectory)
{
	Tree t;
	two_cores(t);
	std::string kernel = t.root() + "/sys/kernel/livepatch/livepatch_cmdline";
	std::string bundled = t.root() + "/sys/kernel/klpkit/livepatch_vfat";
	EXPECT_TRUE(wait_transition(kernel, 0.2));
	EXPECT_FALSE(wait_transition(bundled, 0.2));
	EXPECT_TRUE(wait_transition(t.root() + "/sys/kernel/livepatch/gone", 0.2));
	EXPECT_FALSE(wait_gone(bundled, 0.2));
	EXPECT_TRUE(wait_gone(t.root() + "/nothing", 0.2));
}

TEST(Livepatches, ModuleForAnotherKernelIsRefusedNamingBoth)
{
	Tree t;
	// The check comes before the kernel is asked.
	std::string ko = compile_livepatch(t, "livepatch_x", "6.1.0-57-amd64 SMP preempt mod_unload modversions ");
	auto r = insert_module(ko, "6.12.118+deb12-amd64");
	ASSERT_FALSE(r);
	EXPECT_EQ(r.error().message(), ko + ": built for 6.1.0-57-amd64 (vermagic '6.1.0-57-amd64 SMP preempt "
					    "mod_unload modversions '), not for the running kernel 6.12.118+deb12-amd64");
	auto missing = insert_module(t.root() + "/none.ko", "6.1.0-57-amd64");
	ASSERT_FALSE(missing);
	EXPECT_NE(missing.error().message().find("none.ko: cannot open"), std::string::npos);
}

// A relocatable object laid out as klp-build's modules are where info reads them:
// .modinfo, and a .klpkit.funcs table whose strings are relocations.
TEST(Livepatches, ModuleInfoListsTheTableByObject)
{
	Tree t;
	std::string src = t.root() + "/lp.c";
	std::ofstream(src) << R"(
__attribute__((section(".modinfo"), used)) static const char m[] =
	"name=livepatch-x\0vermagic=6.1.0-57-amd64 SMP preempt\0livepatch=Y";
struct klpkit_func { void *new_func; const char *old_name; const char *objname; unsigned long sympos; };
static int new_fn(void) { return 1; }
__attribute__((section(".klpkit.funcs"), used, aligned(8))) static const struct klpkit_func t[] = {
	{new_fn, "cmdline_proc_show", "vmlinux", 0},
	{new_fn, "vfat_create", "vfat", 2},
	{new_fn, "version_proc_show", "vmlinux", 0},
};
)";
	std::string ko = t.root() + "/lp.ko";
	ASSERT_EQ(std::system(("cc -O1 -c -o " + ko + " " + src).c_str()), 0);
	auto info = read_module_info(ko);
	ASSERT_TRUE(info) << info.error().message();
	EXPECT_EQ(info->name, "livepatch_x");
	EXPECT_EQ(info->core, "kernel");
	EXPECT_EQ(format_module_info(*info, std::nullopt),
		  ko + ": livepatch livepatch_x\n  for 6.1.0-57-amd64 SMP preempt\n"
		       "  needs the kernel's livepatch core (CONFIG_LIVEPATCH)\n"
		       "  vmlinux: cmdline_proc_show,1 version_proc_show,1\n  vfat: vfat_create,2\n  not loaded\n");
	Livepatch loaded;
	loaded.enabled = true;
	EXPECT_NE(format_module_info(*info, loaded).find("  loaded: enabled\n"), std::string::npos);

	// Not a livepatch: named.
	std::ofstream(src) << "__attribute__((section(\".modinfo\"), used)) static const char m[] = \"name=plain\";\n";
	ASSERT_EQ(std::system(("cc -c -o " + ko + " " + src).c_str()), 0);
	auto plain = read_module_info(ko);
	ASSERT_FALSE(plain);
	EXPECT_EQ(plain.error().message(), ko + ": module plain is not a livepatch (no MODULE_INFO(livepatch), no "
						"dependency on klpkit-core)");
}

// klpkit install / uninstall / load-installed's order, under a root of the test's.
TEST(Installed, InOrderReplacedInPlaceAndForTheirReleaseOnly)
{
	Tree t;
	const std::string rel = "6.1.0-57-amd64";
	std::string a = compile_livepatch(t, "livepatch-a", rel + " SMP preempt");
	std::string b = compile_livepatch(t, "livepatch_b", rel + " SMP preempt");
	std::string other = compile_livepatch(t, "livepatch_c", "6.12.118+deb12-amd64 SMP");
	std::string root = t.root() + "/root";
	auto ia = install_module(root, a, rel);
	ASSERT_TRUE(ia) << ia.error().message();
	EXPECT_EQ(*ia, root + "/var/lib/klpkit/" + rel + "/001-livepatch_a.ko");
	ASSERT_TRUE(install_module(root, b, rel));
	ASSERT_TRUE(install_module(root, a, rel)); // again: the same place, not after b
	auto all = installed_modules(root, rel);
	ASSERT_EQ(all.size(), 2u);
	EXPECT_EQ(all[0].name, "livepatch_a");
	EXPECT_EQ(all[1].name, "livepatch_b");
	EXPECT_EQ(all[1].path, root + "/var/lib/klpkit/" + rel + "/002-livepatch_b.ko");

	auto wrong = install_module(root, other, rel);
	ASSERT_FALSE(wrong);
	EXPECT_EQ(wrong.error().message(),
		  other + ": built for 6.12.118+deb12-amd64 (vermagic '6.12.118+deb12-amd64 SMP'), not for " + rel);
	EXPECT_TRUE(installed_modules(root, "6.12.118+deb12-amd64").empty());

	ASSERT_TRUE(uninstall_module(root, "livepatch-a", rel));
	all = installed_modules(root, rel);
	ASSERT_EQ(all.size(), 1u);
	EXPECT_EQ(all[0].name, "livepatch_b");
	auto none = uninstall_module(root, "livepatch_a", rel);
	ASSERT_FALSE(none);
	EXPECT_EQ(none.error().message(), "no livepatch livepatch_a is installed for " + rel + " (in " + root +
						  "/var/lib/klpkit/" + rel + ")");
	// Installed after an uninstall: after the last one still there.
	auto again = install_module(root, a, rel);
	ASSERT_TRUE(again);
	EXPECT_EQ(*again, root + "/var/lib/klpkit/" + rel + "/003-livepatch_a.ko");
}

} // namespace
