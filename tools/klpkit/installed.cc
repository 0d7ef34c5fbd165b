// installed.h: the directory of installed livepatches, one per release.
#include "installed.h"

#include "elf/file_io.h"
#include "livepatches.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>

namespace fs = std::filesystem;

namespace klp::klpkit {
namespace {

// "007-livepatch_cmdline.ko" -> 7, "livepatch_cmdline"
bool parse_entry(const std::string &file, unsigned &order, std::string &name)
{
	static const std::regex entry(R"(^([0-9]{3,})-([A-Za-z0-9_]+)\.ko$)");
	std::smatch m;
	if (!std::regex_match(file, m, entry))
		return false;
	order = unsigned(std::stoul(m[1].str()));
	name = m[2].str();
	return true;
}

} // namespace

std::string installed_dir(const std::string &root, const std::string &release)
{
	return (fs::path(root) / "var/lib/klpkit" / release).string();
}

std::vector<Installed> installed_modules(const std::string &root, const std::string &release)
{
	std::vector<std::pair<unsigned, Installed>> found;
	std::error_code ec;
	for (const auto &e : fs::directory_iterator(installed_dir(root, release), ec)) {
		unsigned order = 0;
		std::string name;
		if (e.is_regular_file(ec) && parse_entry(e.path().filename().string(), order, name))
			found.push_back({order, Installed{name, e.path().string()}});
	}
	std::sort(found.begin(), found.end(), [](const auto &a, const auto &b) { return a.first < b.first; });
	std::vector<Installed> out;
	for (auto &[order, i] : found)
		out.push_back(std::move(i));
	return out;
}

Expected<std::string> install_module(const std::string &root, const std::string &ko, const std::string &release)
{
	auto info = read_module_info(ko);
	if (!info)
		return info.take_error();
	KLP_TRY(check_release(*info, release));
	std::string dir = installed_dir(root, release);
	std::error_code ec;
	fs::create_directories(dir, ec);
	if (ec)
		return make_error("{}: cannot create: {}", dir, ec.message());
	unsigned next = 1;
	std::string replaced;
	for (const auto &e : fs::directory_iterator(dir, ec)) {
		unsigned order = 0;
		std::string name;
		if (!parse_entry(e.path().filename().string(), order, name))
			continue;
		if (name == info->name)
			replaced = e.path().string(), next = order;
		else if (replaced.empty())
			next = std::max(next, order + 1);
	}
	std::string to = fmt::format("{}/{:03}-{}.ko", dir, next, info->name);
	std::ifstream in(ko, std::ios::binary);
	std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
	if (!in.good() && !in.eof())
		return make_error("{}: cannot read", ko);
	KLP_TRY(write_file_atomically(to, bytes));
	return to;
}

Expected<void> uninstall_module(const std::string &root, const std::string &name, const std::string &release)
{
	std::string wanted = name;
	std::replace(wanted.begin(), wanted.end(), '-', '_');
	for (const auto &i : installed_modules(root, release)) {
		if (i.name != wanted)
			continue;
		std::error_code ec;
		if (!fs::remove(i.path, ec) || ec)
			return make_error("{}: cannot remove: {}", i.path, ec ? ec.message() : "gone");
		return success();
	}
	return make_error("no livepatch {} is installed for {} (in {})", wanted, release,
			  installed_dir(root, release));
}

} // namespace klp::klpkit
