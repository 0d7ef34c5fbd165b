// Readers for kbuild's records (.cmd files, .config, version files), compiler
// identities and small file helpers. Nothing here runs a program or changes a tree
// except write_text/copy_file, which write through a temporary file and a rename.
#include "kbuild.h"

#include "elf/file_io.h"

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <set>
#include <sstream>

namespace fs = std::filesystem;

namespace klp::build {

Expected<std::string> read_text(const std::string &path)
{
	std::ifstream in(path, std::ios::binary);
	if (!in)
		return make_error("{}: cannot read: {}", path, strerror(errno));
	std::ostringstream s;
	s << in.rdbuf();
	return s.str();
}

Expected<void> write_text(const std::string &path, std::string_view text)
{
	return write_file_atomically(path, text);
}

Expected<void> copy_file(const std::string &from, const std::string &to)
{
	std::error_code ec;
	fs::create_directories(fs::path(to).parent_path(), ec);
	std::string tmp = to + ".tmp." + std::to_string(getpid());
	fs::copy_file(from, tmp, fs::copy_options::overwrite_existing, ec);
	if (ec) {
		std::error_code ignored;
		fs::remove(tmp, ignored); // a copy cut short by a full disk
		return make_error("cannot copy {} to {}: {}", from, to, ec.message());
	}
	fs::rename(tmp, to, ec);
	if (ec) {
		fs::remove(tmp, ec);
		return make_error("cannot rename {} into place: {}", to, ec.message());
	}
	return success();
}

bool same_bytes(const std::string &a, const std::string &b)
{
	std::error_code ec;
	if (fs::file_size(a, ec) != fs::file_size(b, ec) || ec)
		return false;
	std::ifstream fa(a, std::ios::binary), fb(b, std::ios::binary);
	char ba[65536], bb[65536];
	while (fa && fb) {
		fa.read(ba, sizeof(ba));
		fb.read(bb, sizeof(bb));
		if (fa.gcount() != fb.gcount() || std::memcmp(ba, bb, size_t(fa.gcount())) != 0)
			return false;
	}
	return fa.eof() && fb.eof();
}

std::string cmd_file_of(const std::string &object)
{
	fs::path p(object);
	return (p.parent_path() / ("." + p.filename().string() + ".cmd")).string();
}

namespace {

// The value of a "<prefix><target> := <value>" record line, without the blanks
// around it; nothing if the line is another record.
std::optional<std::string> record_value(const std::string &line, std::string_view prefix)
{
	if (!line.starts_with(prefix))
		return std::nullopt;
	auto pos = line.find(" :=");
	if (pos == std::string::npos)
		return std::nullopt;
	auto b = line.find_first_not_of(" \t", pos + 3);
	auto e = line.find_last_not_of(" \t");
	return b == std::string::npos ? std::string() : line.substr(b, e - b + 1);
}

} // namespace

Expected<CmdRecord> read_cmd_file(const std::string &path)
{
	auto text = read_text(path);
	if (!text)
		return text.take_error();
	CmdRecord rec;
	std::string saved_command;
	std::istringstream in(*text);
	std::string line;
	bool in_deps = false;
	while (std::getline(in, line)) {
		if (in_deps) {
			// "  include/linux/kconfig.h \" or "    $(wildcard include/config/X) \"
			std::string entry = line;
			bool more = !entry.empty() && entry.back() == '\\';
			if (more)
				entry.pop_back();
			auto b = entry.find_first_not_of(" \t");
			auto e = entry.find_last_not_of(" \t");
			if (b != std::string::npos) {
				entry = entry.substr(b, e - b + 1);
				if (!entry.starts_with("$("))
					rec.deps.push_back(entry);
			}
			in_deps = more;
			continue;
		}
		// Linux 6.2 renamed kbuild's record of the command from cmd_<target> to
		// savedcmd_<target> ("savedcmd_fs/proc/cmdline.o := gcc-12 ..."); source_
		// and deps_ kept their names. A file with both (hand-made, or a kbuild in
		// between) is read as 6.2+ kbuild would: savedcmd_.
		if (auto v = record_value(line, "savedcmd_")) {
			saved_command = *v;
		} else if (auto v = record_value(line, "cmd_")) {
			rec.command = *v;
		} else if (auto v = record_value(line, "source_")) {
			rec.source = *v;
		} else if (line.starts_with("deps_")) {
			in_deps = !line.empty() && line.back() == '\\';
		}
	}
	if (!saved_command.empty())
		rec.command = saved_command;
	if (rec.command.empty())
		return make_error("{}: no savedcmd_ or cmd_ line (not a kbuild .cmd file?)", path);
	return rec;
}

std::string module_of_command(const std::string &command)
{
	// -DMODULE as a whole word: not -DMODULE_FOO.
	static const std::regex module_flag(R"((^|\s)-DMODULE(\s|$))");
	if (!std::regex_search(command, module_flag))
		return "";
	// -DKBUILD_MODNAME='"hello-oot"' (the quotes are kbuild's shell quoting)
	static const std::regex modname(R"(-DKBUILD_MODNAME='?"?([A-Za-z0-9_-]+))");
	std::smatch m;
	if (!std::regex_search(command, m, modname))
		return "";
	std::string name = m[1];
	for (char &c : name)
		if (c == '-')
			c = '_';
	return name;
}

Expected<std::map<std::string, std::string>> read_config(const std::string &path)
{
	auto text = read_text(path);
	if (!text)
		return text.take_error();
	std::map<std::string, std::string> config;
	std::istringstream in(*text);
	std::string line;
	while (std::getline(in, line)) {
		if (!line.starts_with("CONFIG_"))
			continue;
		auto eq = line.find('=');
		if (eq == std::string::npos)
			continue;
		config[line.substr(0, eq)] = line.substr(eq + 1);
	}
	return config;
}

std::string config_string(const std::map<std::string, std::string> &config, const std::string &key)
{
	auto it = config.find(key);
	if (it == config.end())
		return "";
	std::string v = it->second;
	if (v.size() >= 2 && v.front() == '"' && v.back() == '"')
		v = v.substr(1, v.size() - 2);
	std::string out;
	for (size_t i = 0; i < v.size(); i++) {
		if (v[i] == '\\' && i + 1 < v.size())
			i++;
		out += v[i];
	}
	return out;
}

Expected<std::string> makefile_version(const std::string &dir)
{
	auto text = read_text(dir + "/Makefile");
	if (!text)
		return text.take_error();
	std::map<std::string, std::string> vars;
	std::istringstream in(*text);
	std::string line, include;
	while (std::getline(in, line)) {
		static const std::regex var(R"(^(VERSION|PATCHLEVEL|SUBLEVEL|EXTRAVERSION)\s*=\s*(\S*)\s*$)");
		std::smatch m;
		if (std::regex_match(line, m, var))
			vars[m[1]] = m[2];
		else if (include.empty() && line.starts_with("include /"))
			include = line.substr(8);
	}
	if (!vars.count("VERSION") && !include.empty())
		return makefile_version(fs::path(include).parent_path().string());
	if (!vars.count("VERSION") || !vars.count("PATCHLEVEL"))
		return make_error("{}/Makefile: no VERSION/PATCHLEVEL (not a kernel tree?)", dir);
	std::string v = vars["VERSION"] + "." + vars["PATCHLEVEL"];
	if (!vars["SUBLEVEL"].empty())
		v += "." + vars["SUBLEVEL"];
	return v + vars["EXTRAVERSION"];
}

std::string uts_release(const std::string &dir)
{
	auto text = read_text(dir + "/include/generated/utsrelease.h");
	if (!text)
		return "";
	static const std::regex re(R"re(#define UTS_RELEASE "([^"]+)")re");
	std::smatch m;
	if (std::regex_search(*text, m, re))
		return m[1];
	return "";
}

std::string config_value(const std::map<std::string, std::string> &config, const std::string &key)
{
	auto it = config.find(key);
	return it == config.end() ? "n" : it->second;
}

std::vector<std::string> config_drift(const std::map<std::string, std::string> &a,
				      const std::map<std::string, std::string> &b)
{
	auto names_the_build = [](const std::string &k) {
		return k.ends_with("_VERSION_TEXT") || k.ends_with("_VERSION") || k == "CONFIG_BUILD_SALT" ||
		       k.starts_with("CONFIG_RUSTC_") || k.starts_with("CONFIG_MODULE_SIG_") ||
		       k == "CONFIG_SYSTEM_TRUSTED_KEYS" || k == "CONFIG_SYSTEM_REVOCATION_KEYS";
	};
	std::set<std::string> keys;
	for (const auto &[k, v] : a)
		keys.insert(k);
	for (const auto &[k, v] : b)
		keys.insert(k);
	std::vector<std::string> drift;
	for (const auto &k : keys)
		if (!names_the_build(k) && config_value(a, k) != config_value(b, k))
			drift.push_back(k);
	return drift;
}

bool names_option(std::string_view text, const std::string &option)
{
	auto is_word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
	for (size_t at = text.find(option); at != std::string_view::npos; at = text.find(option, at + 1)) {
		bool before = at > 0 && is_word(text[at - 1]);
		bool after = at + option.size() < text.size() && is_word(text[at + option.size()]);
		if (!before && !after)
			return true;
	}
	return false;
}

std::string compiler_identity(std::string_view text)
{
	std::string s(text);
	while (!s.empty() && (s.back() == '\n' || s.back() == ' '))
		s.pop_back();
	if (s.starts_with("GCC: "))
		return s.substr(5);
	// "gcc-12 (Debian 12.2.0-14) 12.2.0": the program name goes, the rest identifies
	// the build. "Debian clang version 14.0.6" has no program name to drop.
	auto sp = s.find(" (");
	if (sp != std::string::npos && s.find(' ') == sp && s.find("clang") == std::string::npos)
		return s.substr(sp + 1);
	return s;
}

Expected<std::vector<std::string>> elf_compilers(const std::string &path)
{
	auto bytes = elf_section(path, ".comment");
	if (!bytes)
		return bytes.take_error();
	std::vector<std::string> found;
	for (const auto &s : klp::elf::nul_strings(*bytes))
		if (s.starts_with("GCC:") || s.find("clang version") != std::string::npos)
			if (std::find(found.begin(), found.end(), s) == found.end())
				found.push_back(s);
	return found;
}

void Hasher::add(std::string_view bytes)
{
	for (unsigned char c : bytes) {
		h_ ^= c;
		h_ *= 0x100000001b3ull;
	}
	// A separator, so that ("ab","c") and ("a","bc") differ.
	h_ ^= 0xff;
	h_ *= 0x100000001b3ull;
}

void Hasher::add_file_bytes(const std::string &path)
{
	auto text = read_text(path);
	add(text ? *text : std::string("\0missing", 8));
}

std::string Hasher::hex() const { return fmt::format("{:016x}", h_); }

std::string sanitize_module_name(std::string_view name)
{
	std::string out;
	for (char c : name) {
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			  c == '_' || c == '-';
		out += ok ? c : '_';
	}
	if (out.size() > 55)
		out.resize(55);
	return out;
}

std::string flat_name(std::string_view rel)
{
	std::string s(rel);
	if (s.ends_with(".o"))
		s.resize(s.size() - 2);
	for (char &c : s)
		if (c == '/' || c == '.')
			c = '-';
	return s;
}

} // namespace klp::build
