// Which objects the patch makes kbuild recompile. With a build's dependency records
// (the .<obj>.cmd files of a full build), every kernel object whose source or
// dependencies include a changed file. Without them, a .c-only patch names its
// objects itself (fs/proc/cmdline.c -> fs/proc/cmdline.o where kbuild lists it, see
// kbuild_dirs.cc; or the .c that #includes it: kernel/sched/rt.c ->
// kernel/sched/build_policy.o); a header change adds the .c files that include it
// (include_scan.cc) where the config builds them, or, past --max-header-users of
// them, makes the original build a full build.
#include "klp_build.h"

#include "arch/arch.h"
#include "kbuild.h"
#include "include_scan.h"
#include "kbuild_dirs.h"
#include "make.h"
#include "proc/process.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>

namespace fs = std::filesystem;

namespace klp::build {
namespace {

bool exists(const std::string &p)
{
	std::error_code ec;
	return fs::exists(p, ec);
}

// The .c files in `dir` that `#include "name.c"`.
std::vector<std::string> includers(const std::string &dir, const std::string &name)
{
	std::vector<std::string> found;
	std::regex inc("^\\s*#\\s*include\\s*\"" +
		       std::regex_replace(name, std::regex(R"([.+])"), R"(\$&)") + "\"");
	std::error_code ec;
	for (const auto &e : fs::directory_iterator(dir, ec)) {
		if (e.path().extension() != ".c")
			continue;
		std::ifstream in(e.path());
		std::string line;
		while (std::getline(in, line))
			if (std::regex_search(line, inc)) {
				found.push_back(e.path().filename().string());
				break;
			}
	}
	std::sort(found.begin(), found.end());
	return found;
}

// The arch/ directory of the target, from its .config.
std::string target_arch(const KernelRun &run)
{
	if (run.arch)
		return std::string(run.arch->srcarch);
	auto config = read_config(run.config);
	if (!config)
		return "x86";
	std::string srcarch = arch::config_srcarch(*config);
	return srcarch.empty() ? "x86" : srcarch;
}

// Objects of a host program or the build machinery, not of the kernel.
bool is_kernel_object(const std::string &rel, const CmdRecord &rec)
{
	for (const char *prefix : {"scripts/", "tools/", "usr/", ".klp-build/"})
		if (rel.starts_with(prefix))
			return false;
	if (rel.ends_with(".mod.o") || rel == "vmlinux.o")
		return false;
	return rec.command.find("-D__KERNEL__") != std::string::npos;
}

} // namespace

bool has_build_records(const std::string &tree)
{
	return exists(tree + "/vmlinux.o") || exists(tree + "/modules.order") || exists(tree + "/vmlinux");
}

Status targets_from_records(const Options &opts, KernelRun &run)
{
	std::set<std::string> changed(run.changed_files.begin(), run.changed_files.end());
	std::set<std::string> covered;
	std::set<std::string> targets;
	std::error_code ec;
	size_t scanned = 0;
	for (auto it = fs::recursive_directory_iterator(run.tree, fs::directory_options::skip_permission_denied, ec);
	     it != fs::recursive_directory_iterator(); it.increment(ec)) {
		if (ec)
			break;
		std::string fname = it->path().filename().string();
		if (it->is_directory(ec)) {
			if (fname == ".git" || fname == ".klp-build" || fname == "Documentation")
				it.disable_recursion_pending();
			continue;
		}
		if (!fname.starts_with(".") || !fname.ends_with(".o.cmd"))
			continue;
		std::string rel_dir = fs::relative(it->path().parent_path(), run.tree, ec).string();
		std::string object = fname.substr(1, fname.size() - 1 - 4); // ".x.o.cmd" -> "x.o"
		std::string rel = rel_dir == "." ? object : rel_dir + "/" + object;
		auto rec = read_cmd_file(it->path().string());
		if (!rec || !is_kernel_object(rel, *rec))
			continue;
		scanned++;
		bool hit = false;
		for (const std::string *dep : {&rec->source})
			if (changed.count(*dep)) {
				covered.insert(*dep);
				hit = true;
			}
		for (const auto &dep : rec->deps) {
			std::string d = dep.starts_with("./") ? dep.substr(2) : dep;
			if (changed.count(d)) {
				covered.insert(d);
				hit = true;
			}
		}
		if (hit)
			targets.insert(rel);
	}
	for (const auto &f : run.changed_files)
		if (!covered.count(f))
			decide(opts, run, fmt::format("{}: no object of this build depends on it", f));
	if (targets.empty())
		return refuse("not-built", fmt::format("no object of the build in {} depends on the "
						       "changed files (not enabled in this config?)",
						       run.tree));
	run.targets.assign(targets.begin(), targets.end());
	decide(opts, run, fmt::format("dependency records of {} objects: {} to rebuild", scanned,
				      run.targets.size()));
	return std::nullopt;
}

namespace {

Status pick_targets(const Options &opts, KernelRun &run)
{
	bool headers_changed = false;
	for (const auto &f : run.changed_files)
		if (f.ends_with(".h"))
			headers_changed = true;

	if (has_build_records(run.tree)) {
		decide(opts, run, "the tree has a build: its dependency records name the objects");
		return targets_from_records(opts, run);
	}
	// A header change: the .c files that include it, from the tree's #include lines
	// (include_scan.cc), join the patch's own; kbuild says which the config builds.
	std::set<std::string> users;
	if (headers_changed) {
		std::set<std::string> headers;
		for (const auto &f : run.changed_files)
			if (f.ends_with(".h"))
				headers.insert(f);
		auto start = std::chrono::steady_clock::now();
		IncludeScan scan = scan_includers(run.tree, target_arch(run), headers);
		double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
		decide(opts, run, fmt::format("header(s) {}: {} .c file(s) include them (#include lines of {} "
					      "files read in {:.1f}s)",
					      fmt::join(headers, ", "),
					      scan.sources.size(), scan.files_read, seconds));
		if (scan.sources.size() > opts.max_header_users) {
			if (!opts.full_build)
				return refuse("full-build-needed",
					      fmt::format("{} .c files include the changed header(s), more than "
							  "--max-header-users {}, and --no-full-build was given",
							  scan.sources.size(), opts.max_header_users));
			run.full_build = true;
			note(opts, run, fmt::format("{} .c files include the changed header(s), more than "
						    "--max-header-users {}: full original build",
						    scan.sources.size(), opts.max_header_users));
			return std::nullopt;
		}
		users.insert(scan.sources.begin(), scan.sources.end());
	}
	// Each directory asked once: the header's includers share directories.
	AskKbuild ask = cached_ask_kbuild(run.tree, kbuild_vars(run), run.root);
	std::set<std::string> targets;
	auto add = [&](const KbuildOwner &owner, const std::string &how) {
		targets.insert(owner.object);
		// kbuild builds a "../" object only from the directory that lists it:
		// `make drivers/gpu/drm/amd/display/dc/core/dc.o` compiles it with
		// drivers/gpu/drm's flags (and fails), the amdgpu/../ name with amdgpu's.
		if (owner.goal != owner.object)
			run.make_goals[owner.object] = owner.goal;
		decide(opts, run, fmt::format("{} built as {} (listed by {}'s kbuild file)", how, owner.goal,
					      owner.dir));
	};
	// An includer the config does not build is no target; a changed .c must be.
	size_t skipped = 0;
	for (const auto &f : users) {
		if (std::find(run.changed_files.begin(), run.changed_files.end(), f) != run.changed_files.end())
			continue;
		fs::path p(f);
		std::string object = (p.parent_path() / (p.stem().string() + ".o")).string();
		std::string why;
		auto owner = find_kbuild_owner(run.tree, object, ask, why);
		// drivers/acpi/arm64/cpuidle.c includes it too, but drivers/acpi enters
		// arm64/ only on arm64.
		if (owner && !not_entered_by(goal_directory(owner->goal), ask))
			add(*owner, f + " (includes a changed header):");
		else
			skipped++;
	}
	if (!users.empty())
		decide(opts, run, fmt::format("{} of the {} including .c file(s) not built by this config (not "
					      "listed, in a directory it does not enter, or only #included by "
					      "another .c)",
					      skipped, users.size()));
	for (const auto &f : run.changed_files) {
		if (f.ends_with(".h"))
			continue;
		fs::path p(f);
		std::string object = (p.parent_path() / (p.stem().string() + ".o")).string();
		std::string why;
		if (auto owner = find_kbuild_owner(run.tree, object, ask, why)) {
			add(*owner, f + ":");
			continue;
		}
		// kernel/sched/rt.c is compiled as part of build_policy.c, which
		// #includes it; kbuild lists only build_policy.o.
		std::string dir = run.tree + "/" + p.parent_path().string();
		size_t found = 0;
		for (const auto &c : includers(dir, p.filename().string())) {
			std::string o = (p.parent_path() / (fs::path(c).stem().string() + ".o")).string();
			std::string ignored;
			if (auto owner = find_kbuild_owner(run.tree, o, ask, ignored)) {
				add(*owner, f + ": included by " + c + ",");
				found++;
			}
		}
		if (found == 0)
			return refuse("not-built", fmt::format("{}: {}, and no .c in {} that includes it is built",
							       f, why, p.parent_path().string()));
	}
	if (targets.empty())
		return refuse("not-built", fmt::format("no object of this config includes {}",
						       fmt::join(run.changed_files, ", ")));
	run.targets.assign(targets.begin(), targets.end());
	return std::nullopt;
}

// kbuild would compile a goal twice at once with -jN: build the targets with -j1.
void serialize_if_entered_twice(const Options &opts, KernelRun &run)
{
	AskKbuild ask = cached_ask_kbuild(run.tree, kbuild_vars(run), run.root);
	for (const auto &rel : run.targets) {
		auto it = run.make_goals.find(rel);
		const std::string &goal = it == run.make_goals.end() ? rel : it->second;
		if (auto why = entered_twice(goal_directory(goal), ask)) {
			run.serial_make = true;
			decide(opts, run, fmt::format("{}: {}, and make -j{} would build it twice at once: "
						      "building the targets with -j1",
						      rel, *why, opts.jobs));
			return;
		}
	}
}

} // namespace

Status choose_targets(const Options &opts, KernelRun &run)
{
	if (run.mode != Mode::tree)
		return std::nullopt;
	if (auto st = pick_targets(opts, run))
		return st;
	if (!run.full_build && opts.jobs > 1)
		serialize_if_entered_twice(opts, run);
	return std::nullopt;
}

} // namespace klp::build
