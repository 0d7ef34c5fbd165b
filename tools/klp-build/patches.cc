// Unified-diff headers and `patch -p1` runs. Parsing looks only at file headers
// ("--- a/x", "+++ b/x", git's "diff --git", "rename to", "Binary files"); hunks are
// patch's business. Applying is dry run first, then for real, each patch recorded in
// the marker directory before it touches the tree.
#include "patches.h"

#include "kbuild.h"
#include "proc/process.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

namespace fs = std::filesystem;

namespace klp::build {
namespace {

// "b/fs/proc/cmdline.c\t2024-01-01 ..." -> "fs/proc/cmdline.c"
std::string strip_header_path(std::string p)
{
	auto tab = p.find('\t');
	if (tab != std::string::npos)
		p.resize(tab);
	while (!p.empty() && (p.back() == ' ' || p.back() == '\r'))
		p.pop_back();
	if (p == "/dev/null")
		return p;
	auto slash = p.find('/');
	return slash == std::string::npos ? p : p.substr(slash + 1);
}

std::vector<std::string> patch_argv(const std::string &dir, const std::string &patch, bool reverse,
				    bool dry_run)
{
	std::vector<std::string> argv = {"patch", "-p1", "--batch", "--no-backup-if-mismatch",
					 "--reject-file=-", "-d", dir, "-i", patch};
	argv.push_back(reverse ? "--reverse" : "--forward");
	if (dry_run)
		argv.push_back("--dry-run");
	return argv;
}

// patch's output lines that say it had to guess: offsets and fuzz.
void collect_notes(const std::string &patch, const std::string &output,
		   std::vector<std::string> &notes)
{
	std::istringstream in(output);
	std::string line;
	while (std::getline(in, line))
		if (line.find("with fuzz") != std::string::npos || line.find("offset") != std::string::npos)
			notes.push_back(fs::path(patch).filename().string() + ": " + line);
}

Expected<std::string> run_patch(const std::string &dir, const std::string &patch, bool reverse,
				bool dry_run, const std::string &log)
{
	auto out = capture(patch_argv(dir, patch, reverse, dry_run));
	if (!log.empty()) {
		std::ofstream l(log, std::ios::app);
		l << "$ " << shell_line(patch_argv(dir, patch, reverse, dry_run)) << "\n"
		  << (out ? *out : out.error().message()) << "\n";
	}
	return out;
}

} // namespace

Expected<PatchInfo> parse_patch(const std::string &path)
{
	auto text = read_text(path);
	if (!text)
		return text.take_error();
	if (text->empty())
		return make_error("{}: the file is empty", path);
	PatchInfo info;
	info.path = path;
	std::istringstream in(*text);
	std::string line, minus;
	size_t lineno = 0;
	auto add = [&](FileChange fc) {
		for (auto &f : info.files)
			if (f.path == fc.path)
				return;
		info.files.push_back(std::move(fc));
	};
	while (std::getline(in, line)) {
		lineno++;
		if (line.starts_with("--- ")) {
			minus = strip_header_path(line.substr(4));
		} else if (line.starts_with("+++ ") && !minus.empty()) {
			std::string plus = strip_header_path(line.substr(4));
			FileChange fc;
			fc.added = minus == "/dev/null";
			fc.deleted = plus == "/dev/null";
			fc.path = fc.deleted ? minus : plus;
			if (fc.path.empty() || fc.path == "/dev/null")
				return make_error("{}:{}: cannot read the file name", path, lineno);
			add(std::move(fc));
			minus.clear();
		} else if (line.starts_with("rename from ") || line.starts_with("copy from ")) {
			add({line.substr(line.find(" from ") + 6), false, line.starts_with("rename")});
		} else if (line.starts_with("rename to ") || line.starts_with("copy to ")) {
			add({line.substr(line.find(" to ") + 4), true, false});
		} else if (line.starts_with("Binary files ") || line.starts_with("GIT binary patch")) {
			if (!info.binary_line)
				info.binary_line = lineno;
		}
	}
	if (info.files.empty())
		return make_error("{}: no file changes found (not a unified diff?)", path);
	return info;
}

Expected<void> AppliedPatches::apply(const std::string &dir, const std::vector<std::string> &patches,
				     const std::string &marker_dir, const std::string &log,
				     std::vector<std::string> &notes)
{
	dir_ = dir;
	marker_dir_ = marker_dir;
	log_ = log;
	for (const std::string &patch : patches) {
		auto dry = run_patch(dir, patch, false, true, log);
		if (!dry) {
			std::string why = dry.error().message();
			if (auto r = revert(); !r)
				why += "; and reverting the patches applied before failed: " +
				       r.error().message();
			return make_error("{} does not apply to {}: {}", patch, dir, why);
		}
		std::string applied = patch;
		if (!marker_dir.empty()) {
			std::error_code ec;
			fs::create_directories(marker_dir, ec);
			// Numbered across calls: the reverse order is the order of the names.
			applied = fmt::format("{}/{:03}-{}", marker_dir, applied_.size(),
					      fs::path(patch).filename().string());
			KLP_TRY(copy_file(patch, applied));
		}
		auto done = run_patch(dir, applied, false, false, log);
		if (!done) {
			// The dry run passed: the tree changed under us. Leave the marker.
			return make_error("{} failed to apply after a clean dry run: {}", patch,
					  done.error().message());
		}
		collect_notes(patch, *done, notes);
		applied_.push_back(applied);
	}
	return success();
}

Expected<void> AppliedPatches::revert()
{
	while (!applied_.empty()) {
		const std::string patch = applied_.back();
		auto r = run_patch(dir_, patch, true, false, log_);
		if (!r)
			return make_error("cannot revert {} in {} (the tree is left patched; the copy "
					  "in {} says what to undo): {}",
					  patch, dir_, marker_dir_.empty() ? "(none)" : marker_dir_,
					  r.error().message());
		applied_.pop_back();
		if (!marker_dir_.empty()) {
			std::error_code ec;
			fs::remove(patch, ec);
		}
	}
	if (!marker_dir_.empty()) {
		std::error_code ec;
		fs::remove(marker_dir_, ec); // only when empty
	}
	return success();
}

AppliedPatches::~AppliedPatches()
{
	if (applied_.empty())
		return;
	if (auto r = revert(); !r)
		fmt::print(stderr, "klp-build: error: {}\n", r.error().message());
}

Expected<size_t> revert_stale_patches(const std::string &dir, const std::string &marker_dir,
				      const std::string &log)
{
	std::error_code ec;
	if (!fs::is_directory(marker_dir, ec))
		return size_t(0);
	std::vector<std::string> stale;
	for (const auto &e : fs::directory_iterator(marker_dir, ec))
		if (e.is_regular_file())
			stale.push_back(e.path().string());
	std::sort(stale.begin(), stale.end());
	size_t count = 0;
	for (auto it = stale.rbegin(); it != stale.rend(); ++it) {
		if (auto dry = run_patch(dir, *it, true, true, log); !dry)
			return make_error("{} holds {} from an interrupted run, and it does not "
					  "revert cleanly: restore the tree by hand, then remove {}",
					  dir, *it, marker_dir);
		if (auto r = run_patch(dir, *it, true, false, log); !r)
			return r.take_error();
		fs::remove(*it, ec);
		count++;
	}
	fs::remove(marker_dir, ec);
	return count;
}

} // namespace klp::build
