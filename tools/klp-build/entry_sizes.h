// The sizes of the target's special-section entries, for create-diff-object
// (entry_sizes.cc): read from the objects where they say (sh_entsize), else measured
// in the target's headers, else given by the user (--entry-size), never assumed.
#pragma once

#include "klp_build.h"

#include "arch/arch.h"

#include <map>
#include <string>
#include <vector>

namespace klp::build {

// Special sections of an object whose entries have no sh_entsize (`.altinstructions`,
// `__bug_table`, ... as the kernel's asm writes them; objtool sets it for its own),
// by name, with their sizes in bytes.
Expected<std::map<std::string, uint64_t>> sections_without_entsize(const std::string &object);

// sizeof(TYPE) for every entry type of the special-section table, compiled against
// the target's headers (`run.headers`) with its compiler; a type the headers do not
// define is absent from the answer (struct paravirt_patch_site after 6.8). Cached by
// the headers' config, release and compiler: one make of a few seconds per kernel.
Expected<std::map<std::string, uint64_t>> measure_entry_types(const Options &opts, const KernelRun &run);

// Each needed section (name -> an object that has it) gets the user's size, else its
// type's measured size, else a refusal that names the way out (--entry-size).
Status choose_entry_sizes(const Options &opts, KernelRun &run, const std::map<std::string, std::string> &needed,
			  const std::map<std::string, uint64_t> &measured);

} // namespace klp::build
