// The module: kmod-template and the diff objects linked by the target's own kbuild
// (its headers and Module.symvers), klp-convert turning the placeholders into
// livepatch relocations, then the verifier (klp-convert --check) against the
// target's symbols. Only a verified module reaches the output directory. For the
// bundled core the module is linked against klpkit-core.ko (core.cc builds it),
// which goes to the output directory beside it.
#include "klp_build.h"

#include "kbuild.h"
#include "make.h"

#include "elf/modinfo.h"
#include "livepatch/kernel_release.h"
#include "livepatch/names.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

namespace fs = std::filesystem;

namespace klp::build {
namespace {

using ModInfo = std::map<std::string, std::string>;

std::string modinfo_value(const ModInfo &info, const std::string &key)
{
	auto it = info.find(key);
	return it == info.end() ? "" : it->second;
}

Status check_vermagic(const KernelRun &run, const std::string &ko, const ModInfo &info)
{
	std::string vermagic = modinfo_value(info, "vermagic");
	if (vermagic.substr(0, vermagic.find(' ')) != run.release)
		return fail("verify-failed",
			    fmt::format("{}: vermagic '{}' is not for {}", ko, vermagic, run.release));
	return std::nullopt;
}

// What the loader reads: the kernel's core takes only a module marked livepatch, and
// a kernel without CONFIG_LIVEPATCH refuses one so marked ("livepatch support is
// disabled"): a module for klpkit-core.ko has no mark and depends on the core.
Status check_modinfo(const KernelRun &run, const std::string &ko, const ModInfo &info)
{
	bool marked = modinfo_value(info, "livepatch") == "Y";
	if (run.core.kind == CoreKind::kernel && !marked)
		return fail("verify-failed", fmt::format("{}: no MODULE_INFO(livepatch, \"Y\")", ko));
	if (run.core.kind == CoreKind::bundled) {
		if (info.count("livepatch"))
			return fail("verify-failed", fmt::format("{}: MODULE_INFO(livepatch) in a module for "
								 "klpkit-core.ko",
								 ko));
		if (!livepatch::depends_on_klpkit_core(modinfo_value(info, "depends")))
			return fail("verify-failed", fmt::format("{}: does not depend on klpkit-core (depends '{}')",
								 ko, modinfo_value(info, "depends")));
	}
	return check_vermagic(run, ko, info);
}

// The target's Module.symvers and klpkit-core.ko's in one file, the exports modpost
// saw (KBUILD_EXTRA_SYMBOLS), for the verifier's one --symvers.
Expected<std::string> symvers_with_core(const KernelRun &run)
{
	auto kernel = read_text(run.symvers);
	if (!kernel)
		return kernel.take_error();
	auto core = read_text(run.core_build + "/Module.symvers");
	if (!core)
		return core.take_error();
	if (!kernel->empty() && kernel->back() != '\n')
		*kernel += '\n';
	std::string path = run.work + "/klpkit-core/Module.symvers";
	KLP_TRY(write_text(path, *kernel + *core));
	return path;
}

// A module the patch changes, removed while the patch is enabled, cannot be loaded
// again on kernels before 6.3 when the patch carries livepatch relocations for it
// (livepatch/kernel_release.h): said before anyone finds out on a fleet.
void warn_about_module_reload(const Options &opts, KernelRun &run, const std::string &ko)
{
	if (run.core.kind != CoreKind::kernel || !livepatch::module_reload_refused(run.release))
		return;
	auto names = klp::elf::elf_section_names(ko);
	if (!names)
		return;
	std::set<std::string> modules;
	for (const auto &n : *names)
		if (auto obj = livepatch::klp_rela_objname(n); obj && *obj != "vmlinux")
			modules.insert(*obj);
	for (const auto &m : modules)
		warn(opts, run, fmt::format("{} carries livepatch relocations for module {}: on {} (before 6.3) "
					    "the kernel refuses to load {} again after it is removed while "
					    "the patch is enabled; disable the patch before reloading it",
					    run.module_name, m, run.release, m));
}

} // namespace

Status link_module(const Options &opts, KernelRun &run)
{
	StageClock clock(opts, run, "module");
	std::string dir = run.work + "/module";
	std::error_code ec;
	// A scratch directory: the template's `make clean` would delete every *.o in it.
	fs::remove_all(dir, ec);
	fs::create_directories(dir, ec);
	for (const auto &e : fs::directory_iterator(opts.template_dir, ec)) {
		if (!e.is_regular_file() || e.path().filename() == "README.md")
			continue;
		fs::copy_file(e.path(), dir + "/" + e.path().filename().string(), ec);
		if (ec)
			return fail("link-failed", fmt::format("cannot copy {}: {}", e.path().string(), ec.message()));
	}
	std::string objs;
	size_t n = 0;
	for (const auto &pair : run.objects) {
		if (pair.diff.empty())
			continue;
		std::string name = fs::path(pair.diff).filename().string();
		if (auto c = copy_file(pair.diff, dir + "/" + name); !c)
			return fail(c.error());
		objs += (objs.empty() ? "" : " ") + name;
		n++;
	}
	std::vector<std::string> args = {"KLPKIT_NAME=" + run.module_name, "KLPKIT_OBJS=" + objs};
	if (!opts.replace)
		args.push_back("KLPKIT_REPLACE=0");
	// For klpkit-core.ko: its API instead of the kernel's, its exports from the
	// Module.symvers build_core_module() made (modpost adds depends=klpkit-core).
	if (run.core.kind == CoreKind::bundled) {
		args.push_back("KLPKIT_CORE=bundled");
		args.push_back("KBUILD_EXTRA_SYMBOLS=" + run.core_build + "/Module.symvers");
	}
	args.push_back("modules");
	Command link = module_make(opts, run, dir, args, "module");
	if (auto st = run_step(opts, link, "linking the module", "link-failed"))
		return st;
	std::string linked = dir + "/" + run.module_name + ".ko";
	if (!fs::exists(linked, ec))
		return fail("link-failed", fmt::format("kbuild did not produce {}", linked));

	// Placeholders -> .klp.rela.* sections and .klp.sym.* symbols.
	Command convert;
	convert.argv = {tool_path(opts, "klp-convert")};
	// The bundled core applies the relocations itself, from .klpkit.relocs.
	if (run.core.kind == CoreKind::bundled)
		convert.argv.insert(convert.argv.end(), {"--core", "bundled"});
	convert.argv.insert(convert.argv.end(), {linked, run.work + "/" + run.module_name + ".ko"});
	convert.log = log_path(run, "convert");
	convert.echo = opts.verbose;
	if (auto st = run_step(opts, convert, "klp-convert", "convert-failed"))
		return st;
	clock.done(fmt::format("{}.ko from {} diff object(s), converted{}", run.module_name, n,
			       run.core.kind == CoreKind::bundled ? " for klpkit-core.ko" : ""));
	return std::nullopt;
}

Status verify_module(const Options &opts, KernelRun &run)
{
	StageClock clock(opts, run, "verify");
	std::string ko = run.work + "/" + run.module_name + ".ko";
	auto info = elf_modinfo(ko);
	if (!info)
		return fail(info.error());
	if (auto st = check_modinfo(run, ko, *info))
		return st;
	// For the bundled core: klpkit-core.ko, loaded first, of the same kernel; the
	// exports the module finds are then the kernel's and the core's.
	std::string core_ko = run.core_build + "/klpkit-core.ko";
	std::string symvers = run.symvers;
	if (run.core.kind == CoreKind::bundled) {
		auto core_info = elf_modinfo(core_ko);
		if (!core_info)
			return fail(core_info.error());
		if (auto st = check_vermagic(run, core_ko, *core_info))
			return st;
		auto with_core = symvers_with_core(run);
		if (!with_core)
			return fail(with_core.error());
		symvers = *with_core;
	}

	Command check;
	check.argv = {tool_path(opts, "klp-convert"), "--check", ko, "--symvers", symvers};
	if (!run.symbols.empty()) {
		check.argv.push_back(run.symbols_option);
		check.argv.push_back(run.symbols);
	}
	// Every module the livepatch symbols name: the parents and the modules they use.
	std::map<std::string, std::string> modules = run.used_modules;
	for (const auto &pair : run.objects)
		if (!pair.diff.empty() && pair.parent != "vmlinux")
			modules.emplace(pair.parent, pair.parent_symtab);
	for (const auto &[module, symtab] : modules) {
		// A kallsyms dump given as the target's symbols has its loaded modules.
		if (symtab == run.symbols)
			continue;
		check.argv.push_back("--module");
		check.argv.push_back(module + "=" + symtab);
	}
	check.log = log_path(run, "verify");
	check.echo = opts.verbose;
	if (auto st = run_step(opts, check, "the verifier (klp-convert --check)", "verify-failed"))
		return st;

	// Into place: OUT/NAME.ko, or OUT/<release>/NAME.ko for several kernels.
	std::string out_dir = opts.output_dir;
	if (opts.kernels.size() > 1)
		out_dir += "/" + run.release;
	std::error_code ec;
	fs::create_directories(out_dir, ec);
	// The core first: a module in the output directory means both are there.
	if (run.core.kind == CoreKind::bundled) {
		run.core_module = out_dir + "/klpkit-core.ko";
		if (auto c = copy_file(core_ko, run.core_module); !c)
			return fail(c.error());
	}
	run.module_ko = out_dir + "/" + run.module_name + ".ko";
	if (auto c = copy_file(ko, run.module_ko); !c)
		return fail(c.error());
	warn_about_module_reload(opts, run, run.module_ko);
	clock.done(fmt::format("klp-convert --check passed; vermagic {}{}", run.release,
			       run.core.kind == CoreKind::bundled ? "; needs klpkit-core.ko" : ""));
	return std::nullopt;
}

Status build_split_modules(const Options &opts, KernelRun &run)
{
	// The patched objects' parents: vmlinux first, then the modules by name.
	std::vector<std::string> parents;
	for (const auto &pair : run.objects)
		if (!pair.diff.empty() && std::find(parents.begin(), parents.end(), pair.parent) == parents.end())
			parents.push_back(pair.parent);
	std::sort(parents.begin(), parents.end(), [](const std::string &a, const std::string &b) {
		return (a == "vmlinux") != (b == "vmlinux") ? a == "vmlinux" : a < b;
	});
	const std::vector<ObjectPair> all = run.objects;
	const std::string name = run.module_name;
	Status st;
	for (const auto &parent : parents) {
		run.objects.clear();
		for (const auto &pair : all)
			if (pair.parent == parent)
				run.objects.push_back(pair);
		std::string part = name + "-" + parent;
		std::replace(part.begin(), part.end(), '_', '-');
		run.module_name = sanitize_module_name(part);
		decide(opts, run, fmt::format("--split: {} for {}", run.module_name, parent));
		st = link_module(opts, run);
		if (!st)
			st = verify_module(opts, run);
		if (st)
			break;
		run.split_modules.push_back(run.module_ko);
	}
	run.objects = all;
	run.module_name = name;
	if (!st && !run.split_modules.empty())
		run.module_ko = run.split_modules.front();
	return st;
}

} // namespace klp::build
