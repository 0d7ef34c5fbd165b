// A temporary directory for klp-build's tests, removed with everything in it.
#pragma once

#include "kbuild.h"
#include "klp_build.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace klp::build::test {

class TempDir {
public:
	TempDir()
	{
		namespace fs = std::filesystem;
		std::string pattern = (fs::temp_directory_path() / "klp-build-test.XXXXXX").string();
		path_ = mkdtemp(pattern.data());
	}
	~TempDir()
	{
		std::error_code ec;
		std::filesystem::remove_all(path_, ec);
	}
	TempDir(const TempDir &) = delete;
	TempDir &operator=(const TempDir &) = delete;
	const std::string &path() const { return path_; }
	std::string write(const std::string &rel, const std::string &text) const
	{
		std::filesystem::path p = std::filesystem::path(path_) / rel;
		std::filesystem::create_directories(p.parent_path());
		std::ofstream(p) << text;
		return p.string();
	}
	std::string read(const std::string &rel) const
	{
		auto t = read_text(path_ + "/" + rel);
		return t ? *t : "<missing>";
	}

private:
	std::string path_;
};

// A run for the original-object cache's tests: a tree under `t` with a .config and
// fs/proc/cmdline.c, Debian 6.1's release and gcc-12.
inline KernelRun cache_test_run(const TempDir &t)
{
	KernelRun run;
	run.tree = t.path() + "/tree";
	run.release = "6.1.0-56-amd64";
	run.cc = {"gcc-12"};
	run.cc_version = "gcc-12 (Debian 12.2.0-14) 12.2.0";
	t.write("tree/.config", "CONFIG_LIVEPATCH=y\n");
	t.write("tree/fs/proc/cmdline.c", "int a;\n");
	return run;
}

} // namespace klp::build::test
