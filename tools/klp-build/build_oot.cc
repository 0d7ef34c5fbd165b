// Out-of-tree mode's builds: two copies of the module's source (the patch goes into
// the second), each built against the target's headers with one section per
// function; every object kbuild lists in a NAME.mod is paired with its twin and
// belongs to module NAME. Only the headers tree is needed, no kernel source.
#include "klp_build.h"

#include "kbuild.h"
#include "keep_lines.h"
#include "make.h"
#include "patches.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <sstream>

namespace fs = std::filesystem;

namespace klp::build {
namespace {

// Build products a source directory may hold from an earlier build: left out of the
// copies so that kbuild builds everything itself.
bool is_build_product(const fs::path &p)
{
	std::string name = p.filename().string();
	std::string ext = p.extension().string();
	if (name == "modules.order" || name == "Module.symvers" || name == ".tmp_versions")
		return true;
	if (name.starts_with(".") && name.ends_with(".cmd"))
		return true;
	for (const char *e : {".o", ".ko", ".mod", ".a", ".d"})
		if (ext == e)
			return true;
	return name.ends_with(".mod.c");
}

Status copy_source(const std::string &from, const std::string &to)
{
	std::error_code ec;
	fs::remove_all(to, ec);
	fs::create_directories(to, ec);
	for (auto it = fs::recursive_directory_iterator(from, ec); it != fs::recursive_directory_iterator();
	     it.increment(ec)) {
		if (ec)
			break;
		fs::path rel = fs::relative(it->path(), from, ec);
		if (it->path().filename() == ".git") {
			it.disable_recursion_pending();
			continue;
		}
		if (is_build_product(it->path()))
			continue;
		if (it->is_directory(ec))
			fs::create_directories(fs::path(to) / rel, ec);
		else if (it->is_regular_file(ec))
			fs::copy_file(it->path(), fs::path(to) / rel, fs::copy_options::overwrite_existing, ec);
		if (ec)
			return fail("copy", fmt::format("cannot copy {} to {}: {}", it->path().string(), to,
							ec.message()));
	}
	return std::nullopt;
}

// KBUILD_MODPOST_WARN: the patched module may use what only the livepatch module
// defines (klpkit_get_state(), klpkit_patch_name of klp_printk()); only its objects
// are wanted, and the livepatch module's own link checks every symbol.
Command oot_make(const Options &opts, const KernelRun &run, const std::string &dir, const std::string &log)
{
	return module_make(opts, run, dir,
			   {"KCFLAGS=" + std::string(klp_kcflags), "KBUILD_MODPOST_WARN=1", "modules"}, log);
}

// NAME.mod files: module NAME is linked from the objects listed (absolute paths in
// 6.x, relative ones in older kernels).
struct ModuleObjects {
	std::string module; // the kernel's name for it: hello_oot
	std::string file; // hello-oot.mod
	std::vector<std::string> objects; // relative to the build directory
};

std::vector<ModuleObjects> list_modules(const std::string &dir)
{
	std::vector<ModuleObjects> mods;
	std::error_code ec;
	for (auto it = fs::recursive_directory_iterator(dir, ec); it != fs::recursive_directory_iterator();
	     it.increment(ec)) {
		if (ec || it->path().extension() != ".mod")
			continue;
		ModuleObjects m;
		m.file = fs::relative(it->path(), dir, ec).string();
		m.module = it->path().stem().string();
		for (char &c : m.module)
			if (c == '-')
				c = '_';
		auto text = read_text(it->path().string());
		std::istringstream in(text ? *text : "");
		std::string word;
		while (in >> word) {
			if (!word.ends_with(".o"))
				continue;
			fs::path p(word);
			if (p.is_relative())
				p = it->path().parent_path() / p;
			m.objects.push_back(fs::relative(p, dir, ec).string());
		}
		mods.push_back(std::move(m));
	}
	std::sort(mods.begin(), mods.end(), [](auto &a, auto &b) { return a.module < b.module; });
	return mods;
}

} // namespace

Status build_oot(const Options &opts, KernelRun &run)
{
	std::string orig = run.work + "/oot/orig", patched = run.work + "/oot/patched";
	{
		StageClock clock(opts, run, "orig");
		if (auto st = copy_source(opts.oot_src, orig))
			return st;
		if (auto st = run_step(opts, oot_make(opts, run, orig, "orig"), "original module build"))
			return st;
		clock.done(fmt::format("{} built against {}", opts.oot_src, run.headers));
	}
	StageClock clock(opts, run, "patched");
	if (auto st = copy_source(opts.oot_src, patched))
		return st;
	{
		LineKeeping keep;
		if (opts.line_directives)
			if (auto st = prepare_line_directives(opts, run, patched, "", orig, orig, patched,
							      keep))
				return st;
		AppliedPatches applied;
		std::vector<std::string> notes;
		if (auto a = applied.apply(patched, opts.patches, "", log_path(run, "patch"), notes); !a)
			return refuse("patch-does-not-apply", a.error().message());
		patch_notes(opts, run, notes);
		// Unchanged code keeps its line numbers: no __LINE__-only differences.
		if (opts.line_directives)
			if (auto st = add_line_directives(opts, run, applied, keep))
				return st;
		Command make = with_patched_flags(opts, run, oot_make(opts, run, patched, "patched"));
		if (auto st = run_step(opts, make, "patched module build"))
			return st;
		applied.keep(); // a scratch copy: it stays patched
	}

	run.objects.clear();
	std::vector<std::string> changed;
	for (const auto &mod : list_modules(patched)) {
		if (!run.oot_modules.count(mod.module))
			decide(opts, run, fmt::format("module {} has no deployed .ko (--oot-module)", mod.module));
		for (const auto &rel : mod.objects) {
			ObjectPair pair;
			pair.rel = rel;
			pair.orig = orig + "/" + rel;
			pair.patched = patched + "/" + rel;
			pair.cmd_file = cmd_file_of(pair.patched);
			pair.parent = mod.module;
			pair.parent_reason = fmt::format("listed in {}: linked into module {}", mod.file, mod.module);
			// hello-oot.mod listing hello-oot.o alone: kbuild builds the module
			// from that object, not from a link of parts.
			pair.single_object_module =
				mod.objects.size() == 1 &&
				fs::path(rel).stem() == fs::path(mod.file).stem();
			std::error_code ec;
			if (!fs::exists(pair.orig, ec))
				return fail("build-failed", fmt::format("{} has no original (the patch adds it?)", rel));
			pair.changed = !same_bytes(pair.orig, pair.patched);
			if (pair.changed)
				changed.push_back(rel);
			run.objects.push_back(std::move(pair));
		}
	}
	clock.done(fmt::format("{} object(s), {} changed", run.objects.size(), changed.size()));
	if (changed.empty())
		return Stop{Result::no_change, "no-change",
			    "no functional change: the patched objects are byte-identical to the originals"};
	return std::nullopt;
}

} // namespace klp::build
