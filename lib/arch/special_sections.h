// The kernel's special sections, per architecture: arrays of fixed-size entries tied to code
// by relocations (`.altinstructions`, `__bug_table`, ORC, ...) and the code they point
// into. Per section: how its entries relate to code, the kernel type that lays out
// one entry and the header that defines it (the size changes between versions:
// struct alt_instr is 12 bytes in 6.1, 14 in 6.12), kpatch's environment variable
// for the size, and 6.1's size. One home for create-diff-object, which filters the
// entries, and klp-build, which measures the target's sizes.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace klp::arch {

// How the entries of a special section are tied to code.
enum class SpecialKind {
	PerEntry,    // fixed-size entries; keep an entry if it points into included code
	// .printk_index: pointers to struct pi_entry records (`_entry.N`, in
	// .rodata._entry.N), which name no code; keep an entry if included code
	// passes the record's format string (its first field) to printk.
	FormatRecord,
	OrcIp,       // .orc_unwind_ip: like PerEntry, and .orc_unwind follows its choices
	OrcData,     // .orc_unwind: filtered in step with .orc_unwind_ip
	WholeIfUsed, // a code/data section referenced from kept entries, copied whole
};

struct SpecialSection {
	std::string_view name;
	SpecialKind kind;
	uint64_t default_entry_size; // Linux 6.1's, when nothing better says
	std::string_view env;	     // kpatch's environment variable for the size
	// The C type of one entry ("struct alt_instr", "int" for a `.long` per entry)
	// and the header of the target that defines it; empty for WholeIfUsed.
	std::string_view entry_type;
	std::string_view header;
	// The fewest bytes the last entry may have when the asm that writes the
	// entries aligns before each one and not after: the fields the kernel reads,
	// without the padding that only a following entry would need. 0: the last
	// entry is whole like the others.
	uint64_t min_last_entry = 0;
};

std::span<const SpecialSection> x86_64_special_sections();
std::span<const SpecialSection> aarch64_special_sections();

// Where an x86 `.altinstructions` entry of `entry_size` bytes keeps the length of
// its replacement (struct alt_instr's u8 replacementlen), or nothing for a layout
// not listed. The replacement starts where the entry's second field points.
std::optional<uint64_t> x86_alt_replacement_length_offset(uint64_t entry_size);

} // namespace klp::arch
