// The parent of each changed object, from kbuild's own record of its compile line:
// -DMODULE means a module, named by -DKBUILD_MODNAME ('-' as '_'); without it the
// object is part of vmlinux. Then where the parent's symbols are: the target's
// vmlinux symbols, the deployed module (out-of-tree mode, --modules, or a full
// build's own .ko), or module lines of a kallsyms dump. The same for every other
// module the diff objects' livepatch relocations name (a vfat patch calling fat).
#include "klp_build.h"

#include "kbuild.h"
#include "make.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <vector>

namespace fs = std::filesystem;

namespace klp::build {
namespace {

std::string normalized_stem(const fs::path &p)
{
	std::string name = p.filename().string();
	name = name.substr(0, name.find(".ko"));
	for (char &c : name)
		if (c == '-')
			c = '_';
	return name;
}

// create-diff-object reads ELF: a compressed module is unpacked into the work dir.
Expected<std::string> uncompressed(const KernelRun &run, const std::string &path, const std::string &module)
{
	const char *tool = nullptr;
	for (auto [ext, prog] : {std::pair{".xz", "xz"}, {".zst", "zstd"}, {".gz", "gzip"}})
		if (path.ends_with(ext))
			tool = prog;
	if (!tool)
		return path;
	std::string out = run.work + "/parents/" + module + ".ko";
	std::error_code ec;
	fs::create_directories(run.work + "/parents", ec);
	Command cmd;
	cmd.argv = {"sh", "-c", fmt::format("{} -dc {} > {}", tool, shell_line({path}), shell_line({out}))};
	if (klp::run(cmd) != 0)
		return make_error("cannot decompress {} with {}", path, tool);
	return out;
}

bool kallsyms_has_module(const std::string &path, const std::string &module)
{
	std::ifstream in(path);
	std::string line, tag = "[" + module + "]";
	while (std::getline(in, line))
		if (line.ends_with(tag))
			return true;
	return false;
}

Expected<std::string> module_symbols(const Options &opts, KernelRun &run, const std::string &module,
				     std::string &how)
{
	if (auto it = run.oot_modules.find(module); it != run.oot_modules.end()) {
		how = "--oot-module " + it->second;
		return it->second;
	}
	if (!run.spec.modules_dir.empty()) {
		std::string f = find_module_file(run.spec.modules_dir, module);
		if (!f.empty()) {
			how = f;
			return uncompressed(run, f, module);
		}
	}
	if (run.mode == Mode::tree && has_build_records(run.tree)) {
		std::string f = find_module_file(run.tree, module);
		if (!f.empty()) {
			how = f + " (the tree's build)";
			return f;
		}
	}
	if (run.symbols_option == "--kallsyms" && kallsyms_has_module(run.symbols, module)) {
		how = run.symbols + " [" + module + "]";
		return run.symbols;
	}
	return make_error("no symbols for module {}: pass --modules /lib/modules/{} (or a kallsyms "
			  "dump taken with it loaded)",
			  module, run.release);
}

} // namespace

// NAME.ko, NAME.ko.xz, ... under `dir`. Of two copies, the one modprobe loads: under
// updates/ (depmod's default search order), else the first by path, so that the
// choice never follows the order a filesystem lists a directory in.
std::string find_module_file(const std::string &dir, const std::string &module)
{
	std::error_code ec;
	std::vector<std::string> found;
	for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied, ec);
	     it != fs::recursive_directory_iterator(); it.increment(ec)) {
		if (ec)
			break;
		std::string name = it->path().filename().string();
		if (it->is_directory(ec)) {
			if (name == ".git" || name == ".klp-build" || name == "source" || name == "build")
				it.disable_recursion_pending();
			continue;
		}
		if (name.find(".ko") == std::string::npos)
			continue;
		for (const char *ext : {".ko", ".ko.xz", ".ko.zst", ".ko.gz"})
			if (name.ends_with(ext) && normalized_stem(it->path()) == module)
				found.push_back(it->path().string());
	}
	if (found.empty())
		return "";
	std::string updates = (fs::path(dir) / "updates/").string();
	std::sort(found.begin(), found.end(), [&](const std::string &a, const std::string &b) {
		bool ua = a.starts_with(updates), ub = b.starts_with(updates);
		return ua != ub ? ua : a < b;
	});
	return found.front();
}

Status find_parents(const Options &opts, KernelRun &run)
{
	for (auto &pair : run.objects) {
		if (!pair.changed)
			continue;
		if (pair.parent.empty()) {
			auto rec = read_cmd_file(pair.cmd_file);
			if (!rec)
				return fail(rec.error());
			std::string module = module_of_command(rec->command);
			pair.parent = module.empty() ? "vmlinux" : module;
			// binfmt_misc.o is module binfmt_misc; namei_vfat.o is a part of vfat.
			pair.single_object_module =
				!module.empty() && module == normalized_stem(fs::path(pair.rel).stem());
			pair.parent_reason = module.empty()
						     ? "no -DMODULE in its kbuild record: built into vmlinux"
						     : fmt::format("-DMODULE -DKBUILD_MODNAME={} in its kbuild record",
								   module);
		}
		if (pair.parent == "vmlinux") {
			if (run.symbols.empty())
				return fail("missing-input", fmt::format("{} is part of vmlinux: pass the target's "
									 "--vmlinux, --kallsyms or --system-map",
									 pair.rel));
			pair.parent_symtab = run.symbols;
			decide(opts, run, fmt::format("{}: parent vmlinux ({}); symbols {}", pair.rel,
						      pair.parent_reason, run.symbols));
			continue;
		}
		std::string how;
		auto symtab = module_symbols(opts, run, pair.parent, how);
		if (!symtab)
			return fail("missing-input", fmt::format("{} belongs to module {}: {}", pair.rel, pair.parent,
								 symtab.error().message()));
		pair.parent_symtab = *symtab;
		decide(opts, run, fmt::format("{}: parent {} ({}); symbols {}", pair.rel, pair.parent,
					      pair.parent_reason, how));
	}
	return std::nullopt;
}

Status find_used_modules(const Options &opts, KernelRun &run)
{
	run.used_modules.clear();
	std::set<std::string> parents;
	for (const auto &pair : run.objects)
		if (!pair.diff.empty())
			parents.insert(pair.parent);
	for (const auto &pair : run.objects) {
		if (pair.diff.empty())
			continue;
		auto text = read_text(pair.report);
		if (!text)
			return fail(text.error());
		auto report = nlohmann::json::parse(*text, nullptr, false);
		if (!report.is_object())
			return fail("diff-failed", fmt::format("{}: not a create-diff-object report", pair.report));
		for (const auto &k : report.value("klp_relocations", nlohmann::json::array())) {
			std::string module = k.value("objname", "");
			if (module.empty() || module == "vmlinux" || parents.count(module) ||
			    run.used_modules.count(module))
				continue;
			std::string how;
			auto symtab = module_symbols(opts, run, module, how);
			if (!symtab)
				return fail("missing-input",
					    fmt::format("{} (module {}) uses module {}'s symbol {}: {}", pair.rel,
							pair.parent, module, k.value("symbol", "?"),
							symtab.error().message()));
			run.used_modules[module] = *symtab;
			decide(opts, run, fmt::format("{}: uses module {} ({}); symbols {}", pair.rel, module,
						      k.value("symbol", "?"), how));
		}
	}
	return std::nullopt;
}

} // namespace klp::build
