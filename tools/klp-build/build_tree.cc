// Kernel-tree mode's two builds. The original: the target objects from the cache or
// compiled in the unpatched tree (the whole kernel when a header changed and no
// build records exist). The patched: the patches applied, the same objects
// recompiled, the patches reverted. Each object is copied into the work directory
// with kbuild's .cmd record; the pairs whose bytes differ go on to the diff. A
// target whose recorded command is proven (replay.h) is recompiled by it, not make.
#include "klp_build.h"

#include "kbuild.h"
#include "kbuild_dirs.h"
#include "keep_lines.h"
#include "make.h"
#include "objcache.h"
#include "patches.h"
#include "replay.h"

#include <fmt/format.h>

#include <filesystem>
#include <set>

namespace fs = std::filesystem;

namespace klp::build {
namespace {

std::string join(const std::vector<std::string> &v, const std::string &sep = ", ", size_t max = 6)
{
	std::string out;
	for (size_t i = 0; i < v.size(); i++) {
		if (i == max) {
			out += fmt::format("{}... ({} more)", sep, v.size() - max);
			break;
		}
		out += (i ? sep : "") + v[i];
	}
	return out;
}

// Copies tree/<rel> and its .cmd to <work>/<side>/<rel> (and .cmd).
Status collect(const KernelRun &run, const std::string &side, const std::string &rel)
{
	std::string from = run.tree + "/" + rel;
	std::string to = run.work + "/" + side + "/" + rel;
	if (auto c = copy_file(from, to); !c)
		return fail("build-failed", fmt::format("kbuild did not produce {}: {}", rel, c.error().message()));
	if (auto c = copy_file(cmd_file_of(from), cmd_file_of(to)); !c)
		return fail("build-failed", fmt::format("no kbuild record for {}: {}", rel, c.error().message()));
	return std::nullopt;
}

// What make is asked for: each target by kbuild's own name for it (see make_goals).
std::vector<std::string> goals_of(const KernelRun &run, const std::vector<std::string> &rels)
{
	std::vector<std::string> goals;
	for (const auto &rel : rels) {
		auto it = run.make_goals.find(rel);
		goals.push_back(it == run.make_goals.end() ? rel : it->second);
	}
	return goals;
}

// Deleting the objects makes kbuild rebuild them whatever the timestamps say.
void remove_from_tree(const KernelRun &run, const std::vector<std::string> &rels)
{
	std::error_code ec;
	for (const auto &rel : rels)
		fs::remove(run.tree + "/" + rel, ec);
}

// A path of the tree's as kbuild's records name it.
std::string tree_relative(const KernelRun &run, std::string path)
{
	if (path.starts_with(run.tree + "/"))
		path.erase(0, run.tree.size() + 1);
	return fs::path(path).lexically_normal().string();
}

// The targets came from the sources' #include lines and kbuild's lists, which do
// not know the config's #if: the compiler's dependency output (the `deps_` of each
// original's .cmd, from gcc -MD) says which really use a changed file (a header
// included under an #if the config leaves out; fs/binfmt_elf_test.c, #included by
// binfmt_elf.c only with CONFIG_BINFMT_ELF_KUNIT_TEST). The others are not rebuilt.
void drop_targets_without_changed_deps(const Options &opts, KernelRun &run)
{
	auto normal = [&](const std::string &path) { return tree_relative(run, path); };
	std::set<std::string> changed;
	for (const auto &f : run.changed_files)
		changed.insert(normal(f));
	std::vector<std::string> kept;
	for (const auto &rel : run.targets) {
		auto rec = read_cmd_file(cmd_file_of(run.work + "/orig/" + rel));
		bool uses = !rec || rec->source.empty(); // no record: keep it, the diff decides
		if (!uses) {
			uses = changed.count(normal(rec->source)) > 0;
			for (const auto &dep : rec->deps)
				uses = uses || changed.count(normal(dep)) > 0;
		}
		if (uses)
			kept.push_back(rel);
		else
			decide(opts, run, fmt::format("{}: its compiler dependencies name no changed file "
						      "(an #include under #if): not rebuilt", rel));
	}
	run.targets = kept;
}

// The pristine tree, with the target's config, built the running kernel: an
// original that does not compile is one this config does not build, when kbuild
// confirms that no directory on the way enters it (drivers/of without CONFIG_OF:
// base.c redefines the header's stubs). Otherwise the failure stands.
Status not_built_instead(const KernelRun &run, const std::vector<std::string> &rels, Stop failure)
{
	AskKbuild ask = cached_ask_kbuild(run.tree, kbuild_vars(run), run.root);
	for (const auto &goal : goals_of(run, rels)) {
		std::string dir = goal_directory(goal);
		if (auto above = not_entered_by(dir, ask))
			return refuse("not-built", fmt::format("{}: {}'s kbuild file does not enter {} in this config "
							       "(and the original does not compile)",
							       goal, *above, dir));
	}
	return failure;
}

// Each freshly built original compiled once more by its recorded command: the same
// bytes prove the command (replay.h), and the cache keeps the proof. The tree's
// copies go whatever the outcome: the work directory has kbuild's.
void prove_replays(const Options &opts, KernelRun &run, const std::vector<std::string> &rels)
{
	std::vector<std::string> candidates, commands;
	std::vector<Command> cmds;
	for (const auto &rel : rels) {
		if (run.make_goals.count(rel) || run.not_replayable.count(rel))
			continue; // disproven, or built under another name (its record is not the goal's)
		auto rec = read_cmd_file(cmd_file_of(run.work + "/orig/" + rel));
		if (!rec)
			continue;
		auto command = shell_command_of(rec->command);
		if (!command || !depfile_of(*command)) {
			decide(opts, run, fmt::format("{}: its recorded command is not replayable ({}): the "
						      "patched one is built by make",
						      rel, command ? "no -Wp,-MMD" : command.error().message()));
			continue;
		}
		cmds.push_back(replay_command(opts, run, *command,
					      fmt::format("replay-orig-{}", candidates.size() + 1)));
		candidates.push_back(rel);
		commands.push_back(*command);
	}
	std::vector<int> statuses = run_parallel(cmds, opts.jobs);
	for (size_t i = 0; i < candidates.size(); i++) {
		const std::string &rel = candidates[i];
		remove_depfile(run, commands[i]);
		if (interrupted())
			continue; // no proof either way
		bool proven = statuses[i] == 0 && same_bytes(run.tree + "/" + rel, run.work + "/orig/" + rel);
		if (auto m = cache_store_replay_proof(opts, run, rel, proven); !m)
			note(opts, run, "warning: cannot cache the proof for " + rel + ": " + m.error().message());
		if (!proven) {
			run.not_replayable.insert(rel);
			decide(opts, run, fmt::format("{}: its recorded command does not give kbuild's object "
						      "({}): the patched one is built by make",
						      rel, statuses[i] ? fmt::format("exit {}", statuses[i])
								       : "other bytes"));
			continue;
		}
		run.replayable.insert(rel);
		decide(opts, run, fmt::format("{}: its recorded command gives kbuild's object byte for byte "
					      "(the patched one is compiled by it)",
					      rel));
	}
	remove_from_tree(run, candidates);
}

// prepare's generated headers are compiled from .c files as .s (asm-offsets.s,
// bounds.s, devicetable-offsets.s): make regenerates them from changed sources,
// a recorded command would not.
std::vector<std::string> prepare_records(const KernelRun &run)
{
	std::vector<std::string> dirs = {"kernel", "kernel/sched", "scripts/mod"};
	std::error_code ec;
	for (const auto &arch : fs::directory_iterator(run.tree + "/arch", ec))
		dirs.push_back("arch/" + arch.path().filename().string() + "/kernel");
	std::vector<std::string> records;
	for (const auto &dir : dirs) {
		for (const auto &e : fs::directory_iterator(run.tree + "/" + dir, ec)) {
			std::string name = e.path().filename().string();
			if (name.starts_with(".") && name.ends_with(".s.cmd"))
				records.push_back(e.path().string());
		}
	}
	std::sort(records.begin(), records.end());
	return records;
}

// Why the patched objects are built by make and not by their recorded commands;
// empty when the commands do.
std::string replay_refused(const Options &opts, const KernelRun &run)
{
	if (!opts.replay)
		return "--no-replay";
	for (const auto &rel : run.targets)
		if (!run.replayable.count(rel))
			return rel + " has no proven recorded command";
	std::set<std::string> changed;
	for (const auto &f : run.changed_files) {
		std::string rel = tree_relative(run, f);
		std::string ext = fs::path(rel).extension().string();
		if (ext != ".c" && ext != ".h")
			return rel + " is not a C source or header (kbuild's rules may change)";
		changed.insert(rel);
	}
	for (const auto &record : prepare_records(run)) {
		auto rec = read_cmd_file(record);
		if (!rec)
			return record + " is unreadable";
		std::vector<std::string> files = rec->deps;
		files.push_back(rec->source);
		for (const auto &f : files)
			if (changed.count(tree_relative(run, f)))
				return tree_relative(run, f) + " is compiled into a header kbuild generates (" +
				       rec->source + ")";
	}
	return "";
}

// The patched targets compiled by their proven commands, with the patched flags where
// make would put them, and recorded by the tree's fixdep as kbuild records them.
Status replay_patched(const Options &opts, KernelRun &run)
{
	std::string flags = patched_flags(opts, run);
	std::vector<std::string> recorded, commands;
	std::vector<Command> cmds;
	for (const auto &rel : run.targets) {
		auto rec = read_cmd_file(cmd_file_of(run.work + "/orig/" + rel));
		if (!rec)
			return fail(rec.error());
		auto patched = flags.empty() ? Expected<std::string>(rec->command)
					     : with_kcflags_after(rec->command, flags);
		if (!patched)
			return fail("build-failed", fmt::format("{}: {}", rel, patched.error().message()));
		auto command = shell_command_of(*patched);
		if (!command)
			return fail("build-failed", fmt::format("{}: {}", rel, command.error().message()));
		cmds.push_back(replay_command(opts, run, *command, fmt::format("patched-{}", cmds.size() + 1)));
		recorded.push_back(*patched);
		commands.push_back(*command);
	}
	std::vector<int> statuses = run_parallel(cmds, opts.jobs);
	for (size_t i = 0; i < run.targets.size(); i++) {
		const std::string &rel = run.targets[i];
		if (statuses[i] != 0) {
			for (const auto &c : commands) // the ones after this one are not recorded
				remove_depfile(run, c);
			if (interrupted())
				return fail("interrupted", "patched build: interrupted");
			std::string msg = fmt::format("patched build failed (exit {}): {}'s recorded command: {}",
						      statuses[i], rel, commands[i]);
			if (!opts.verbose)
				msg += fmt::format("\n--- last lines of {} ---\n{}", cmds[i].log,
						   log_tail(cmds[i].log, 60));
			return fail("build-failed", msg);
		}
		std::string to = run.work + "/patched/" + rel;
		std::error_code ec;
		fs::create_directories(fs::path(to).parent_path(), ec);
		if (auto r = write_record(run, rel, recorded[i], cmd_file_of(to)); !r)
			return fail("build-failed", r.error().message());
		if (auto c = copy_file(run.tree + "/" + rel, to); !c)
			return fail("build-failed", fmt::format("{} was not built: {}", rel, c.error().message()));
	}
	return std::nullopt;
}

} // namespace

Status build_original(const Options &opts, KernelRun &run)
{
	if (run.mode != Mode::tree)
		return std::nullopt;
	StageClock clock(opts, run, "orig");
	std::error_code ec;
	fs::remove_all(run.work + "/orig", ec);

	if (run.full_build) {
		// The default goal: vmlinux and modules, with the dependency records a header
		// change needs.
		note(opts, run, fmt::format("building the whole kernel in {} (-j{}): this takes a while",
					    run.tree, opts.jobs));
		if (auto st = run_step(opts, tree_make(opts, run, run.tree, {}, "orig"), "original build"))
			return st;
		if (auto st = targets_from_records(opts, run))
			return st;
		for (const auto &rel : run.targets)
			if (auto st = collect(run, "orig", rel))
				return st;
		clock.done(fmt::format("full build; {} object(s) depend on the patch: {}", run.targets.size(),
				       join(run.targets)));
		return std::nullopt;
	}

	std::vector<std::string> misses;
	size_t hits = 0;
	for (const auto &rel : run.targets) {
		std::string o = run.work + "/orig/" + rel;
		if (cache_fetch(opts, run, rel, o, cmd_file_of(o))) {
			hits++;
			if (auto proof = cache_replay_proof(opts, run, rel))
				(*proof ? run.replayable : run.not_replayable).insert(rel);
			decide(opts, run, fmt::format("{}: original from the cache{}", rel,
						      run.replayable.count(rel) ? " (its recorded command proven)" : ""));
		} else {
			misses.push_back(rel);
		}
	}
	if (!misses.empty()) {
		remove_from_tree(run, misses);
		if (auto st = run_step(opts, tree_make(opts, run, run.tree, goals_of(run, misses), "orig"), "original build"))
			return not_built_instead(run, misses, *st);
		for (const auto &rel : misses) {
			if (auto st = collect(run, "orig", rel))
				return st;
			std::string o = run.work + "/orig/" + rel;
			if (auto c = cache_store(opts, run, rel, o, cmd_file_of(o)); !c)
				note(opts, run, "warning: cannot cache " + rel + ": " + c.error().message());
		}
	}
	size_t candidates = run.targets.size();
	drop_targets_without_changed_deps(opts, run);
	// Proven once per cache entry: the fresh originals, and cached ones a klp-build
	// without this proof stored.
	std::vector<std::string> unproven;
	for (const auto &rel : run.targets)
		if (!run.replayable.count(rel) && !run.not_replayable.count(rel))
			unproven.push_back(rel);
	if (opts.replay && !unproven.empty())
		prove_replays(opts, run, unproven);
	if (run.targets.empty())
		return refuse("not-built", fmt::format("no object of this config includes {} (the compiler's "
						       "dependencies of its {} candidate(s))",
						       join(run.changed_files), candidates));
	clock.done(fmt::format("{} object(s): {} compiled, {} cached ({}){}", candidates, misses.size(), hits,
			       join(run.targets),
			       candidates == run.targets.size()
				       ? ""
				       : fmt::format("; {} of them include a changed header", run.targets.size())));
	return std::nullopt;
}

Status build_patched(const Options &opts, KernelRun &run)
{
	if (run.mode != Mode::tree)
		return std::nullopt;
	StageClock clock(opts, run, "patched");
	std::error_code ec;
	fs::remove_all(run.work + "/patched", ec);

	const std::string marker = run.tree + "/.klp-build/applied";
	LineKeeping keep;
	if (opts.line_directives)
		if (auto st = prepare_line_directives(opts, run, run.tree, marker, run.work + "/orig",
						      run.tree, "", keep))
			return st;
	AppliedPatches applied;
	std::vector<std::string> notes;
	if (auto a = applied.apply(run.tree, opts.patches, marker, log_path(run, "patch"), notes); !a)
		return refuse("patch-does-not-apply", a.error().message());
	patch_notes(opts, run, notes);
	// Unchanged code keeps its line numbers: no __LINE__-only differences.
	if (opts.line_directives)
		if (auto st = add_line_directives(opts, run, applied, keep))
			return st;

	remove_from_tree(run, run.targets);
	std::string refused = replay_refused(opts, run);
	Status built;
	if (refused.empty()) {
		built = replay_patched(opts, run);
	} else {
		decide(opts, run, "patched objects built by make: " + refused);
		built = run_step(opts,
				 with_patched_flags(opts, run,
						    tree_make(opts, run, run.tree, goals_of(run, run.targets),
							      "patched")),
				 "patched build");
		if (!built)
			for (const auto &rel : run.targets)
				if ((built = collect(run, "patched", rel)))
					break;
	}
	// The tree goes back to its original sources whatever happened; the patched
	// objects go too, so that nothing built later links them by mistake.
	if (auto r = applied.revert(); !r)
		return fail("dirty-tree", r.error().message());
	remove_from_tree(run, run.targets);
	if (built)
		return built;

	run.objects.clear();
	std::vector<std::string> changed, same;
	for (const auto &rel : run.targets) {
		ObjectPair pair;
		pair.rel = rel;
		pair.orig = run.work + "/orig/" + rel;
		pair.patched = run.work + "/patched/" + rel;
		pair.cmd_file = cmd_file_of(pair.patched);
		pair.changed = !same_bytes(pair.orig, pair.patched);
		(pair.changed ? changed : same).push_back(rel);
		if (!pair.changed)
			decide(opts, run, fmt::format("{}: identical after the patch", rel));
		run.objects.push_back(std::move(pair));
	}
	clock.done(fmt::format("{} object(s) recompiled{}, {} changed{}", run.targets.size(),
			       refused.empty() ? " by their recorded commands" : "", changed.size(),
			       changed.empty() ? "" : " (" + join(changed) + ")"));
	if (changed.empty())
		return Stop{Result::no_change, "no-change",
			    "no functional change: the patched objects are byte-identical to the originals"};
	return std::nullopt;
}

} // namespace klp::build
