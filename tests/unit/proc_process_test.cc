// lib/proc: exit statuses, the log, and a child stopped by its time limit or its
// watcher (QEMU that hangs, or KVM that never reaches the guest).
#include "proc/process.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <unistd.h>

namespace {

std::string read_all(const std::string &path)
{
	std::ifstream in(path);
	std::stringstream s;
	s << in.rdbuf();
	return s.str();
}

TEST(Process, ExitStatusAndLog)
{
	std::string log = ::testing::TempDir() + "proc-log-" + std::to_string(getpid());
	std::remove(log.c_str());
	klp::Command cmd;
	cmd.argv = {"sh", "-c", "echo hello; exit 3"};
	cmd.log = log;
	EXPECT_EQ(klp::run(cmd), 3);
	EXPECT_NE(read_all(log).find("hello\n"), std::string::npos);
	std::remove(log.c_str());
}

TEST(Process, TimeLimitStopsTheChild)
{
	klp::Command cmd;
	cmd.argv = {"sleep", "600"};
	cmd.timeout_seconds = 0.3;
	EXPECT_EQ(klp::run(cmd), klp::kTimedOut);
}

TEST(Process, WatcherStopsTheChild)
{
	int polls = 0;
	klp::Command cmd;
	cmd.argv = {"sleep", "600"};
	cmd.watch = [&] { return ++polls < 3; };
	EXPECT_EQ(klp::run(cmd), klp::kTimedOut);
	EXPECT_EQ(polls, 3);
}

TEST(Process, ChildThatEndsInTimeKeepsItsStatus)
{
	klp::Command cmd;
	cmd.argv = {"sh", "-c", "exit 5"};
	cmd.timeout_seconds = 60;
	cmd.watch = [] { return true; };
	EXPECT_EQ(klp::run(cmd), 5);
}

TEST(Process, ProgramThatDoesNotExist)
{
	klp::Command cmd;
	cmd.argv = {"/nonexistent/klpkit-no-such-program"};
	cmd.timeout_seconds = 60;
	EXPECT_EQ(klp::run(cmd), 127);
}

} // namespace
