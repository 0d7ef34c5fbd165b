// The kernel source tree a build runs in: a linux-source tarball is extracted once
// into the cache (<cache>/src/<release>/), the tree is locked for the run (klp-build
// patches it in place), patches a crashed run left in it are reverted, and an
// unbuilt tree gets the target's config, `make olddefconfig` and `make prepare` once
// per config and compiler. It builds no objects.
#include "klp_build.h"

#include "kbuild.h"
#include "make.h"
#include "patches.h"

#include <fmt/format.h>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cstring>
#include <filesystem>
#include <set>

namespace fs = std::filesystem;

namespace klp::build {
namespace {

bool exists(const std::string &p)
{
	std::error_code ec;
	return fs::exists(p, ec);
}

} // namespace

// "/usr/src/linux-source-6.1.tar.xz\n138009412\n1700123456\n": re-extract when the
// tarball is replaced (a new linux-source package).
static std::string tarball_identity(const std::string &path)
{
	struct stat st = {};
	stat(path.c_str(), &st);
	return fmt::format("{}\n{}\n{}\n", path, st.st_size, st.st_mtime);
}

Status extract_tarball(const Options &opts, KernelRun &run, const std::string &tarball,
		       const std::string &dest)
{
	std::string stamp = dest + "/.klp-build/source";
	auto have = read_text(stamp);
	if (have && *have == tarball_identity(tarball) && exists(dest + "/Makefile")) {
		decide(opts, run, fmt::format("source: {} (extracted from {})", dest, tarball));
		return std::nullopt;
	}
	StageClock clock(opts, run, "extract");
	std::error_code ec;
	fs::create_directories(fs::path(dest).parent_path(), ec);
	// Called under the tree's lock: another dest.tmp.* is a killed run's leftover.
	std::string prefix = fs::path(dest).filename().string() + ".tmp.";
	for (const auto &e : fs::directory_iterator(fs::path(dest).parent_path(), ec))
		if (e.path().filename().string().starts_with(prefix))
			fs::remove_all(e.path(), ec);
	std::string tmp = dest + ".tmp." + std::to_string(getpid());
	fs::create_directories(tmp, ec);
	Command tar;
	tar.argv = {"tar", "-xf", tarball, "-C", tmp, "--strip-components=1"};
	tar.log = log_path(run, "extract");
	if (auto st = run_step(opts, tar, "extracting " + tarball, "extract-failed")) {
		fs::remove_all(tmp, ec);
		return st;
	}
	if (!exists(tmp + "/Makefile")) {
		fs::remove_all(tmp, ec);
		return fail("extract-failed", fmt::format("{}: no top-level Makefile inside", tarball));
	}
	fs::remove_all(dest, ec);
	fs::rename(tmp, dest, ec);
	if (ec)
		return fail("extract-failed", fmt::format("cannot move {} to {}: {}", tmp, dest, ec.message()));
	fs::create_directories(dest + "/.klp-build", ec);
	if (auto w = write_text(stamp, tarball_identity(tarball)); !w)
		return fail(w.error());
	clock.done(fmt::format("{} -> {}", tarball, dest));
	return std::nullopt;
}

namespace {

// One klp-build at a time per tree: it is patched in place. The lock file is next
// to the tree (a cached tree may not be extracted yet); held until the run ends.
Status lock_tree(const Options &opts, KernelRun &run, const std::string &path)
{
	std::error_code ec;
	fs::create_directories(fs::path(path).parent_path(), ec);
	int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return fail("lock", fmt::format("{}: cannot open: {}", path, strerror(errno)));
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		note(opts, run, fmt::format("waiting for another klp-build that uses {}", run.tree));
		if (flock(fd, LOCK_EX) != 0) {
			close(fd);
			return fail("lock", fmt::format("{}: cannot lock: {}", path, strerror(errno)));
		}
	}
	run.tree_lock = std::shared_ptr<void>(nullptr, [fd](void *) { close(fd); });
	return std::nullopt;
}

// What the prepared state of an unbuilt tree depends on: the config given, the
// compiler and the release it is built as.
std::string prepare_key(const KernelRun &run, const std::string &config_text)
{
	Hasher h;
	h.add(config_text);
	h.add(run.cc_version);
	h.add(shell_line(run.cc));
	h.add(run.release);
	h.add(klp_kcflags);
	return h.hex();
}

// Options Kconfig turned off or changed in the tree because this build host cannot
// provide them: CONFIG_RUST=y needs rustc and bindgen (7.2's Debian config), and
// CONFIG_OPENSSL_SUPPORTS_ML_DSA asks the host's openssl. Objects of code that
// names none of them come out the same; a changed file that names one is refused.
Status check_config_drift(const Options &opts, KernelRun &run)
{
	auto target = read_config(run.config);
	auto tree = read_config(run.tree + "/.config");
	if (!target || !tree)
		return std::nullopt; // prepare_tree already read both
	std::vector<std::string> drift = config_drift(*target, *tree);
	if (drift.empty())
		return std::nullopt;
	for (const auto &file : run.changed_files) {
		auto text = read_text(run.tree + "/" + file);
		if (!text)
			continue;
		for (const auto &k : drift)
			if (names_option(*text, k))
				return refuse("config-drift",
					      fmt::format("{} uses {}, which is {} in the target's config ({}) "
							  "but {} in the tree klp-build prepared: this build "
							  "host cannot provide it (rustc, bindgen, a newer "
							  "openssl?)",
							  file, k, config_value(*target, k), run.config, config_value(*tree, k)));
	}
	std::string shown;
	for (size_t i = 0; i < drift.size() && i < 8; i++)
		shown += (i ? ", " : "") + drift[i] + "=" + config_value(*target, drift[i]);
	note(opts, run, fmt::format("warning: the prepared tree's config differs from the target's in {} "
				    "option(s) this host cannot provide ({}{}); the changed files use none "
				    "of them",
				    drift.size(), shown, drift.size() > 8 ? ", ..." : ""));
	return std::nullopt;
}

} // namespace

Status prepare_tree(const Options &opts, KernelRun &run)
{
	if (run.mode != Mode::tree)
		return std::nullopt;
	const std::string &src = run.spec.src;
	std::error_code ec;
	if (fs::is_regular_file(src, ec)) {
		run.tree = opts.cache_dir + "/src/" + run.release;
		if (auto st = lock_tree(opts, run, opts.cache_dir + "/src/." + run.release + ".lock"))
			return st;
		if (auto st = extract_tarball(opts, run, src, run.tree))
			return st;
	} else {
		run.tree = fs::canonical(src, ec).string();
		if (auto st = lock_tree(opts, run, run.tree + "/.klp-build/lock"))
			return st;
	}

	auto stale = revert_stale_patches(run.tree, run.tree + "/.klp-build/applied", log_path(run, "patch"));
	if (!stale)
		return fail("dirty-tree", stale.error().message());
	if (*stale)
		note(opts, run, fmt::format("reverted {} patch(es) an interrupted run left in {}", *stale, run.tree));

	// The tree's version must be the target's.
	auto tree_version = makefile_version(run.tree);
	auto target_version = makefile_version(run.headers);
	if (!tree_version)
		return fail(tree_version.error());
	if (target_version && *tree_version != *target_version)
		return refuse("version-mismatch",
			      fmt::format("the source tree is {} ({}), the target kernel is {} ({})",
					  *tree_version, run.tree, *target_version, run.headers));

	StageClock clock(opts, run, "prepare");
	auto config_text = read_text(run.config);
	if (!config_text)
		return fail(config_text.error());
	std::string stamp = run.tree + "/.klp-build/prepared";
	std::string key = prepare_key(run, *config_text);
	auto have = read_text(stamp);
	if (have && *have == key && exists(run.tree + "/include/generated/autoconf.h") &&
	    exists(run.tree + "/.config")) {
		clock.done(fmt::format("{} (ready)", run.tree));
		return check_config_drift(opts, run);
	}
	if (exists(run.tree + "/vmlinux") || exists(run.tree + "/modules.order")) {
		// A tree the user built: its own .config is the truth.
		auto tree_config = read_text(run.tree + "/.config");
		if (run.config != run.tree + "/.config" && (!tree_config || *tree_config != *config_text))
			return refuse("config-mismatch",
				      fmt::format("{} is built with its own .config, which differs from "
						  "{}",
						  run.tree, run.config));
		clock.done(fmt::format("{} (built tree)", run.tree));
		return std::nullopt;
	}

	fs::remove(stamp, ec);
	if (run.config != run.tree + "/.config")
		if (auto c = copy_file(run.config, run.tree + "/.config"); !c)
			return fail(c.error());
	if (auto st = run_step(opts, tree_make(opts, run, run.tree, {"olddefconfig"}, "prepare"),
			       "make olddefconfig"))
		return st;
	if (auto st = run_step(opts, tree_make(opts, run, run.tree, {"prepare"}, "prepare"), "make prepare"))
		return st;
	if (auto w = write_text(stamp, key); !w)
		return fail(w.error());
	clock.done(fmt::format("{}: olddefconfig, prepare", run.tree));
	return check_config_drift(opts, run);
}

} // namespace klp::build
