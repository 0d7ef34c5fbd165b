// Original-object cache: a key from what the build of one object depends on beyond
// its files, and a list of (file, content hash) for the files, checked on every hit.
// Entries are written into a temporary directory and renamed into place, and hold
// the hash of their own object and command file: an entry damaged on disk (cut
// short, overwritten) is removed and its object built again, never used.
#include "objcache.h"

#include "kbuild.h"
#include "make.h"

#include <fmt/format.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <sstream>

namespace fs = std::filesystem;

namespace klp::build {
namespace {

std::string entry_dir(const Options &opts, const KernelRun &run, const std::string &rel)
{
	Hasher h;
	h.add(rel);
	h.add_file_bytes(run.tree + "/.config");
	h.add(run.cc_version);
	h.add(shell_line(run.cc));
	h.add(run.release);
	h.add(klp_kcflags);
	if (const char *env = std::getenv("KCFLAGS"))
		h.add(env);
	return opts.cache_dir + "/objects/" + h.hex();
}

// "path\thash" lines for the source and every dependency of the record.
Expected<std::string> dependency_hashes(const KernelRun &run, const std::string &cmd)
{
	auto rec = read_cmd_file(cmd);
	if (!rec)
		return rec.take_error();
	std::vector<std::string> files = rec->deps;
	files.push_back(rec->source);
	std::sort(files.begin(), files.end());
	files.erase(std::unique(files.begin(), files.end()), files.end());
	std::string out;
	for (const auto &f : files) {
		if (f.empty())
			continue;
		std::string path = f.starts_with("/") ? f : run.tree + "/" + f;
		Hasher h;
		h.add_file_bytes(path);
		out += f + "\t" + h.hex() + "\n";
	}
	return out;
}

// "object.o\t<hash>\nobject.cmd\t<hash>\n": what the entry's own files must hash to.
std::string content_hashes(const std::string &dir)
{
	std::string out;
	for (const char *name : {"object.o", "object.cmd"}) {
		Hasher h;
		h.add_file_bytes(dir + "/" + name);
		out += fmt::format("{}\t{}\n", name, h.hex());
	}
	return out;
}

} // namespace

bool cache_fetch(const Options &opts, const KernelRun &run, const std::string &rel,
		 const std::string &object, const std::string &cmd)
{
	std::string dir = entry_dir(opts, run, rel);
	auto recorded = read_text(dir + "/deps");
	if (!recorded)
		return false;
	auto contents = read_text(dir + "/contents");
	if (!contents || *contents != content_hashes(dir)) {
		// Damaged (or from a klp-build that did not record its contents): rebuilt.
		std::error_code ec;
		fs::remove_all(dir, ec);
		return false;
	}
	auto now = dependency_hashes(run, dir + "/object.cmd");
	if (!now || *now != *recorded)
		return false;
	return copy_file(dir + "/object.o", object) && copy_file(dir + "/object.cmd", cmd);
}

Expected<void> cache_store(const Options &opts, const KernelRun &run, const std::string &rel,
			   const std::string &object, const std::string &cmd)
{
	std::string dir = entry_dir(opts, run, rel);
	std::string tmp = dir + ".tmp." + std::to_string(getpid());
	std::error_code ec;
	fs::remove_all(tmp, ec);
	fs::create_directories(tmp, ec);
	if (ec)
		return make_error("{}: cannot create: {}", tmp, ec.message());
	auto deps = dependency_hashes(run, cmd);
	if (!deps)
		return deps.take_error();
	KLP_TRY(copy_file(object, tmp + "/object.o"));
	KLP_TRY(copy_file(cmd, tmp + "/object.cmd"));
	KLP_TRY(write_text(tmp + "/deps", *deps));
	KLP_TRY(write_text(tmp + "/contents", content_hashes(tmp)));
	KLP_TRY(write_text(tmp + "/source", rel + "\n" + run.tree + "\n"));
	fs::remove_all(dir, ec);
	fs::rename(tmp, dir, ec);
	if (ec) {
		fs::remove_all(tmp, ec);
		return make_error("{}: cannot store: {}", dir, ec.message());
	}
	return success();
}

namespace {

std::string object_hash(const std::string &dir)
{
	Hasher h;
	h.add_file_bytes(dir + "/object.o");
	return h.hex() + "\n";
}

} // namespace

std::optional<bool> cache_replay_proof(const Options &opts, const KernelRun &run, const std::string &rel)
{
	std::string dir = entry_dir(opts, run, rel);
	auto proof = read_text(dir + "/replayed");
	if (!proof)
		return std::nullopt;
	if (*proof == "differs\n")
		return false;
	if (*proof == object_hash(dir))
		return true;
	return std::nullopt;
}

Expected<void> cache_store_replay_proof(const Options &opts, const KernelRun &run, const std::string &rel,
					bool proven)
{
	std::string dir = entry_dir(opts, run, rel);
	return write_text(dir + "/replayed", proven ? object_hash(dir) : std::string("differs\n"));
}

} // namespace klp::build
