// Data layouts: the structs and unions of two objects, from their DWARF, compared
// by size and member placement (layouts.cc). Free of <elf.h>, whose macros clash
// with LLVM's ELF definitions.
#pragma once

#include "elf/error.h"

#include <cstdint>
#include <string>
#include <vector>

namespace klp::cdo {

struct LayoutComparison {
	bool compared = false;	// both objects have DWARF
	bool one_sided = false; // only one has
	// One line per struct or union both define whose size or members' offsets or
	// sizes differ: "struct foo (include/linux/foo.h:12): size 24 -> 32, new member
	// bar at offset 24". A type only the patched object has is not listed.
	std::vector<std::string> changes;
	// One line per global function (defined in the object or called from it)
	// whose prototype differs, const and volatile aside: "nft_parse_register_load:
	// int (const struct nlattr *, u8 *, u32) -> int (const struct nft_ctx *, ...)".
	std::vector<std::string> prototype_changes;
};

// An object's DWARF as create-diff-object holds it: .debug_info's contents with its
// relocations applied, and the sections its entries point into.
struct DebugSections {
	bool present = false; // the object has a .debug_info
	// Whether dwarf_dies.h's reader may take them (no compression, no relocations
	// elsewhere, nothing unusual); else LLVM reads the file.
	bool usable = false;
	std::vector<uint8_t> info, abbrev, str, line_str;
};

// The objects' DWARF read with dwarf_dies.h when both are usable; a change found
// that way, or DWARF it does not take, is read again with LLVM (which also names
// the file and line of a changed type). Unreadable DWARF is an error naming the
// file.
Expected<LayoutComparison> compare_layouts(const std::string &orig_path, const DebugSections &orig,
					   const std::string &patched_path,
					   const DebugSections &patched);

} // namespace klp::cdo
