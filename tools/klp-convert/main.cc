// klp-convert's command line: converting a linked livepatch module, writing a target
// kernel's symbol map, and verifying a finished module. It parses options and turns
// errors into one line and an exit code; the work is in convert.cc, symbols.cc and
// check.cc.
#include "convert.h"
#include "livepatch/exit_codes.h"
#include "target.h"

#include <boost/program_options.hpp>

#include <cstdio>
#include <iostream>

namespace po = boost::program_options;
using namespace klp;
using namespace klp::convert;

namespace {

// Exit codes: 0 done (or no problem found), 1 error (or problems found), 2 usage.
constexpr int exit_ok = kExitOk;
constexpr int exit_error = kExitError;
constexpr int exit_usage = kExitRefused;

const char *usage_text =
	"usage: klp-convert [--core kernel|bundled] [--symbols symbols.klp]\n"
	"                   [--sign KEY CERT [--kernel-dir DIR]] IN.ko OUT.ko\n"
	"       klp-convert symbols --vmlinux FILE|--kallsyms FILE [--module NAME=FILE.ko ...]\n"
	"                   [--symvers Module.symvers] -o symbols.klp\n"
	"       klp-convert --check FILE.ko --vmlinux FILE|--kallsyms FILE|--symbols FILE\n"
	"                   [--module NAME=FILE.ko ...] [--symvers Module.symvers]\n";

// `--sign KEY CERT`: exactly two tokens, so the positional IN.ko OUT.ko stay theirs.
class TwoTokens : public po::typed_value<std::vector<std::string>> {
public:
	explicit TwoTokens(std::vector<std::string> *store)
		: po::typed_value<std::vector<std::string>>(store)
	{
	}
	unsigned min_tokens() const override { return 2; }
	unsigned max_tokens() const override { return 2; }
};

int fail(const Error &error)
{
	std::fprintf(stderr, "klp-convert: error: %s\n", error.message().c_str());
	return exit_error;
}

int usage(const std::string &message)
{
	std::fprintf(stderr, "klp-convert: %s\n%s", message.c_str(), usage_text);
	return exit_usage;
}

void add_target_options(po::options_description &desc, TargetOptions &target)
{
	desc.add_options()("vmlinux", po::value(&target.vmlinux), "the target's vmlinux (ELF or "
								  "`readelf -s --wide` output)")(
		"kallsyms", po::value(&target.kallsyms), "a /proc/kallsyms dump of the target")(
		"module", po::value(&target.modules)->composing(),
		"NAME=FILE.ko: a module of the target (repeatable)")(
		"symvers", po::value(&target.symvers), "the target's Module.symvers (exports)");
}

int run_symbols(const std::vector<std::string> &args)
{
	TargetOptions target;
	std::string output;
	po::options_description desc("klp-convert symbols");
	add_target_options(desc, target);
	desc.add_options()("output,o", po::value(&output), "the symbol map to write")("help,h",
										 "this text");
	po::variables_map vm;
	try {
		po::store(po::command_line_parser(args).options(desc).run(), vm);
		po::notify(vm);
	} catch (const po::error &e) {
		return usage(e.what());
	}
	if (vm.count("help")) {
		std::cout << usage_text << desc;
		return exit_ok;
	}
	if (output.empty())
		return usage("symbols: -o symbols.klp is required");
	if (target.vmlinux.empty() && target.kallsyms.empty())
		return usage("symbols: --vmlinux or --kallsyms is required");
	auto map = load_target(target);
	if (!map)
		return fail(map.error());
	if (auto written = map->write(output); !written)
		return fail(written.error());
	return exit_ok;
}

int run_check(const std::string &module, const TargetOptions &target)
{
	if (target.empty())
		return usage("--check needs the target: --vmlinux, --kallsyms, --module or --symbols");
	if (!target.symbols.empty() &&
	    (!target.vmlinux.empty() || !target.kallsyms.empty() || !target.modules.empty()))
		return usage("--symbols replaces --vmlinux, --kallsyms and --module; give one or "
			     "the others");
	auto map = load_target(target);
	if (!map)
		return fail(map.error());
	auto problems = check_module(module, *map);
	if (!problems)
		return fail(problems.error());
	for (const std::string &line : *problems)
		std::printf("%s\n", line.c_str());
	return problems->empty() ? exit_ok : exit_error;
}

int run_main(const std::vector<std::string> &args)
{
	ConvertOptions opts;
	TargetOptions target;
	std::string check;
	std::vector<std::string> sign;
	std::string kernel_dir;
	std::string core;
	SignOptions sign_opts;
	std::vector<std::string> files;

	po::options_description desc("klp-convert");
	desc.add_options()("core", po::value(&core),
			   "kernel (default): .klp.rela sections for CONFIG_LIVEPATCH; bundled: "
			   "the .klpkit.relocs table of klpkit-core.ko")(
		"symbols", po::value(&target.symbols),
		"symbols.klp: resolve a hand-written module's undefined references")(
		"sign", new TwoTokens(&sign), "KEY CERT: sign the converted module")(
		"kernel-dir", po::value(&kernel_dir),
		"the target's build tree (scripts/sign-file, CONFIG_MODULE_SIG_HASH)")(
		"sign-file", po::value(&sign_opts.sign_file), "the sign-file program to use")(
		"sign-hash", po::value(&sign_opts.hash), "hash algorithm for sign-file")(
		"check", po::value(&check), "FILE.ko: verify a finished livepatch module")(
		"help,h", "this text");
	add_target_options(desc, target);
	po::options_description hidden;
	hidden.add_options()("files", po::value(&files));
	po::options_description all;
	all.add(desc).add(hidden);
	po::positional_options_description positional;
	positional.add("files", -1);

	po::variables_map vm;
	try {
		po::store(po::command_line_parser(args).options(all).positional(positional).run(),
			  vm);
		po::notify(vm);
	} catch (const po::error &e) {
		return usage(e.what());
	}
	if (vm.count("help")) {
		std::cout << usage_text << desc;
		return exit_ok;
	}
	if (!check.empty()) {
		if (!files.empty() || !sign.empty())
			return usage("--check takes no IN.ko OUT.ko and no --sign");
		if (vm.count("core"))
			return usage("--check knows a bundled-core module by its .klpkit.relocs; "
				     "--core is for conversion");
		return run_check(check, target);
	}
	if (!target.vmlinux.empty() || !target.kallsyms.empty() || !target.modules.empty() ||
	    !target.symvers.empty())
		return usage("--vmlinux, --kallsyms, --module and --symvers belong to 'symbols' "
			     "and --check; conversion reads a symbol map (--symbols)");
	if (files.size() != 2)
		return usage("expected IN.ko OUT.ko");
	opts.input = files[0];
	opts.output = files[1];
	opts.symbols = target.symbols;
	if (core == "bundled")
		opts.core = Core::bundled;
	else if (!core.empty() && core != "kernel")
		return usage("--core is kernel or bundled, not '" + core + "'");
	if (!sign.empty()) {
		sign_opts.key = sign[0];
		sign_opts.cert = sign[1];
		// An explicit --sign-hash wins over the tree's .config.
		std::string hash = vm.count("sign-hash") ? sign_opts.hash : "";
		if (auto done = complete_sign_options(sign_opts, kernel_dir); !done)
			return usage(done.error().message());
		if (!hash.empty())
			sign_opts.hash = hash;
		opts.sign = sign_opts;
	} else if (!kernel_dir.empty() || vm.count("sign-file") || vm.count("sign-hash")) {
		return usage("--kernel-dir, --sign-file and --sign-hash go with --sign KEY CERT");
	}
	if (auto done = convert_module(opts); !done)
		return fail(done.error());
	return exit_ok;
}

} // namespace

int main(int argc, char **argv)
{
	std::vector<std::string> args(argv + 1, argv + argc);
	if (!args.empty() && args[0] == "symbols")
		return run_symbols({args.begin() + 1, args.end()});
	return run_main(args);
}
