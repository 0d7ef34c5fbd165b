// Helpers shared by the unit tests: a temporary directory that cleans up after
// itself, compiling a C snippet with kernel-like flags, and reading a file's bytes.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace klp::test {

class TempDir {
public:
	TempDir()
	{
		std::string tmpl = (std::filesystem::temp_directory_path() / "klp-test-XXXXXX").string();
		path_ = mkdtemp(tmpl.data());
	}
	~TempDir() { std::filesystem::remove_all(path_); }
	std::string file(const std::string &name) const { return (path_ / name).string(); }
	const std::filesystem::path &path() const { return path_; }

private:
	std::filesystem::path path_;
};

inline const char *kernel_cflags =
	"-O2 -fno-pic -ffunction-sections -fdata-sections -pg -mfentry -mrecord-mcount "
	"-fno-asynchronous-unwind-tables -fno-common -mcmodel=kernel -mno-red-zone";

inline void write_file(const std::string &path, const std::string &text)
{
	std::ofstream(path, std::ios::binary) << text;
}

inline std::vector<uint8_t> read_bytes(const std::string &path)
{
	std::ifstream in(path, std::ios::binary);
	return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Compiles `source` into dir/name.o with the kernel's flags; fails the test on error.
inline std::string compile_c(const TempDir &dir, const std::string &name,
			     const std::string &source, const std::string &extra = "")
{
	std::string c = dir.file(name + ".c"), o = dir.file(name + ".o");
	write_file(c, source);
	std::string cmd = std::string(KLP_TEST_CC) + " " + kernel_cflags + " " + extra +
			  " -c " + c + " -o " + o + " 2>&1";
	EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
	return o;
}

} // namespace klp::test
