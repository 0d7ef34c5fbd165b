// Inclusion helpers shared by include.cc and special_sections.cc.
#pragma once

#include "diff.h"

namespace klp::cdo {

// Adds `sec` of the patched object to the output (once), noting why.
void include_section(DiffContext &ctx, const elf::Section *sec, const std::string &symbol,
		     const std::string &why);
// Includes what relocation target `t` of included `from` needs copied, if anything.
void include_reference(DiffContext &ctx, const elf::Section *from, const elf::Symbol *t);
// Follows the relocations of everything included so far and includes what only
// the patch can provide.
void include_references(DiffContext &ctx);
// True if `sym` designates the patch's own copy (a changed or new function, new
// data, a fresh special static, an included string section), false if the running
// kernel's original.
bool is_patch_owned(const DiffContext &ctx, const elf::Symbol *sym);

} // namespace klp::cdo
