// klpkit prove's judgement of a console, its initramfs and its reading of a bzImage
// header, on text and bytes the tests make. The proofs in a kernel:
// tests/kernel/klpkit-prove.
#include "guest.h"
#include "initramfs.h"
#include "prove.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <unistd.h>

using namespace klp::klpkit;

namespace {

const std::vector<std::string> steps = {"insmod klpkit_core", "load livepatch_x", "check c.sh", "unload livepatch_x"};

std::string clean_console()
{
	return "[    0.000000] Linux version 6.1.0-57-amd64\n"
	       "KLPKIT-PROVE BOOTED uptime=2.10 taint=0\n"
	       "KLPKIT-PROVE BEGIN 0 uptime=2.11\n"
	       "KLPKIT-PROVE END 0 rc=0 uptime=2.20\n"
	       "KLPKIT-PROVE BEGIN 1 uptime=2.20\n"
	       "[    2.3] livepatch: enabling patch 'livepatch_x'\n"
	       "KLPKIT-PROVE OUT 1 klpkit: livepatch_x: enabled\n"
	       "KLPKIT-PROVE END 1 rc=0 uptime=2.70\n"
	       "KLPKIT-PROVE BEGIN 2 uptime=2.70\n"
	       "KLPKIT-PROVE OUT 2 BUG: the check may print this\n"
	       "KLPKIT-PROVE END 2 rc=0 uptime=2.75\n"
	       "KLPKIT-PROVE BEGIN 3 uptime=2.75\n"
	       "KLPKIT-PROVE END 3 rc=0 uptime=3.00\n"
	       "KLPKIT-PROVE TAINT taint=45056\n"
	       "KLPKIT-PROVE DMESG BEGIN\n"
	       "KLPKIT-PROVE DMESG END\n"
	       "KLPKIT-PROVE DONE ok=1 uptime=3.10\n";
}

TEST(ProveConsole, CleanRunIsProvedWithEveryStepTimed)
{
	Proof p = judge_console(clean_console(), steps);
	EXPECT_TRUE(p.proved()) << p.failures.front();
	ASSERT_EQ(p.steps.size(), 5u);
	EXPECT_EQ(p.steps[0].name, "boot");
	EXPECT_DOUBLE_EQ(p.steps[0].seconds, 2.10);
	EXPECT_EQ(p.steps[2].name, "load livepatch_x");
	EXPECT_NEAR(p.steps[2].seconds, 0.5, 1e-9);
	ASSERT_EQ(p.steps[2].output.size(), 1u);
	EXPECT_EQ(p.steps[2].output[0], "klpkit: livepatch_x: enabled");
	// 45056 = O, E and K: expected of a livepatch module.
	EXPECT_EQ(p.taint, "OEK");
}

TEST(ProveConsole, SplatFromTheKernelFails)
{
	std::string c = clean_console();
	c.insert(c.find("KLPKIT-PROVE BEGIN 3"), "[    2.8] WARNING: CPU: 0 PID: 1 at kernel/livepatch/core.c:42\n"
						   "[    2.8] Call Trace:\n");
	Proof p = judge_console(c, steps);
	ASSERT_FALSE(p.proved());
	EXPECT_NE(p.failures[0].find("WARNING: CPU: 0"), std::string::npos) << p.failures[0];
}

TEST(ProveConsole, FailedStepNamesItsStatusAndLastLine)
{
	std::string c = clean_console();
	c.replace(c.find("END 2 rc=0"), 10, "END 2 rc=3");
	Proof p = judge_console(c, steps);
	ASSERT_EQ(p.failures.size(), 1u);
	EXPECT_EQ(p.failures[0], "check c.sh: failed (exit status 3): BUG: the check may print this");
}

TEST(ProveConsole, GuestThatDiesMidStepFails)
{
	std::string c = clean_console();
	c.resize(c.find("KLPKIT-PROVE END 1"));
	c += "[    2.9] Kernel panic - not syncing: Fatal exception\n";
	Proof p = judge_console(c, steps);
	ASSERT_EQ(p.failures.size(), 3u);
	EXPECT_EQ(p.failures[0], "load livepatch_x: never ended (the guest died or hung in it)");
	EXPECT_EQ(p.failures[1], "no final marker: the guest crashed, hung or ran out of time");
	EXPECT_NE(p.failures[2].find("Kernel panic"), std::string::npos);
}

TEST(ProveConsole, UnexpectedTaintFails)
{
	std::string c = clean_console();
	c.replace(c.find("taint=45056"), 11, "taint=45568"); // + W (bit 9)
	Proof p = judge_console(c, steps);
	ASSERT_EQ(p.failures.size(), 1u);
	EXPECT_EQ(p.failures[0], "the kernel was tainted: W (warning)");
}

TEST(ProveConsole, KernelThatNeverBootsFails)
{
	Proof p = judge_console("[    0.5] Kernel panic - not syncing: VFS: Unable to mount root fs\n", steps);
	ASSERT_FALSE(p.proved());
	EXPECT_EQ(p.failures[0], "the guest never ran its /init: the kernel did not boot (see the console)");
	EXPECT_TRUE(p.steps.empty());
}

// The newc entries read back: name, mode and data of each, in order.
TEST(Initramfs, NewcEntriesInPathOrderWithParents)
{
	Initramfs img;
	img.add_file("/klp/modules/00-x.ko", "abcde", 0644);
	img.add_symlink("/bin/sh", "/bin/busybox");
	img.add_char_device("/dev/console", 5, 1, 0600);
	std::string b = img.bytes();
	std::vector<std::tuple<std::string, unsigned, std::string>> got;
	size_t at = 0;
	auto hex = [&](size_t field) { return std::stoul(b.substr(at + 6 + field * 8, 8), nullptr, 16); };
	while (at < b.size()) {
		ASSERT_EQ(b.substr(at, 6), "070701");
		size_t mode = hex(1), filesize = hex(6), namesize = hex(11);
		std::string name = b.substr(at + 110, namesize - 1);
		size_t data = (at + 110 + namesize + 3) & ~size_t(3);
		got.emplace_back(name, mode, b.substr(data, filesize));
		at = (data + filesize + 3) & ~size_t(3);
		if (name == "TRAILER!!!")
			break;
	}
	EXPECT_EQ(at, b.size());
	std::vector<std::tuple<std::string, unsigned, std::string>> want = {
		{"bin", 040755, ""},         {"bin/sh", 0120777, "/bin/busybox"}, {"dev", 040755, ""},
		{"dev/console", 020600, ""}, {"klp", 040755, ""},                  {"klp/modules", 040755, ""},
		{"klp/modules/00-x.ko", 0100644, "abcde"}, {"TRAILER!!!", 0, ""},
	};
	EXPECT_EQ(got, want);
	EXPECT_EQ(img.bytes(), b); // the same inputs, the same bytes
}

std::string write_temp(const std::string &bytes)
{
	std::string path = ::testing::TempDir() + "image-" + std::to_string(getpid());
	std::ofstream(path, std::ios::binary) << bytes;
	return path;
}

TEST(ImageRelease, ReadFromTheSetupHeader)
{
	std::string image(0x600, '\0');
	image.replace(0x202, 4, "HdrS");
	image[0x206] = 0x0f; // protocol 2.15
	image[0x207] = 0x02;
	image[0x20e] = 0x00; // kernel_version at 0x300 - 0x200
	image[0x20f] = 0x01;
	std::string version = "6.1.0-57-amd64 (debian-kernel@lists.debian.org) #1 SMP PREEMPT_DYNAMIC";
	image.replace(0x300, version.size(), version);
	std::string path = write_temp(image);
	EXPECT_EQ(image_release(path), "6.1.0-57-amd64");
	std::remove(path.c_str());
}

TEST(ImageRelease, NothingForAnotherFormat)
{
	std::string path = write_temp(std::string(0x600, 'x'));
	EXPECT_EQ(image_release(path), std::nullopt);
	std::remove(path.c_str());
	EXPECT_EQ(image_release("/nonexistent/vmlinuz"), std::nullopt);
}

} // namespace
