// livepatches.h: sysfs and /proc as the kernel's livepatch core and klpkit-core.ko
// write them.
#include "livepatches.h"

#include "elf/modinfo.h"
#include "elf/object.h"
#include "livepatch/funcs_table.h"
#include "livepatch/names.h"
#include "livepatch/tables.h"

#include <fmt/format.h>

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace fs = std::filesystem;

namespace klp::klpkit {
namespace {

std::optional<std::string> read_small(const fs::path &path)
{
	std::ifstream in(path);
	if (!in)
		return std::nullopt;
	std::stringstream ss;
	ss << in.rdbuf();
	std::string s = ss.str();
	while (!s.empty() && (s.back() == '\n' || s.back() == ' '))
		s.pop_back();
	return s;
}

std::optional<bool> read_flag(const fs::path &path)
{
	auto v = read_small(path);
	if (!v || (*v != "0" && *v != "1"))
		return std::nullopt;
	return *v == "1";
}

std::vector<fs::path> subdirectories(const fs::path &dir)
{
	std::vector<fs::path> out;
	std::error_code ec;
	for (const auto &e : fs::directory_iterator(dir, ec))
		if (e.is_directory(ec) && !e.is_symlink(ec))
			out.push_back(e.path());
	std::sort(out.begin(), out.end());
	return out;
}

Livepatch read_one(const std::string &core, const fs::path &dir)
{
	Livepatch p;
	p.name = dir.filename().string();
	p.core = core;
	p.dir = dir.string();
	p.enabled = read_flag(dir / "enabled").value_or(false);
	p.transition = read_flag(dir / "transition").value_or(false);
	p.replace = read_flag(dir / "replace");
	for (const auto &o : subdirectories(dir)) {
		PatchedObject obj;
		obj.name = o.filename().string();
		obj.patched = read_flag(o / "patched");
		for (const auto &f : subdirectories(o)) {
			// "cmdline_proc_show,1"
			std::string n = f.filename().string();
			auto comma = n.rfind(',');
			PatchedFunction fn;
			fn.name = n.substr(0, comma);
			if (comma != std::string::npos)
				fn.sympos = std::strtoul(n.c_str() + comma + 1, nullptr, 10);
			obj.functions.push_back(fn);
		}
		p.objects.push_back(std::move(obj));
	}
	return p;
}

// "cmdline_proc_show,1 version_proc_show,1": functions as sysfs names them.
std::string function_list(const std::vector<PatchedFunction> &functions)
{
	std::string out;
	for (const auto &f : functions)
		out += fmt::format("{}{},{}", out.empty() ? "" : " ", f.name, f.sympos);
	return out;
}

} // namespace

std::vector<std::pair<std::string, std::string>> core_dirs(const Roots &roots)
{
	std::vector<std::pair<std::string, std::string>> out;
	std::error_code ec;
	for (auto [core, rel] : {std::pair{"kernel", "kernel/livepatch"}, {"bundled", "kernel/klpkit"}}) {
		fs::path dir = fs::path(roots.sys) / rel;
		if (fs::is_directory(dir, ec))
			out.emplace_back(core, dir.string());
	}
	return out;
}

Expected<std::vector<Livepatch>> read_livepatches(const Roots &roots)
{
	std::vector<Livepatch> out;
	for (const auto &[core, dir] : core_dirs(roots))
		for (const auto &p : subdirectories(dir))
			out.push_back(read_one(core, p));
	return out;
}

Expected<std::optional<Livepatch>> find_livepatch(const Roots &roots, const std::string &name)
{
	auto all = read_livepatches(roots);
	if (!all)
		return all.take_error();
	for (auto &p : *all)
		if (p.name == livepatch::kernel_module_name(name))
			return std::optional<Livepatch>(std::move(p));
	return std::optional<Livepatch>();
}

std::string format_livepatches(const std::vector<Livepatch> &patches)
{
	if (patches.empty())
		return "no livepatch loaded\n";
	std::string out;
	for (const auto &p : patches) {
		out += fmt::format("{}: {}{}{} ({} core)\n", p.name, p.enabled ? "enabled" : "disabled",
				   p.transition ? ", in transition" : "",
				   !p.replace ? "" : *p.replace ? ", replaces the others" : ", stacked", p.core);
		for (const auto &o : p.objects) {
			std::string fns = function_list(o.functions);
			out += fmt::format("  {}{}{}\n", o.name,
					   !o.patched ? "" : *o.patched ? " (patched)" : " (not loaded)",
					   fns.empty() ? "" : ": " + fns);
		}
	}
	return out;
}

std::vector<Task> blocking_tasks(const Roots &roots, int target)
{
	std::vector<Task> out;
	std::error_code ec;
	for (const auto &e : fs::directory_iterator(roots.proc, ec)) {
		std::string pid = e.path().filename().string();
		if (pid.empty() || !std::all_of(pid.begin(), pid.end(), ::isdigit))
			continue;
		auto state = read_small(e.path() / "patch_state");
		// -1: no transition for this task (or it exited meanwhile).
		if (!state || *state == "-1" || *state == std::to_string(target))
			continue;
		Task t;
		t.pid = std::atoi(pid.c_str());
		t.comm = read_small(e.path() / "comm").value_or("?");
		if (auto stack = read_small(e.path() / "stack")) {
			std::istringstream in(*stack);
			std::string line;
			for (int i = 0; i < 4 && std::getline(in, line); i++)
				t.stack += (t.stack.empty() ? "" : " ") + line;
		}
		out.push_back(std::move(t));
	}
	std::sort(out.begin(), out.end(), [](const Task &a, const Task &b) { return a.pid < b.pid; });
	return out;
}

Expected<void> check_release(const ModuleInfo &info, const std::string &release, std::string_view running)
{
	std::string built_for = info.vermagic.substr(0, info.vermagic.find(' '));
	if (built_for != release)
		return make_error("{}: built for {} (vermagic '{}'), not for {}{}", info.path,
				  built_for.empty() ? "no kernel" : built_for, info.vermagic, running, release);
	return success();
}

Expected<std::string> insert_module(const std::string &ko, const std::string &release)
{
	auto info = read_module_info(ko);
	if (!info)
		return info.take_error();
	KLP_TRY(check_release(*info, release, "the running kernel "));
	int fd = open(ko.c_str(), O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return make_error("{}: cannot open: {}", ko, std::strerror(errno));
	long r = syscall(SYS_finit_module, fd, "", 0);
	int err = errno;
	close(fd);
	if (r != 0) {
		if (err == EEXIST)
			return make_error("{}: module {} is already loaded", ko, info->name);
		return make_error("{}: the kernel refused to load module {}: {} (its log says why: dmesg)", ko,
				  info->name, std::strerror(err));
	}
	return info->name;
}

bool wait_transition(const std::string &dir, double seconds)
{
	auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
	for (;;) {
		auto t = read_flag(fs::path(dir) / "transition");
		if (!t || !*t)
			return true; // done, or the directory is gone (a disabled patch)
		if (std::chrono::steady_clock::now() >= end)
			return false;
		std::this_thread::sleep_for(std::chrono::milliseconds(50));
	}
}

bool wait_gone(const std::string &dir, double seconds)
{
	auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
	std::error_code ec;
	while (fs::exists(dir, ec)) {
		if (std::chrono::steady_clock::now() >= end)
			return false;
		std::this_thread::sleep_for(std::chrono::milliseconds(50));
	}
	return true;
}

Expected<void> write_attribute(const std::string &dir, const std::string &attribute, const std::string &value)
{
	std::string path = dir + "/" + attribute;
	int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return make_error("{}: cannot open: {}", path, std::strerror(errno));
	ssize_t n = write(fd, value.data(), value.size());
	int err = errno;
	close(fd);
	if (n != ssize_t(value.size()))
		return make_error("{}: writing {}: {}", path, value, std::strerror(n < 0 ? err : EIO));
	return success();
}

Expected<void> remove_module(const std::string &name, double seconds)
{
	auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
	for (;;) {
		if (syscall(SYS_delete_module, name.c_str(), O_NONBLOCK) == 0)
			return success();
		int err = errno;
		// The core drops its reference after the transition's last work item.
		if ((err != EAGAIN && err != EBUSY && err != EWOULDBLOCK) || std::chrono::steady_clock::now() >= end)
			return make_error("module {}: cannot unload: {}", name, std::strerror(err));
		std::this_thread::sleep_for(std::chrono::milliseconds(100));
	}
}

Expected<ModuleInfo> read_module_info(const std::string &ko)
{
	auto modinfo = elf::elf_modinfo(ko);
	if (!modinfo)
		return modinfo.take_error();
	auto value = [&](const char *key) { return modinfo->count(key) ? (*modinfo)[key] : std::string(); };
	ModuleInfo info;
	info.path = ko;
	info.name = livepatch::kernel_module_name(value("name"));
	info.vermagic = value("vermagic");
	if (info.name.empty())
		return make_error("{}: no name in .modinfo (not a kernel module?)", ko);
	if (value("livepatch") == "Y")
		info.core = "kernel";
	else if (livepatch::depends_on_klpkit_core(value("depends")))
		info.core = "bundled";
	else
		return make_error("{}: module {} is not a livepatch (no MODULE_INFO(livepatch), no "
				  "dependency on klpkit-core)",
				  ko, info.name);
	auto obj = elf::Object::read(ko);
	if (!obj)
		return obj.take_error();
	info.machine = (*obj)->machine;
	auto funcs = (*obj)->find_section(livepatch::funcs_section);
	if (funcs && funcs->size() % livepatch::KlpkitFunc::size)
		return make_error("{}: section {}: size {} is not a whole number of {}-byte entries", ko,
				  funcs->name, funcs->size(), livepatch::KlpkitFunc::size);
	auto entries = livepatch::read_funcs_table(**obj);
	info.has_table = entries.has_value();
	for (size_t i = 0; entries && i < entries->size(); i++) {
		const auto &e = (*entries)[i];
		if (!e.old_name || !e.objname)
			return make_error("{}: {} entry {}: its old_name or objname is not a string of the module",
					  ko, livepatch::funcs_section, i);
		auto it = std::find_if(info.objects.begin(), info.objects.end(),
				       [&](const PatchedObject &o) { return o.name == *e.objname; });
		if (it == info.objects.end())
			it = info.objects.insert(info.objects.end(), PatchedObject{*e.objname, {}, {}});
		// As sysfs names it: sympos 0 (a unique name) is ",1" there.
		it->functions.push_back({*e.old_name, e.sympos ? e.sympos : 1});
	}
	return info;
}

std::string format_module_info(const ModuleInfo &info, const std::optional<Livepatch> &loaded)
{
	std::string out = fmt::format("{}: livepatch {}\n  for {}\n  needs {}\n", info.path, info.name,
				      info.vermagic.empty() ? "(no vermagic)" : info.vermagic,
				      info.core == "kernel" ? "the kernel's livepatch core (CONFIG_LIVEPATCH)"
							    : "klpkit-core.ko (loaded first)");
	if (!info.has_table)
		out += "  functions: not listed (no .klpkit.funcs: not built by klp-build)\n";
	for (const auto &o : info.objects)
		out += fmt::format("  {}: {}\n", o.name, function_list(o.functions));
	if (!loaded)
		out += "  not loaded\n";
	else
		out += fmt::format("  loaded: {}{}\n", loaded->enabled ? "enabled" : "disabled",
				   loaded->transition ? ", in transition" : "");
	return out;
}

} // namespace klp::klpkit
