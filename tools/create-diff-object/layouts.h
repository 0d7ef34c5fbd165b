// Data layouts: the structs and unions of two objects, from their DWARF, compared
// by size and member placement (layouts.cc). Free of <elf.h>, whose macros clash
// with LLVM's ELF definitions.
#pragma once

#include "elf/error.h"

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

// Unreadable DWARF is an error naming the file.
Expected<LayoutComparison> compare_layouts(const std::string &orig_path, const std::string &patched_path);

} // namespace klp::cdo
