// #line directives around the patched build: names and copies before the patches,
// `diff -U0` of each changed .c file after them, then the directives' patch.
#include "keep_lines.h"

#include "kbuild.h"
#include "line_directives.h"
#include "make.h"
#include "proc/process.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

namespace fs = std::filesystem;

namespace klp::build {
namespace {

// The `source_` of every kbuild record under `dir` (.<obj>.cmd files).
std::vector<std::string> recorded_sources(const std::string &dir)
{
	std::vector<std::string> sources;
	std::error_code ec;
	for (auto it = fs::recursive_directory_iterator(dir, ec); it != fs::recursive_directory_iterator();
	     it.increment(ec)) {
		if (ec)
			break;
		std::string name = it->path().filename().string();
		if (!name.starts_with(".") || !name.ends_with(".o.cmd"))
			continue;
		auto rec = read_cmd_file(it->path().string());
		if (rec && !rec->source.empty())
			sources.push_back(rec->source);
	}
	std::sort(sources.begin(), sources.end());
	return sources;
}

} // namespace

Status prepare_line_directives(const Options &opts, KernelRun &run, const std::string &dir,
			       const std::string &marker_dir, const std::string &records_dir,
			       const std::string &build_dir, const std::string &as_dir,
			       LineKeeping &keep)
{
	keep = {};
	keep.dir = dir;
	keep.marker_dir = marker_dir;
	keep.copies = run.work + "/line-directives/before";
	keep.patch = run.work + "/line-directives/line-directives.patch";
	std::error_code ec;
	fs::remove_all(run.work + "/line-directives", ec);
	std::vector<std::string> sources = recorded_sources(records_dir);
	for (const std::string &file : run.changed_files) {
		if (!file.ends_with(".c"))
			continue;
		auto name = compiler_file_name(build_dir, file, sources, as_dir);
		if (!name) {
			note(opts, run, fmt::format("warning: no #line directives for {}: no kbuild record "
						    "names it or a file that includes it, so its __FILE__ "
						    "is unknown (line numbers below a change may differ)",
						    file));
			continue;
		}
		if (auto c = copy_file(dir + "/" + file, keep.copies + "/" + file); !c)
			return fail(c.error());
		keep.names[file] = *name;
	}
	return std::nullopt;
}

Status add_line_directives(const Options &opts, KernelRun &run, AppliedPatches &applied,
			   const LineKeeping &keep)
{
	std::string patch;
	for (const auto &[file, name] : keep.names) {
		std::string now = keep.dir + "/" + file;
		auto diff = capture({"diff", "-U0", keep.copies + "/" + file, now}, "", {0, 1});
		if (!diff)
			return fail("error", "cannot compare " + file + " with its original: " +
						     diff.error().message());
		auto runs = changed_lines(*diff);
		auto text = read_text(now);
		if (!runs || !text)
			return fail("error", fmt::format("{}: {}", file,
							 (!runs ? runs.error() : text.error()).message()));
		auto dirs = plan_line_directives(*text, *runs);
		if (!dirs)
			return fail("error", fmt::format("{}: {}", file, dirs.error().message()));
		decide(opts, run, fmt::format("{}: {} #line directive(s) after {} change(s), as \"{}\"", file,
					      dirs->size(), runs->size(), name));
		patch += line_directive_patch(file, *text, *dirs, name);
	}
	if (patch.empty())
		return std::nullopt;
	if (auto w = write_text(keep.patch, patch); !w)
		return fail(w.error());
	std::vector<std::string> notes;
	if (auto a = applied.apply(keep.dir, {keep.patch}, keep.marker_dir, log_path(run, "patch"),
				   notes);
	    !a)
		return fail("error", "the #line directives klp-build made do not apply (the patches are "
				     "reverted): " + a.error().message());
	return std::nullopt;
}

} // namespace klp::build
