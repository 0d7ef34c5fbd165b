// Before anything is built: where each input of a target kernel is (headers,
// Module.symvers, config, symbols, release), and the refusals that need no build:
// patches to *.S, lib/ or build files, GCC plugins whose output differs per build,
// and a compiler other than the one that built the target. (Whether the kernel can
// load a livepatch at all is the core's question: core.cc.)
#include "klp_build.h"

#include "kbuild.h"
#include "make.h"
#include "patches.h"
#include "proc/process.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <cstdlib>
#include <set>
#include <sstream>

namespace fs = std::filesystem;

namespace klp::build {
namespace {

bool exists(const std::string &p)
{
	std::error_code ec;
	return !p.empty() && fs::exists(p, ec);
}

bool is_dir(const std::string &p)
{
	std::error_code ec;
	return !p.empty() && fs::is_directory(p, ec);
}

std::string running_release()
{
	struct utsname u;
	return uname(&u) == 0 ? u.release : "";
}

// The release a deployed module was built for: the first word of its vermagic.
std::string vermagic_release(const std::string &ko)
{
	auto info = elf_modinfo(ko);
	if (!info || !info->count("vermagic"))
		return "";
	std::string v = info->at("vermagic");
	return v.substr(0, v.find(' '));
}

// A full kbuild build in `dir`: Module.symvers next to a vmlinux.
bool has_full_build(const std::string &dir)
{
	return exists(dir + "/Module.symvers") && exists(dir + "/vmlinux");
}

// The compiler to build with: $CC, else the program named in the target's
// CONFIG_CC_VERSION_TEXT if it is installed (Debian builds with gcc-12; 7.x with
// x86_64-linux-gnu-gcc-16), on the host or in the build root, else gcc. For another
// architecture, that program's cross compiler: Debian's arm64 kernels say gcc-12,
// which is aarch64-linux-gnu-gcc-12 here.
std::vector<std::string> choose_compiler(const Options &opts, const KernelRun &run,
					 const std::string &cc_version_text)
{
	if (!opts.cc.empty())
		return opts.cc;
	std::string prefix = run.cross.empty() ? "" : std::string(run.arch->gnu_triplet) + "-";
	std::string prog = cc_version_text.substr(0, cc_version_text.find(' '));
	if (!prefix.empty() && !prog.empty() && !prog.starts_with(prefix)) {
		// x86_64-linux-gnu-gcc-16 built an amd64 kernel: the name after the triplet.
		constexpr std::string_view gnu = "-linux-gnu-";
		auto dash = prog.find(gnu);
		prog = prefix + (dash == std::string::npos ? prog : prog.substr(dash + gnu.size()));
	}
	bool installed = run.root.empty() ? in_path(prog) : !run.root.find_program(prog).empty();
	if (!prog.empty() && prog.find('/') == std::string::npos && installed)
		return {prog};
	if (cc_version_text.find("clang") != std::string::npos)
		return {"clang"};
	return {prefix + "gcc"};
}

} // namespace

Status resolve_kernel(const Options &opts, KernelRun &run)
{
	const KernelSpec &k = run.spec;
	run.mode = opts.oot() ? Mode::oot : Mode::tree;

	// Deployed out-of-tree modules: by the name in their .modinfo.
	for (const auto &ko : k.oot_modules) {
		if (!exists(ko))
			return fail("missing-input", fmt::format("--oot-module {}: no such file", ko));
		auto info = elf_modinfo(ko);
		if (!info)
			return fail(info.error());
		std::string name = info->count("name") ? info->at("name") : "";
		if (name.empty()) {
			name = fs::path(ko).filename().string();
			name = name.substr(0, name.find('.'));
		}
		for (char &c : name)
			if (c == '-')
				c = '_';
		run.oot_modules[name] = ko;
	}

	run.release = k.release;
	run.headers = k.headers;
	if (run.headers.empty() && run.mode == Mode::tree && is_dir(k.src) && has_full_build(k.src)) {
		run.headers = k.src;
		decide(opts, run, "links the module in the source tree: it has a full build");
	}
	if (run.release.empty() && !run.headers.empty())
		run.release = uts_release(run.headers);
	if (run.release.empty() && !k.oot_modules.empty()) {
		run.release = vermagic_release(k.oot_modules.front());
		if (!run.release.empty())
			decide(opts, run, fmt::format("release {} from the vermagic of {}", run.release,
						      k.oot_modules.front()));
	}
	if (run.release.empty() && !k.config.empty()) {
		// /boot/config-6.1.0-56-amd64
		std::string base = fs::path(k.config).filename().string();
		if (base.starts_with("config-") && base.size() > 7) {
			run.release = base.substr(7);
			decide(opts, run, fmt::format("release {} from the config's file name", run.release));
		}
	}
	if (run.headers.empty()) {
		std::string rel = run.release.empty() && run.mode == Mode::oot ? running_release() : run.release;
		if (!rel.empty() && is_dir("/lib/modules/" + rel + "/build")) {
			run.headers = fs::canonical("/lib/modules/" + rel + "/build").string();
			decide(opts, run, fmt::format("headers: {} (/lib/modules/{}/build)", run.headers, rel));
		}
	}
	if (run.headers.empty() || !exists(run.headers + "/Makefile"))
		return fail("missing-input",
			    fmt::format("no kernel build tree to link the module against{}: pass "
					"-k/--headers DIR (e.g. /usr/src/linux-headers-RELEASE)",
					run.headers.empty() ? "" : " (" + run.headers + " has no Makefile)"));
	if (run.release.empty())
		run.release = uts_release(run.headers);
	if (run.release.empty())
		return fail("missing-input", "cannot tell the target's kernel release: pass --release");

	run.symvers = !k.symvers.empty() ? k.symvers : run.headers + "/Module.symvers";
	if (!exists(run.symvers))
		return fail("missing-input", fmt::format("{}: no such Module.symvers (pass --symvers)",
							 run.symvers));

	if (!k.config.empty())
		run.config = k.config;
	else if (run.mode == Mode::tree && is_dir(k.src) && exists(k.src + "/.config"))
		run.config = k.src + "/.config";
	else if (exists(run.headers + "/.config"))
		run.config = run.headers + "/.config";
	if (run.config.empty() || !exists(run.config))
		return fail("missing-input", "no kernel config: pass -c CONFIG");

	if (!k.vmlinux.empty()) {
		run.symbols = k.vmlinux;
		run.symbols_option = "--vmlinux";
	} else if (!k.kallsyms.empty()) {
		run.symbols = k.kallsyms;
		run.symbols_option = "--kallsyms";
	} else if (!k.system_map.empty()) {
		// Same layout as a kallsyms dump of vmlinux; sympos counts the same names.
		run.symbols = k.system_map;
		run.symbols_option = "--kallsyms";
	}
	if (!run.symbols.empty() && !exists(run.symbols))
		return fail("missing-input", fmt::format("{}: no such symbol file", run.symbols));
	if (run.mode == Mode::tree && !k.src.empty() && !exists(k.src))
		return fail("missing-input", fmt::format("{}: no such source tree", k.src));
	if (run.mode == Mode::oot && !is_dir(opts.oot_src))
		return fail("missing-input", fmt::format("{}: no such module source directory", opts.oot_src));
	return std::nullopt;
}

Status check_patches(const Options &opts, KernelRun &run)
{
	std::set<std::string> seen;
	for (const auto &p : opts.patches) {
		auto info = parse_patch(p);
		if (!info)
			return refuse("bad-patch", info.error().message());
		if (info->binary_line)
			return refuse("bad-patch", fmt::format("{}:{}: binary patches are not supported",
							       p, info->binary_line));
		for (const auto &f : info->files) {
			const std::string &path = f.path;
			std::string name = fs::path(path).filename().string();
			std::string ext = fs::path(path).extension().string();
			if (ext == ".S" || ext == ".s")
				return refuse("assembly", fmt::format("{} changes {}: assembly cannot be "
								      "livepatched (no ftrace entry)",
								      fs::path(p).filename().string(), path));
			if (path.starts_with("Documentation/") || ext == ".rst" || ext == ".txt" ||
			    ext == ".md") {
				decide(opts, run, fmt::format("{}: documentation, ignored", path));
				continue;
			}
			if (ext != ".c" && ext != ".h")
				return refuse("build-files", fmt::format("{} changes {}: only .c and .h "
									 "changes can be livepatched",
									 fs::path(p).filename().string(), path));
			if (f.added && ext == ".c")
				return refuse("new-file", fmt::format("{} adds {}: a new source file needs "
								      "a Makefile change",
								      fs::path(p).filename().string(), path));
			if (seen.insert(path).second)
				run.changed_files.push_back(path);
		}
	}
	if (run.changed_files.empty())
		return Stop{Result::no_change, "no-change", "the patches change no .c or .h file"};
	return std::nullopt;
}

Status enter_build_root(const Options &opts, KernelRun &run)
{
	const std::string &want = run.spec.build_root;
	if (want.empty())
		return std::nullopt;
	Expected<BuildRoot> root = make_error("");
	if (want == "auto") {
		auto config = read_config(run.config);
		if (!config)
			return fail(config.error());
		auto suite = suite_for_compiler(config_string(*config, "CONFIG_CC_VERSION_TEXT"));
		if (!suite)
			return refuse("no-build-root", fmt::format("{}: {}", run.config, suite.error().message()));
		// A target of another architecture: a root with its cross compiler too.
		const arch::Arch *target = arch::find_by_config(*config);
		std::string dir = default_build_root(opts.cache_dir, *suite, target);
		if (!exists(dir + "/.klpkit-buildroot"))
			note(opts, run, fmt::format("making the {} build root in {} (once)", *suite, dir));
		root = make_build_root(dir, *suite, log_path(run, "buildroot"), opts.verbose, target);
	} else {
		root = open_build_root(want);
	}
	if (!root)
		return fail("build-root", root.error().message());
	run.root = std::move(*root);

	// What the build reads and writes, at its own path inside: the cache (extracted
	// trees, objects, Debian's headers), the work and output directories, the
	// template, the sources, and the headers with what their Makefile and scripts
	// link point to (Debian's -common and linux-kbuild directories).
	for (const std::string &dir : {opts.cache_dir, run.work, opts.output_dir, opts.template_dir, opts.oot_src,
				       run.spec.src, run.headers})
		run.root.bind(dir);
	if (!run.headers.empty()) {
		std::error_code ec;
		for (const auto &entry : fs::directory_iterator(run.headers, ec))
			if (entry.is_symlink(ec) && entry.is_directory(ec))
				run.root.bind(fs::canonical(entry.path(), ec).string());
		if (auto makefile = read_text(run.headers + "/Makefile")) {
			std::istringstream in(*makefile);
			std::string line;
			while (std::getline(in, line))
				if (line.starts_with("include /"))
					run.root.bind(fs::path(line.substr(8)).parent_path().string());
		}
	}
	if (char cwd[4096]; getcwd(cwd, sizeof cwd))
		run.root.bind(cwd);
	decide(opts, run, fmt::format("build root {} ({}): {}", run.root.dir, run.root.suite,
				      fmt::join(run.root.binds, " ")));
	return std::nullopt;
}

Status check_compiler_and_config(const Options &opts, KernelRun &run)
{
	auto config = read_config(run.config);
	if (!config)
		return fail(config.error());
	auto is_y = [&](const char *key) {
		auto it = config->find(key);
		return it != config->end() && it->second == "y";
	};
	for (const char *key : {"CONFIG_GCC_PLUGIN_RANDSTRUCT", "CONFIG_RANDSTRUCT_FULL",
				"CONFIG_RANDSTRUCT_PERFORMANCE"})
		if (is_y(key))
			return refuse("randstruct", fmt::format("{}: {}=y: structure layouts are "
								"randomised per build, a rebuild "
								"cannot reproduce them",
								run.config, key));
	if (is_y("CONFIG_GCC_PLUGIN_LATENT_ENTROPY"))
		return refuse("latent-entropy", fmt::format("{}: CONFIG_GCC_PLUGIN_LATENT_ENTROPY=y: the "
							    "plugin inserts random values in every "
							    "build, the objects can never match",
							    run.config));

	// The target's architecture: the host's, or another one built with kbuild's
	// ARCH= and its Debian cross compiler (CROSS_COMPILE=<triplet>-).
	run.arch = arch::find_by_config(*config);
	if (!run.arch) {
		std::string name = arch::config_arch_name(*config);
		return refuse("unsupported-arch",
			      fmt::format("{}: the target is {}; klp-build supports {}", run.config,
					  name.empty() ? "of an unknown architecture" : name,
					  arch::supported_names()));
	}
	run.cross.clear();
	if (run.arch->machine != arch::host_machine())
		run.cross = {"ARCH=" + std::string(run.arch->kbuild_arch),
			     "CROSS_COMPILE=" + std::string(run.arch->gnu_triplet) + "-"};
	// klpkit prove runs klpkit itself in the guest, and it is built for the host.
	if (opts.prove && !run.cross.empty())
		return refuse("prove-unsupported",
			      fmt::format("--prove: the target is {}, and klpkit prove boots {} guests only "
					  "(klpkit boot --kernel IMAGE --script S boots {} ones with busybox)",
					  run.arch->kbuild_arch, arch::machine_name(arch::host_machine()),
					  run.arch->kbuild_arch));
	std::string config_cc = config_string(*config, "CONFIG_CC_VERSION_TEXT");
	run.cc = choose_compiler(opts, run, config_cc);
	std::vector<std::string> version_argv = run.cc;
	version_argv.push_back("--version");
	auto version = capture(run.root.empty() ? version_argv : run.root.wrap(version_argv));
	if (!version)
		return fail("compiler", fmt::format("cannot run the compiler: {}", version.error().message()));
	run.cc_version = version->substr(0, version->find('\n'));
	std::string ours = compiler_identity(run.cc_version);

	// Every record of the target's compiler must agree with ours.
	std::vector<std::pair<std::string, std::string>> theirs; // source, text
	if (!config_cc.empty())
		theirs.push_back({run.config + " (CONFIG_CC_VERSION_TEXT)", config_cc});
	if (!run.spec.vmlinux.empty()) {
		auto comments = elf_compilers(run.spec.vmlinux);
		if (comments)
			for (const auto &c : *comments)
				theirs.push_back({run.spec.vmlinux + " (.comment)", c});
	}
	for (const auto &[name, ko] : run.oot_modules) {
		auto comments = elf_compilers(ko);
		if (comments)
			for (const auto &c : *comments)
				theirs.push_back({ko + " (.comment)", c});
	}
	if (theirs.empty())
		note(opts, run, "warning: nothing records the target's compiler; cannot check it");
	for (const auto &[source, text] : theirs) {
		if (compiler_identity(text) != ours)
			return refuse("compiler-mismatch",
				      fmt::format("compiler differs from the one that built the target:\n"
						  "  target: {} in {}\n  ours:   {} ({})\n{}",
						  text, source, run.cc_version, shell_line(run.cc),
						  run.cross.empty()
							  ? "Set CC to the target's compiler."
							  : "Set CC to a cross compiler of exactly that build; "
							    "Debian's cross compilers are builds of their own "
							    "that can lag the native one's stable updates "
							    "(docs/architectures.md)."));
	}
	decide(opts, run, fmt::format("compiler {} ({}) matches the target's", shell_line(run.cc),
				      run.cc_version));
	return std::nullopt;
}

} // namespace klp::build
