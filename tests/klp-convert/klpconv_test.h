// Helpers of the klp-convert tests: running the command and capturing its output,
// the fixtures the build made, yaml2obj, and reading results through lib/elf.
#pragma once

#include "elf/object.h"
#include "test_util.h"

#include <sys/wait.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace klp::test {

struct RunResult {
	int status = -1; // exit status
	std::string out;
	std::string err;
	// stderr without its final newline, and whether it is exactly one line.
	std::string err_line() const
	{
		return err.ends_with('\n') ? err.substr(0, err.size() - 1) : err;
	}
	bool one_line_error() const
	{
		return err.starts_with("klp-convert: error: ") && err.ends_with('\n') &&
		       err.find('\n') == err.size() - 1;
	}
};

inline std::string shell_quote(const std::string &s)
{
	std::string q = "'";
	for (char c : s)
		q += c == '\'' ? std::string("'\\''") : std::string(1, c);
	return q + "'";
}

inline std::string read_text(const std::string &path)
{
	auto bytes = read_bytes(path);
	return std::string(bytes.begin(), bytes.end());
}

// Runs a program with `args`; stdout and stderr land in `dir`.
inline RunResult run_program(const TempDir &dir, const std::string &program,
			     const std::vector<std::string> &args)
{
	std::string cmd = shell_quote(program);
	for (const auto &a : args)
		cmd += " " + shell_quote(a);
	std::string out = dir.file(".stdout"), err = dir.file(".stderr");
	cmd += " >" + shell_quote(out) + " 2>" + shell_quote(err);
	int raw = std::system(cmd.c_str());
	RunResult r;
	r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
	r.out = read_text(out);
	r.err = read_text(err);
	std::filesystem::remove(out);
	std::filesystem::remove(err);
	return r;
}

inline RunResult klp_convert(const TempDir &dir, const std::vector<std::string> &args)
{
	return run_program(dir, KLPCONV_BIN, args);
}

inline std::string fixture(const std::string &name)
{
	return std::string(KLPCONV_FIXTURES) + "/" + name;
}

inline std::string source_fixture(const std::string &name)
{
	return std::string(KLPCONV_SOURCES) + "/" + name;
}

// yaml2obj-14 `yaml` into dir/name; fails the test if it does not assemble.
inline std::string yaml_object(const TempDir &dir, const std::string &name, const std::string &yaml)
{
	std::string in = dir.file(name + ".yaml"), out = dir.file(name);
	write_file(in, yaml);
	RunResult r = run_program(dir, KLPCONV_YAML2OBJ, {in, "-o", out});
	EXPECT_EQ(r.status, 0) << r.err;
	return out;
}

inline std::unique_ptr<elf::Object> read_object(const std::string &path)
{
	auto obj = elf::Object::read(path);
	EXPECT_TRUE(obj) << (obj ? "" : obj.error().message());
	return obj ? std::move(*obj) : nullptr;
}

// The files in `dir` (temporary leftovers would show up here).
inline std::vector<std::string> dir_entries(const TempDir &dir)
{
	std::vector<std::string> names;
	for (const auto &e : std::filesystem::directory_iterator(dir.path()))
		names.push_back(e.path().filename().string());
	std::sort(names.begin(), names.end());
	return names;
}

inline std::string replace_all(std::string text, const std::string &from, const std::string &to)
{
	for (size_t pos = 0; (pos = text.find(from, pos)) != std::string::npos; pos += to.size())
		text.replace(pos, from.size(), to);
	return text;
}

} // namespace klp::test
