// The livepatch core a module is built for. The kernel's own where the target's
// config has CONFIG_LIVEPATCH=y; otherwise klpkit-core.ko (kmod-template/core), which
// needs kprobes, kallsyms, ftrace with registers and stack traces, on x86_64 and
// arm64. For the bundled core, klpkit-core.ko itself is built against the target's
// headers (or taken from the cache). Linking the patch module for it is module.cc's.
#include "core.h"

#include "arch/arch.h"

#include "kbuild.h"
#include "make.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>

namespace fs = std::filesystem;

namespace klp::build {
namespace {

// What klpkit-core.ko uses of the kernel; each requirement is met by any one of
// its options.
struct CoreRequirement {
	std::vector<const char *> any_of;
};
const std::vector<CoreRequirement> &bundled_core_requirements()
{
	static const std::vector<CoreRequirement> needs = {
		{{"CONFIG_MODULES"}}, // the core and every patch are modules
		{{"CONFIG_MODULE_UNLOAD"}}, // a disabled patch is removed to go back
		{{"CONFIG_KALLSYMS"}}, // unexported symbols, found by name
		{{"CONFIG_KPROBES"}}, // kallsyms_lookup_name's address (unexported since 5.7)
		{{"CONFIG_FUNCTION_TRACER"}}, // redirection through each function's ftrace entry
		{{"CONFIG_DYNAMIC_FTRACE"}},
		{{"CONFIG_DYNAMIC_FTRACE_WITH_REGS", "CONFIG_DYNAMIC_FTRACE_WITH_ARGS"}}, // setting the IP
		{{"CONFIG_STACKTRACE"}}, // the consistency check of every task's stack
	};
	return needs;
}

bool is_y(const Config &config, const char *option) { return config_value(config, option) == "y"; }

// The template as kbuild needs it, without the products of a build made in place
// (`make -C KDIR M=kmod-template/core` leaves core.o, .core.o.cmd, klpkit-core.ko,
// Module.symvers there): they would change the cache key and could pass for
// up-to-date objects.
bool is_template_source(const fs::path &rel)
{
	std::string name = rel.filename().string();
	if (name.starts_with(".") || name == "Module.symvers" || name == "modules.order")
		return false;
	for (const char *ext : {".o", ".ko", ".mod", ".mod.c", ".a", ".symvers"})
		if (name.ends_with(ext))
			return false;
	return true;
}

// The template's source files, relative to it, sorted: the copy and the cache key.
Expected<std::vector<fs::path>> template_sources(const std::string &dir)
{
	std::vector<fs::path> files;
	std::error_code ec;
	for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
		fs::path rel = it->path().lexically_relative(dir);
		std::error_code type_ec;
		if (it->is_directory(type_ec) && rel.filename().string().starts_with(".")) {
			it.disable_recursion_pending();
			continue;
		}
		if (it->is_regular_file(type_ec) && is_template_source(rel))
			files.push_back(rel);
	}
	if (ec)
		return make_error("{}: {}", dir, ec.message());
	std::sort(files.begin(), files.end());
	return files;
}

// <cache>/klpkit-core/<key>: the template's content, the target and the compiler.
std::string core_cache_dir(const Options &opts, const KernelRun &run, const std::vector<fs::path> &sources)
{
	Hasher key;
	key.add("klpkit-core 1");
	for (const auto &rel : sources) {
		key.add(rel.string());
		key.add_file_bytes(opts.template_dir + "/" + rel.string());
	}
	key.add(run.release);
	key.add_file_bytes(run.headers + "/.config");
	key.add(run.cc_version);
	key.add(shell_line(run.cc));
	if (const char *env = std::getenv("KCFLAGS"))
		key.add(env);
	return opts.cache_dir + "/klpkit-core/" + key.hex();
}

const char *core_files[] = {"klpkit-core.ko", "Module.symvers"};

bool fetch_core(const std::string &cached, const std::string &build)
{
	for (const char *f : core_files)
		if (!copy_file(cached + "/" + f, build + "/" + f))
			return false;
	return true;
}

Expected<void> store_core(const std::string &build, const std::string &cached)
{
	std::string tmp = cached + ".tmp." + std::to_string(getpid());
	std::error_code ec;
	fs::remove_all(tmp, ec);
	for (const char *f : core_files)
		KLP_TRY(copy_file(build + "/" + f, tmp + "/" + f));
	fs::remove_all(cached, ec);
	fs::rename(tmp, cached, ec);
	if (ec) {
		fs::remove_all(tmp, ec);
		return make_error("{}: cannot store: {}", cached, ec.message());
	}
	return success();
}

} // namespace

const char *core_kind_name(CoreKind k) { return k == CoreKind::bundled ? "bundled" : "kernel"; }

bool valid_core_request(const std::string &asked)
{
	return asked == "auto" || asked == "kernel" || asked == "bundled";
}

std::vector<std::string> bundled_core_missing(const Config &config)
{
	std::vector<std::string> missing;
	for (const auto &need : bundled_core_requirements())
		if (std::none_of(need.any_of.begin(), need.any_of.end(),
				 [&](const char *o) { return is_y(config, o); }))
			missing.push_back(fmt::format("{}", fmt::join(need.any_of, " or ")));
	return missing;
}

std::string bundled_core_unavailable(const Config &config)
{
	const arch::Arch *target = arch::find_by_config(config);
	if (!target || !target->bundled_core) {
		std::string name = arch::config_arch_name(config);
		return fmt::format("not ported to {} (x86_64 and arm64 are)",
				   name.empty() ? "the target's architecture" : name);
	}
	auto missing = bundled_core_missing(config);
	if (!missing.empty())
		return fmt::format("needs {}, which the config does not set", fmt::join(missing, "; "));
	return "";
}

Status choose_core(const std::string &asked, const Config &config, const std::string &config_path,
		   CoreChoice &out)
{
	bool livepatch = is_y(config, "CONFIG_LIVEPATCH");
	std::string no_bundled = bundled_core_unavailable(config);
	if (asked == "kernel") {
		if (!livepatch)
			return refuse("core-unavailable",
				      fmt::format("{}: CONFIG_LIVEPATCH is not set: the kernel has no livepatch core "
						  "for --core kernel{}",
						  config_path,
						  no_bundled.empty() ? " (--core bundled builds for klpkit-core.ko)" : ""));
		out = {CoreKind::kernel, "forced by --core"};
	} else if (asked == "bundled") {
		if (!no_bundled.empty())
			return refuse("core-unavailable", fmt::format("{}: bundled core: {}", config_path, no_bundled));
		out = {CoreKind::bundled, "forced by --core"};
	} else if (livepatch) {
		out = {CoreKind::kernel, "target has CONFIG_LIVEPATCH=y"};
	} else if (no_bundled.empty()) {
		out = {CoreKind::bundled, "target lacks CONFIG_LIVEPATCH"};
	} else {
		return refuse("no-livepatch", fmt::format("{}: CONFIG_LIVEPATCH is not set, and the bundled core "
							  "cannot stand in: {}",
							  config_path, no_bundled));
	}
	return std::nullopt;
}

Status select_core(const Options &opts, KernelRun &run)
{
	auto config = read_config(run.config);
	if (!config)
		return fail(config.error());
	if (auto st = choose_core(run.spec.core, *config, run.config, run.core))
		return st;
	decide(opts, run, fmt::format("core: {} ({})", core_kind_name(run.core.kind), run.core.reason));
	// Without CONFIG_KALLSYMS_ALL (Debian's arm64 6.1) kallsyms lists text only: the
	// bundled core finds the functions a patch uses but no unexported variable, of
	// vmlinux or of a module; create-diff-object refuses a patch that needs one.
	run.kallsyms_text_only = run.core.kind == CoreKind::bundled && !is_y(*config, "CONFIG_KALLSYMS_ALL");
	if (run.kallsyms_text_only)
		decide(opts, run, "CONFIG_KALLSYMS_ALL is not set: the bundled core finds functions, "
				  "no unexported data (create-diff-object --kallsyms-text-only)");
	return std::nullopt;
}

Status build_core_module(const Options &opts, KernelRun &run)
{
	StageClock clock(opts, run, "core");
	// The whole template: core/ includes ../klpkit-core.h.
	std::string top = fs::absolute(run.work + "/klpkit-core").string();
	run.core_build = top + "/core";
	std::error_code ec;
	fs::remove_all(top, ec);
	fs::create_directories(run.core_build, ec);
	if (ec)
		return fail("core-build-failed", fmt::format("{}: {}", run.core_build, ec.message()));
	auto sources = template_sources(opts.template_dir);
	if (!sources)
		return fail(sources.error());
	std::string cached = core_cache_dir(opts, run, *sources);
	if (fetch_core(cached, run.core_build)) {
		decide(opts, run, fmt::format("klpkit-core.ko from the cache ({})", cached));
		clock.done("klpkit-core.ko from the cache");
		return std::nullopt;
	}

	for (const auto &rel : *sources) {
		if (auto c = copy_file(opts.template_dir + "/" + rel.string(), top + "/" + rel.string()); !c)
			return fail("core-build-failed", c.error().message());
	}
	Command make = module_make(opts, run, run.core_build, {"modules"}, "core");
	if (auto st = run_step(opts, make, "building klpkit-core.ko", "core-build-failed"))
		return st;
	for (const char *f : core_files)
		if (!fs::exists(run.core_build + "/" + f, ec))
			return fail("core-build-failed", fmt::format("kbuild did not produce {}/{}", run.core_build, f));
	fs::create_directories(opts.cache_dir + "/klpkit-core", ec);
	if (auto s = store_core(run.core_build, cached); !s)
		note(opts, run, "warning: cannot cache klpkit-core.ko: " + s.error().message());
	clock.done(fmt::format("klpkit-core.ko built against {}", run.headers));
	return std::nullopt;
}

} // namespace klp::build
