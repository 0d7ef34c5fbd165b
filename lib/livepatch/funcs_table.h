// A linked module's `.klpkit.funcs` (tables.h) read back: for each entry the
// relocation of its new_func, the old_name and objname strings its relocations
// point at, and its sympos. klp-convert's verifier attributes code with it; klpkit
// info lists what a module patches.
#pragma once

#include "elf/object.h"

#include <optional>
#include <string>
#include <vector>

namespace klp::livepatch {

struct FuncsEntry {
	const elf::Relocation *new_func = nullptr; // nothing: no relocation there
	std::optional<std::string> old_name; // nothing: not a string of the module
	std::optional<std::string> objname;
	uint64_t sympos = 0;
};

// The NUL-terminated string at `sym`+`addend`, or nothing if that is not inside
// the contents of a section of the module.
std::optional<std::string> string_at(const elf::Symbol *sym, int64_t addend);

// The whole entries of the module's `.klpkit.funcs` (nothing if it has none, or the
// table was removed). Whether the size is a whole number of entries is the
// caller's to judge.
std::optional<std::vector<FuncsEntry>> read_funcs_table(const elf::Object &obj);

} // namespace klp::livepatch
