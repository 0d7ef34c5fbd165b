// klp-build's command line (Boost.Program_options) into Options: the patches, the
// module's name and output, the build knobs, and one KernelSpec per target kernel
// (the top-level target options, or one per --kernel KEY=VALUE,... list).
#include "options.h"

#include "core.h"
#include "elf/file_io.h"
#include "kbuild.h"
#include "patches.h"

#include <boost/program_options.hpp>
#include <fmt/format.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <sstream>
#include <thread>

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace klp::build {
namespace {

const char *usage_head =
	"usage: klp-build [options] PATCH...\n"
	"\n"
	"Builds livepatch-<name>.ko from source patches and verifies it.\n"
	"  kernel tree:  klp-build -s SRC [-c CONFIG] --kallsyms FILE [-k HEADERS] fix.patch\n"
	"  out-of-tree:  klp-build --oot-module-src DIR --oot-module NAME.ko [-k HEADERS] fix.patch\n"
	"  several:      klp-build --kernel src=..,config=..,kallsyms=..,headers=.. --kernel ... fix.patch\n"
	"  Debian's:     klp-build --target 6.1.0-57-amd64 [--target ...] [--prove] fix.patch\n"
	"Exit status: 0 built and verified, 1 error, 2 refused (the reason is printed),\n"
	"3 no functional change. With several kernels, the worst of them.\n";

std::string absolute(const std::string &p)
{
	if (p.empty())
		return p;
	std::error_code ec;
	auto a = fs::absolute(p, ec);
	return ec ? p : a.lexically_normal().string();
}

Expected<Step> parse_step(const std::string &s)
{
	if (s == "1" || s == "orig")
		return Step::orig;
	if (s == "2" || s == "patched")
		return Step::patched;
	if (s == "3" || s == "diff")
		return Step::diff;
	if (s == "4" || s == "module" || s == "link")
		return Step::module;
	return make_error("--short-circuit {}: expected 1/orig, 2/patched, 3/diff or 4/module", s);
}

// "src=/usr/src/linux,config=/boot/config-6.1,kallsyms=k.txt" over `base`.
Expected<KernelSpec> parse_kernel_spec(const std::string &text, KernelSpec spec)
{
	std::istringstream in(text);
	std::string item;
	bool oot_given = false;
	while (std::getline(in, item, ',')) {
		auto eq = item.find('=');
		if (eq == std::string::npos)
			return make_error("--kernel {}: '{}' is not KEY=VALUE", text, item);
		std::string key = item.substr(0, eq), value = absolute(item.substr(eq + 1));
		if (key == "src" || key == "sourcedir")
			spec.src = value;
		else if (key == "config")
			spec.config = value;
		else if (key == "vmlinux")
			spec.vmlinux = value;
		else if (key == "kallsyms")
			spec.kallsyms = value;
		else if (key == "system-map" || key == "system_map")
			spec.system_map = value;
		else if (key == "symvers")
			spec.symvers = value;
		else if (key == "headers")
			spec.headers = value;
		else if (key == "modules")
			spec.modules_dir = value;
		else if (key == "release")
			spec.release = item.substr(eq + 1);
		else if (key == "target")
			spec.target = item.substr(eq + 1);
		else if (key == "image")
			spec.image = value;
		else if (key == "build-root")
			spec.build_root = item.substr(eq + 1) == "auto" ? "auto" : value;
		else if (key == "core") {
			spec.core = item.substr(eq + 1);
			if (!valid_core_request(spec.core))
				return make_error("--kernel {}: core={}: expected auto, kernel or bundled", text,
						  spec.core);
		} else if (key == "oot-module") {
			if (!oot_given)
				spec.oot_modules.clear();
			oot_given = true;
			spec.oot_modules.push_back(value);
		} else
			return make_error("--kernel {}: unknown key '{}' (src, config, vmlinux, kallsyms, "
					  "system-map, symvers, headers, modules, release, oot-module, build-root, core, image, target)",
					  text, key);
	}
	return spec;
}

std::vector<std::string> split_words(const std::string &s)
{
	std::istringstream in(s);
	std::vector<std::string> words;
	std::string w;
	while (in >> w)
		words.push_back(w);
	return words;
}

std::string self_dir()
{
	std::error_code ec;
	auto p = fs::read_symlink("/proc/self/exe", ec);
	return ec ? "" : p.parent_path().string();
}

// A directory of the source tree klp-build needs at run time (kmod-template,
// scripts), found by a file in it: $ENV, else beside build/bin/klp-build in the
// source tree, PREFIX/share/klpkit when installed, or the tree it was built from.
std::string find_data_dir(const std::string &bin, const char *env, const std::string &dir, const std::string &file)
{
	if (const char *e = std::getenv(env))
		return e;
	for (const std::string &rel : {"../../" + dir, "../share/klpkit/" + dir, "../" + dir}) {
		fs::path p = fs::path(bin) / rel;
		std::error_code ec;
		if (fs::exists(p / file, ec))
			return fs::weakly_canonical(p, ec).string();
	}
#ifdef KLPKIT_SOURCE_DIR
	std::error_code ec;
	if (fs::exists(fs::path(KLPKIT_SOURCE_DIR) / dir / file, ec))
		return KLPKIT_SOURCE_DIR "/" + dir;
#endif
	return "";
}

void set_cache_dir(Options &o)
{
	if (o.cache_dir.empty())
		o.cache_dir = default_cache_dir();
	o.cache_dir = absolute(o.cache_dir);
}

} // namespace

Expected<ParsedOptions> parse_options(int argc, char **argv)
{
	ParsedOptions parsed;
	Options &o = parsed.options;
	KernelSpec top;
	std::vector<std::string> kernel_specs, patches, targets;
	std::string color;
	std::string short_circuit, name;
	std::vector<std::string> entry_sizes;
	unsigned jobs = 0;

	po::options_description tree("Kernel tree");
	// clang-format off
	tree.add_options()
		("sourcedir,s", po::value(&top.src), "kernel source tree, or a linux-source tarball (extracted once into the cache)")
		("config,c", po::value(&top.config), "the target kernel's .config (default: the tree's, else the headers')")
		("vmlinux", po::value(&top.vmlinux), "target symbols: the target's vmlinux")
		("kallsyms", po::value(&top.kallsyms), "target symbols: a /proc/kallsyms dump of the target")
		("system-map", po::value(&top.system_map), "target symbols: the target's System.map")
		("symvers", po::value(&top.symvers), "the target's Module.symvers (default: the headers')")
		("headers,k", po::value(&top.headers), "build tree to link the module against (default: /lib/modules/RELEASE/build, or SRC after a full build)")
		("modules", po::value(&top.modules_dir), "the target's /lib/modules/RELEASE, for patches to its modules")
		("release", po::value(&top.release), "the target's kernel release (default: from the headers)")
		("target", po::value(&targets)->composing(), "RELEASE or 'running' (uname -r): that exact Debian kernel, fetched from Debian's archive into the cache (image, config, headers, modules, the same build's linux-source) with its symbols from one QEMU boot (klpkit kallsyms); repeatable, one kernel each. What -s, -c, -k, --kallsyms... give is kept")
		("build-root", po::value(&top.build_root), "run kbuild and the compiler in a Debian build root: DIR, or 'auto' for the suite whose gcc built the target (made once in the cache; see docs/build-roots.md)")
		("core", po::value(&top.core)->default_value("auto"), "the livepatch core the module is for: auto (the kernel's with CONFIG_LIVEPATCH=y, else klpkit-core.ko), kernel, or bundled (klpkit-core.ko, written beside the module)")
		("make-build-root", po::value(&parsed.make_build_root), "SUITE: make the build root of bullseye, bookworm, trixie or sid, or 'auto' for the one -c CONFIG's compiler needs (at --build-root DIR, else in the cache), print its directory and exit");
	po::options_description oot("Out-of-tree module");
	oot.add_options()
		("oot-module-src", po::value(&o.oot_src), "the module's source directory (the patch applies there, -p1)")
		("oot-module", po::value(&top.oot_modules)->composing(), "NAME.ko: the module as deployed on the target (repeatable)");
	po::options_description many("Several target kernels");
	many.add_options()
		("kernel,K", po::value(&kernel_specs)->composing(), "KEY=VALUE,...: one target kernel (repeatable): src, config, vmlinux, kallsyms, system-map, symvers, headers, modules, release, oot-module, build-root, core, image, target; the options above are defaults. Output goes to OUT/<release>/");
	po::options_description out("Output and build");
	out.add_options()
		("name,n", po::value(&name), "module name (default: livepatch-<first patch's name>)")
		("output,o", po::value(&o.output_dir)->default_value("."), "output directory")
		("no-replace", "no atomic replace: stack on top of the patches already loaded")
		("split", "one livepatch module per patched object (vmlinux and each module), named NAME-<object>; stacked (implies --no-replace: the kernel's atomic replace would drop the other parts)")
		("no-line-directives", "apply the patches as they are, without #line directives that keep the original line numbers below each change")
		("no-replay", "compile the patched objects with make, even those whose recorded kbuild command was proven to give kbuild's object")
		("json", po::value(&o.json_path), "write a JSON summary of every object, function and decision")
		("prove", "prove the module in its kernel after the build: klpkit prove boots the release's image (or --image) under QEMU, loads it, runs --prove-check, unloads it and judges the console; a module that fails is an error (exit 1)")
		("prove-check", po::value(&o.prove_check), "SCRIPT (implies --prove): what --prove runs in the guest (busybox sh) while the patch is enabled; a non-zero exit fails the proof")
		("image", po::value(&top.image), "the target's bootable image for --prove (default: the release's in the cache or /boot)")
		("jobs,j", po::value(&jobs), "parallel jobs for make and create-diff-object (default: CPUs)")
		("max-header-users", po::value(&o.max_header_users),
		 "a header change in a tree without a build recompiles the .c files that include it, "
		 "up to this many (default 300); more: a full build")
		("no-full-build", "refuse (full-build-needed) where the original build would have to be the whole kernel")
		("entry-size", po::value(&entry_sizes)->composing(), "SECTION=BYTES: a special section's entry size where the target's headers do not tell it (repeatable)")
		("keep-tmp,T", "keep the work directory (OUT/klp-tmp/)")
		("short-circuit,S", po::value(&short_circuit), "start at STEP (1 orig, 2 patched, 3 diff, 4 module) in a work directory kept by -T")
		("cache", po::value(&o.cache_dir), "cache directory (default: $KLPKIT_CACHE or ~/.cache/klpkit)")
		("verbose,v", "show the output of make and the tools as they run")
		("debug,d", "print every decision; create-diff-object -d; implies -T")
		("quiet,q", "print no stage lines: only each kernel's result and what went wrong")
		("color", po::value(&color)->default_value("auto"), "auto, always or never: the result words in colour (auto: when stderr is a terminal and NO_COLOR is unset)")
		("help,h", "this help")
		("version", "print klpkit's version");
	// clang-format on
	po::options_description hidden;
	hidden.add_options()("patch", po::value(&patches));
	po::positional_options_description pos;
	pos.add("patch", -1);
	po::options_description all;
	all.add(tree).add(oot).add(many).add(out).add(hidden);
	po::options_description visible;
	visible.add(tree).add(oot).add(many).add(out);

	po::variables_map vm;
	try {
		po::store(po::command_line_parser(argc, argv).options(all).positional(pos).run(), vm);
		po::notify(vm);
	} catch (const po::error &e) {
		return make_error("{}", e.what());
	}
	if (vm.count("version")) {
		parsed.help = fmt::format("klp-build (klpkit) {}\n", KLPKIT_VERSION);
		return parsed;
	}
	if (vm.count("help")) {
		std::ostringstream s;
		s << usage_head << "\n" << visible;
		parsed.help = s.str();
		return parsed;
	}
	for (int i = 0; i < argc; i++)
		o.argv.push_back(argv[i]);
	set_cache_dir(o);
	if (top.build_root != "auto")
		top.build_root = absolute(top.build_root);
	top.image = absolute(top.image);
	if (!o.prove_check.empty())
		if (auto ok = check_input_file(o.prove_check); !ok)
			return make_error("--prove-check {}", ok.error().message());
	if (!valid_core_request(top.core))
		return make_error("--core {}: expected auto, kernel or bundled", top.core);
	if (!parsed.make_build_root.empty()) {
		if (!patches.empty())
			return make_error("--make-build-root makes a build root only: give no patch");
		o.kernels.push_back(top);
		return parsed;
	}

	if (patches.empty())
		return make_error("no patch given\n{}", usage_head);
	for (const auto &p : patches) {
		std::error_code ec;
		if (fs::is_directory(p, ec))
			return make_error("{}: is a directory, not a patch file", p);
		if (!fs::exists(p, ec))
			return make_error("{}: no such patch file", p);
		// Not a unified diff, unreadable or empty: an error before any kernel work.
		if (auto info = parse_patch(p); !info)
			return info.take_error();
		o.patches.push_back(absolute(p));
	}
	if (name.empty()) {
		std::string stem = fs::path(patches.front()).filename().string();
		for (const char *ext : {".patch", ".diff"})
			if (stem.ends_with(ext))
				stem.resize(stem.size() - std::strlen(ext));
		name = "livepatch-" + stem;
	}
	o.name = sanitize_module_name(name);
	if (o.name != name)
		std::cerr << fmt::format("klp-build: module name '{}' becomes '{}'\n", name, o.name);

	o.output_dir = absolute(o.output_dir);
	o.split = vm.count("split");
	o.replace = !vm.count("no-replace") && !o.split;
	o.line_directives = !vm.count("no-line-directives");
	o.full_build = !vm.count("no-full-build");
	o.replay = !vm.count("no-replay");
	o.prove = vm.count("prove") || vm.count("prove-check");
	if (o.prove && o.split)
		return make_error("--prove proves one module; prove each part of --split with klpkit prove");
	o.prove_check = absolute(o.prove_check);
	o.verbose = vm.count("verbose");
	o.quiet = vm.count("quiet") && !o.verbose;
	if (color != "auto" && color != "always" && color != "never")
		return make_error("--color {}: expected auto, always or never", color);
	const char *no_color = std::getenv("NO_COLOR");
	const char *term = std::getenv("TERM");
	o.colour = color == "always" ||
		   (color == "auto" && isatty(2) && !(no_color && *no_color) && !(term && std::string(term) == "dumb"));
	o.debug = vm.count("debug");
	o.keep_tmp = vm.count("keep-tmp") || o.debug;
	o.json_path = absolute(o.json_path);
	o.oot_src = absolute(o.oot_src);
	if (!short_circuit.empty()) {
		auto step = parse_step(short_circuit);
		if (!step)
			return step.take_error();
		o.first_step = *step;
		o.short_circuit = true;
		o.keep_tmp = true;
	}
	o.jobs = jobs ? jobs : std::max(1u, std::thread::hardware_concurrency());
	for (const auto &spec : entry_sizes) {
		auto eq = spec.find('=');
		char *end = nullptr;
		unsigned long size = eq == std::string::npos ? 0 : std::strtoul(spec.c_str() + eq + 1, &end, 0);
		if (!size || eq == 0 || (end && *end))
			return make_error("--entry-size {}: expected SECTION=BYTES", spec);
		o.entry_sizes[spec.substr(0, eq)] = size;
	}
	if (const char *cc = std::getenv("CC"); cc && *cc)
		o.cc = split_words(cc);
	o.tools_dir = self_dir();
	o.template_dir = find_data_dir(o.tools_dir, "KLPKIT_TEMPLATE_DIR", "kmod-template", "klpkit-patch.c");
	o.scripts_dir = find_data_dir(o.tools_dir, "KLPKIT_SCRIPTS_DIR", "scripts", "kernel/fetch-debian-kernel");

	for (auto *p : {&top.src, &top.config, &top.vmlinux, &top.kallsyms, &top.system_map, &top.symvers,
			&top.headers, &top.modules_dir})
		*p = absolute(*p);
	for (auto &m : top.oot_modules)
		m = absolute(m);
	for (const auto &t : targets) {
		if (!kernel_specs.empty())
			return make_error("--target {}: give each kernel with either --target or --kernel target=...", t);
		KernelSpec spec = top;
		spec.target = t;
		o.kernels.push_back(spec);
	}
	if (!targets.empty()) {
	} else if (kernel_specs.empty()) {
		o.kernels.push_back(top);
	} else {
		for (const auto &text : kernel_specs) {
			auto spec = parse_kernel_spec(text, top);
			if (!spec)
				return spec.take_error();
			o.kernels.push_back(*spec);
		}
	}
	for (const auto &k : o.kernels) {
		if (o.oot()) {
			if (k.oot_modules.empty())
				return make_error("--oot-module-src needs --oot-module NAME.ko (the module "
						  "as deployed on the target)");
		} else if (k.src.empty() && k.target.empty()) {
			return make_error("no kernel source: -s SRC (or --oot-module-src for an "
					  "out-of-tree module)\n{}",
					  usage_head);
		}
		int symbol_inputs = !k.vmlinux.empty() + !k.kallsyms.empty() + !k.system_map.empty();
		if (symbol_inputs > 1)
			return make_error("give one of --vmlinux, --kallsyms and --system-map");
		if (!o.oot() && symbol_inputs == 0 && k.target.empty())
			return make_error("kernel-tree mode needs the target's symbols: --vmlinux, "
					  "--kallsyms or --system-map");
	}
	if (o.template_dir.empty())
		return make_error("kmod-template not found next to {} (set KLPKIT_TEMPLATE_DIR)",
				  o.tools_dir);
	return parsed;
}

} // namespace klp::build
