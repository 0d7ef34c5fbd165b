// Code sections a whole file shares, entered by jumps from many functions:
// `.altinstr_aux`, where static_cpu_has() tests boot_cpu_data. Decides whether a
// jump of the patched object and one of the original reach equivalent code there.
// Copying that code is include.cc's business.
#pragma once

#include "diff.h"

#include <functional>

namespace klp::cdo {

// Whether `sym` is a shared code section (or a place in one): a code section the
// architecture table copies whole when used, such as .altinstr_aux.
bool is_shared_code(const DiffContext &ctx, const elf::Symbol *sym);

// Whether relocation `p` of the patched and `o` of the original object reach
// equivalent shared code: the straight-line code each designates (up to and with
// its jmp) has the same bytes, and relocations at the same places, of the same
// types, whose targets `same_target(patched, orig)` finds the same. The offsets
// into the section may differ: every block before it may have moved it.
bool same_shared_code(
	const DiffContext &ctx, const elf::Relocation &p, const elf::Relocation &o,
	const std::function<bool(const elf::Relocation &, const elf::Relocation &)> &same_target);

// Finds which parts of each included shared code section the output uses, into
// ctx.shared_reached: a part starts where included code or a kept special-section
// entry enters the section and ends where the next entry point of the object (any
// function's, kept or not) begins. `.altinstr_replacement` holds the replacements
// of every function of the file; copied whole, the others' relocations would
// become livepatch relocations to code the patch never runs.
void reach_shared_code(DiffContext &ctx);

} // namespace klp::cdo
