// A temporary directory for klp-build's tests, removed with everything in it.
#pragma once

#include "kbuild.h"

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

} // namespace klp::build::test
