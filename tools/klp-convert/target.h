// The target kernel from the command line: vmlinux or a kallsyms dump, modules, and
// Module.symvers, turned into a SymbolMap (symbols.cc); and the verifier that checks
// a finished livepatch module against it (check.cc).
#pragma once

#include "elf/error.h"
#include "symbol_map.h"

#include <string>
#include <vector>

namespace klp::convert {

struct TargetOptions {
	std::string vmlinux; // ELF or `readelf -s --wide` text
	std::string kallsyms; // a /proc/kallsyms dump (vmlinux and loaded modules)
	std::vector<std::string> modules; // NAME=FILE.ko
	std::string symvers; // Module.symvers
	std::string symbols; // a symbols.klp made earlier (instead of all the above)

	bool empty() const
	{
		return vmlinux.empty() && kallsyms.empty() && modules.empty() && symbols.empty();
	}
};

// Loads the target's symbols, positions and exports. Exports come from
// Module.symvers when given, else from the `__ksymtab_<name>` symbols the tables
// hold; a symbols.klp brings its own, to which Module.symvers may add.
Expected<SymbolMap> load_target(const TargetOptions &opts);

// klp-convert --check: one line per problem found in `path` (empty: none). An
// unreadable or malformed module is an error, not a problem.
Expected<std::vector<std::string>> check_module(const std::string &path, const SymbolMap &target);

} // namespace klp::convert
