// Which objects the patch makes kbuild recompile. With a build's dependency records
// (the .<obj>.cmd files of a full build), every kernel object whose source or
// dependencies include a changed file. Without them, a .c-only patch names its
// objects itself (fs/proc/cmdline.c -> fs/proc/cmdline.o, or the .c that #includes
// it: kernel/sched/rt.c -> kernel/sched/build_policy.o); a header change needs the
// records, so the original build becomes a full build.
#include "klp_build.h"

#include "kbuild.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

namespace fs = std::filesystem;

namespace klp::build {
namespace {

bool exists(const std::string &p)
{
	std::error_code ec;
	return fs::exists(p, ec);
}

std::string read_or_empty(const std::string &path)
{
	auto t = read_text(path);
	return t ? *t : "";
}

// Does the directory's kbuild file list `name.o` (obj-y, proc-y, foo-objs, ...)?
bool kbuild_lists(const std::string &dir, const std::string &object_name)
{
	std::regex word("(^|[\\s=+:])" + std::regex_replace(object_name, std::regex(R"([.+])"), R"(\$&)") +
			"($|\\s)");
	for (const char *file : {"Makefile", "Kbuild"}) {
		std::string text = read_or_empty(dir + "/" + file);
		std::istringstream in(text);
		std::string line;
		while (std::getline(in, line))
			if (std::regex_search(line, word))
				return true;
	}
	return false;
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

Status choose_targets(const Options &opts, KernelRun &run)
{
	if (run.mode != Mode::tree)
		return std::nullopt;
	bool headers_changed = false;
	for (const auto &f : run.changed_files)
		if (f.ends_with(".h"))
			headers_changed = true;

	if (has_build_records(run.tree)) {
		decide(opts, run, "the tree has a build: its dependency records name the objects");
		return targets_from_records(opts, run);
	}
	if (headers_changed) {
		run.full_build = true;
		note(opts, run, "a header changes and the tree has no build to tell who includes it: "
				"full original build");
		return std::nullopt;
	}
	std::set<std::string> targets;
	for (const auto &f : run.changed_files) {
		fs::path p(f);
		std::string dir = run.tree + "/" + p.parent_path().string();
		std::string object = p.stem().string() + ".o";
		if (kbuild_lists(dir, object)) {
			std::string rel = (p.parent_path() / object).string();
			targets.insert(rel);
			decide(opts, run, fmt::format("{}: built as {}", f, rel));
			continue;
		}
		auto inc = includers(dir, p.filename().string());
		std::vector<std::string> listed;
		for (const auto &c : inc) {
			std::string o = fs::path(c).stem().string() + ".o";
			if (kbuild_lists(dir, o))
				listed.push_back((p.parent_path() / o).string());
		}
		if (listed.empty())
			return refuse("not-built",
				      fmt::format("{}: no kbuild file in {} builds it, and no .c there "
						  "includes it",
						  f, p.parent_path().string()));
		for (const auto &o : listed) {
			targets.insert(o);
			decide(opts, run, fmt::format("{}: included by the source of {}", f, o));
		}
	}
	run.targets.assign(targets.begin(), targets.end());
	return std::nullopt;
}

} // namespace klp::build
