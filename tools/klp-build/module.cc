// The module: kmod-template and the diff objects linked by the target's own kbuild
// (its headers and Module.symvers), klp-convert turning the placeholders into
// livepatch relocations, then the verifier (klp-convert --check) against the
// target's symbols. Only a verified module reaches the output directory.
#include "klp_build.h"

#include "kbuild.h"
#include "make.h"

#include <fmt/format.h>

#include <filesystem>

namespace fs = std::filesystem;

namespace klp::build {

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
	args.push_back("modules");
	Command link = module_make(opts, run, dir, args, "module");
	if (auto st = run_step(opts, link, "linking the module", "link-failed"))
		return st;
	std::string linked = dir + "/" + run.module_name + ".ko";
	if (!fs::exists(linked, ec))
		return fail("link-failed", fmt::format("kbuild did not produce {}", linked));

	// Placeholders -> .klp.rela.* sections and .klp.sym.* symbols.
	Command convert;
	convert.argv = {tool_path(opts, "klp-convert"), linked, run.work + "/" + run.module_name + ".ko"};
	convert.log = log_path(run, "convert");
	convert.echo = opts.verbose;
	if (auto st = run_step(opts, convert, "klp-convert", "convert-failed"))
		return st;
	clock.done(fmt::format("{}.ko from {} diff object(s), converted", run.module_name, n));
	return std::nullopt;
}

Status verify_module(const Options &opts, KernelRun &run)
{
	StageClock clock(opts, run, "verify");
	std::string ko = run.work + "/" + run.module_name + ".ko";
	auto info = elf_modinfo(ko);
	if (!info)
		return fail(info.error());
	if (info->count("livepatch") == 0 || info->at("livepatch") != "Y")
		return fail("verify-failed", fmt::format("{}: no MODULE_INFO(livepatch, \"Y\")", ko));
	std::string vermagic = info->count("vermagic") ? info->at("vermagic") : "";
	if (vermagic.substr(0, vermagic.find(' ')) != run.release)
		return fail("verify-failed", fmt::format("{}: vermagic '{}' is not for {}", ko, vermagic, run.release));

	Command check;
	check.argv = {tool_path(opts, "klp-convert"), "--check", ko, "--symvers", run.symvers};
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
	run.module_ko = out_dir + "/" + run.module_name + ".ko";
	if (auto c = copy_file(ko, run.module_ko); !c)
		return fail(c.error());
	clock.done(fmt::format("klp-convert --check passed; vermagic {}", run.release));
	return std::nullopt;
}

} // namespace klp::build
