// create-diff-object's command line: named options, or kpatch's positional form
// `orig.o patched.o parent-name parent-symtab Module.symvers patch-name output.o`
// so kpatch-build pipelines can swap it in. Errors become one line and exit 1.
#include "cdo.h"
#include "livepatch/exit_codes.h"

#include <boost/program_options.hpp>
#include <fmt/core.h>

#include <cstdio>
#include <iostream>

namespace po = boost::program_options;
using namespace klp::cdo;

namespace {

constexpr const char *usage =
	"usage: create-diff-object --orig ORIG.o --patched PATCHED.o --parent NAME\n"
	"                          --symtab FILE --symvers Module.symvers\n"
	"                          --patch-name NAME -o OUTPUT.o [--json FILE] [--debug]\n"
	"   or: create-diff-object ORIG.o PATCHED.o PARENT SYMTAB Module.symvers PATCH-NAME "
	"OUTPUT.o\n";

int fail(const std::string &message)
{
	fmt::print(stderr, "create-diff-object: error: {}\n", message);
	return klp::kExitError;
}

} // namespace

int main(int argc, char **argv)
{
	Options opts;
	std::vector<std::string> positional;
	po::options_description desc("options");
	// clang-format off
	desc.add_options()
		("help,h", "this help")
		("orig", po::value(&opts.orig_path), "the original object")
		("patched", po::value(&opts.patched_path), "the patched object")
		("parent", po::value(&opts.parent), "the object the code belongs to: vmlinux or a module name")
		("symtab", po::value(&opts.symtab_path), "the parent's symbols: its ELF file, `readelf -s --wide` output or a /proc/kallsyms dump")
		("symvers", po::value(&opts.symvers_path), "the target kernel's Module.symvers")
		("patch-name", po::value(&opts.patch_name), "the livepatch module's name")
		("output,o", po::value(&opts.output_path), "the object to write")
		("json", po::value(&opts.json_path), "write a report of every decision to FILE")
		("patch-references", po::value(&opts.patch_references_path), "FILE: names the patch's patched objects leave undefined, one a line; a new global function that neither this object's included code nor one of those uses is left out (dead code of the patch)")
		("patch-symbols", po::value(&opts.patch_symbols_path), "FILE: globals the patch's other diff objects define anew, one a line; references to them link within the livepatch module")
		("entry-size", po::value<std::vector<std::string>>()->composing(), "SECTION=BYTES: the entry size of a special section (else sh_entsize, else the kpatch environment variables, else the 6.1 layout)")
		("kallsyms-text-only", po::bool_switch(&opts.kallsyms_text_only), "the target's kallsyms lists text only (no CONFIG_KALLSYMS_ALL; the bundled core looks symbols up there): refuse a livepatch relocation to data")
		("debug,d", po::bool_switch(&opts.debug), "print every decision")
		("positional", po::value(&positional), "kpatch's positional form");
	// clang-format on
	po::positional_options_description pos;
	pos.add("positional", -1);
	po::variables_map vm;
	try {
		po::store(po::command_line_parser(argc, argv).options(desc).positional(pos).run(), vm);
		po::notify(vm);
	} catch (const po::error &e) {
		return fail(e.what());
	}
	if (vm.count("help")) {
		std::cout << usage << desc;
		return klp::kExitOk;
	}
	if (!positional.empty()) {
		if (positional.size() != 7)
			return fail(fmt::format("the positional form takes 7 arguments, not {}\n{}",
						positional.size(), usage));
		opts.orig_path = positional[0];
		opts.patched_path = positional[1];
		opts.parent = positional[2];
		opts.symtab_path = positional[3];
		opts.symvers_path = positional[4];
		opts.patch_name = positional[5];
		opts.output_path = positional[6];
	}
	if (vm.count("entry-size")) {
		for (const std::string &spec : vm["entry-size"].as<std::vector<std::string>>()) {
			auto eq = spec.find('=');
			char *end = nullptr;
			unsigned long size = eq == std::string::npos
						     ? 0
						     : std::strtoul(spec.c_str() + eq + 1, &end, 0);
			if (!size || (end && *end))
				return fail(fmt::format("--entry-size {}: expected SECTION=BYTES", spec));
			opts.entry_sizes[spec.substr(0, eq)] = size;
		}
	}
	for (auto [value, name] : {std::pair{&opts.orig_path, "--orig"},
				   {&opts.patched_path, "--patched"},
				   {&opts.symtab_path, "--symtab"},
				   {&opts.symvers_path, "--symvers"},
				   {&opts.output_path, "--output"}}) {
		if (value->empty())
			return fail(fmt::format("{} is missing\n{}", name, usage));
	}
	if (opts.patch_name.empty())
		opts.patch_name = "livepatch";
	opts.exit_after = true;

	auto outcome = create_diff_object(opts);
	if (!outcome)
		return fail(outcome.error().message());
	return exit_code(*outcome);
}
