// Recorded kbuild commands run without make (replay.h): kbuild's escaping undone,
// the patched flags placed where make puts KCFLAGS, a command run in a small tree
// and recorded by its fixdep, and the original-object cache's record of the proof.
// The whole path against Debian's tree: tests/kernel/klp-build-cases (tree-replay).
#include "kbuild.h"
#include "klp_build.h"
#include "make.h"
#include "objcache.h"
#include "replay.h"

#include "temp_dir.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace fs = std::filesystem;
using namespace klp::build;
using klp::build::test::TempDir;

namespace {

TEST(Replay, KbuildEscapingIsUndone)
{
	// kbuild doubles `$` and writes `#` as $(pound) in a record.
	auto cmd = shell_command_of("gcc -DX='\"a$$b\"' -DH=$(pound)1 -c -o a.o a.c");
	ASSERT_TRUE(cmd) << cmd.error().message();
	EXPECT_EQ(*cmd, "gcc -DX='\"a$b\"' -DH=#1 -c -o a.o a.c");
	auto other = shell_command_of("$(CC) -c -o a.o a.c");
	ASSERT_FALSE(other);
	EXPECT_NE(other.error().message().find("make reference at column 1"), std::string::npos);
	EXPECT_FALSE(shell_command_of("gcc -c a.c $"));
}

TEST(Replay, DependencyFileOfTheCommand)
{
	EXPECT_EQ(depfile_of("gcc-12 -Wp,-MMD,fs/proc/.cmdline.o.d -nostdinc -c"), "fs/proc/.cmdline.o.d");
	EXPECT_FALSE(depfile_of("gcc-12 -MD -MF x.d -c"));
	EXPECT_FALSE(depfile_of("gcc-12 -XWp,-MMD,x.d -c"));
}

TEST(Replay, PatchedFlagsGoWhereMakePutsKcflags)
{
	std::string ours = klp_kcflags;
	auto cmd = with_kcflags_after("gcc -O2 " + ours + " -DKBUILD_MODNAME='\"x\"' -c -o a.o a.c",
				      " -idirafter /t -DKLPKIT_CORE_BUNDLED=1");
	ASSERT_TRUE(cmd) << cmd.error().message();
	EXPECT_EQ(*cmd, "gcc -O2 " + ours + " -idirafter /t -DKLPKIT_CORE_BUNDLED=1 -DKBUILD_MODNAME='\"x\"' "
				   "-c -o a.o a.c");
	EXPECT_FALSE(with_kcflags_after("gcc -O2 -c -o a.o a.c", " -DX")); // not there
	EXPECT_FALSE(with_kcflags_after("gcc " + ours + " " + ours + " -c", " -DX")); // twice
	EXPECT_FALSE(with_kcflags_after("gcc " + ours + "=1 -c", " -DX")); // another flag
}

// A tree of one file: the command compiles it where the record says, and the tree's
// fixdep (here a script printing what kbuild's prints first) records it; the
// compiler's dependency file is gone afterwards.
TEST(Replay, CommandRunsInTheTreeAndFixdepRecordsIt)
{
	TempDir t;
	Options opts;
	KernelRun run;
	run.tree = t.path() + "/tree";
	run.work = t.path() + "/work";
	t.write("tree/dir/a.c", "int a(void) { return 1; }\n");
	std::string fixdep = t.write("tree/scripts/basic/fixdep", "#!/bin/sh\n"
								 "test -f \"$1\" || exit 1\n"
								 "printf 'cmd_%s := %s\\n\\nsource_%s := dir/a.c\\n' "
								 "\"$2\" \"$3\" \"$2\"\n");
	fs::permissions(fixdep, fs::perms::owner_exec, fs::perm_options::add);
	std::string recorded = "cc -Wp,-MMD,dir/.a.o.d " + std::string(klp_kcflags) +
			       " -DH=$(pound)1 -c -o dir/a.o dir/a.c";
	auto command = shell_command_of(recorded);
	ASSERT_TRUE(command);
	EXPECT_EQ(klp::run_parallel({replay_command(opts, run, *command, "replay")}, 1), std::vector<int>{0});
	EXPECT_TRUE(fs::exists(run.tree + "/dir/a.o"));
	EXPECT_TRUE(fs::exists(run.tree + "/dir/.a.o.d"));

	std::string cmd_file = t.path() + "/out/.a.o.cmd";
	fs::create_directories(t.path() + "/out");
	auto r = write_record(run, "dir/a.o", recorded, cmd_file);
	ASSERT_TRUE(r) << r.error().message();
	EXPECT_FALSE(fs::exists(run.tree + "/dir/.a.o.d"));
	auto rec = read_cmd_file(cmd_file);
	ASSERT_TRUE(rec) << rec.error().message();
	EXPECT_EQ(rec->command, recorded);
	EXPECT_EQ(rec->source, "dir/a.c");
}

TEST(Replay, CacheKeepsTheProofWhileTheObjectIsTheSame)
{
	TempDir t;
	Options opts;
	opts.cache_dir = t.path() + "/cache";
	KernelRun run = klp::build::test::cache_test_run(t);
	std::string obj = t.write("tree/fs/proc/cmdline.o", "ORIGINAL");
	t.write("tree/fs/proc/.cmdline.o.cmd", "cmd_fs/proc/cmdline.o := gcc -c\n\nsource_fs/proc/cmdline.o "
					       ":= fs/proc/cmdline.c\n\ndeps_fs/proc/cmdline.o := \\\n\n");
	const std::string rel = "fs/proc/cmdline.o";
	ASSERT_TRUE(cache_store(opts, run, rel, obj, cmd_file_of(obj)));
	EXPECT_EQ(cache_replay_proof(opts, run, rel), std::nullopt); // never tried
	ASSERT_TRUE(cache_store_replay_proof(opts, run, rel, true));
	EXPECT_EQ(cache_replay_proof(opts, run, rel), true);
	ASSERT_TRUE(cache_store_replay_proof(opts, run, rel, false));
	EXPECT_EQ(cache_replay_proof(opts, run, rel), false);

	// The proof is of one object: another one stored under the key has none.
	ASSERT_TRUE(cache_store_replay_proof(opts, run, rel, true));
	t.write("tree/fs/proc/cmdline.o", "REBUILT");
	ASSERT_TRUE(cache_store(opts, run, rel, obj, cmd_file_of(obj)));
	EXPECT_EQ(cache_replay_proof(opts, run, rel), std::nullopt);
}

} // namespace
