// Architecture facts the passes need, in one table per architecture (mold's idea):
// relocation types, how a branch is recognised, the ftrace entry, and the special
// sections with their default entry sizes. Passes never test e_machine themselves.
#pragma once

#include "elf/object.h"

#include <span>
#include <string_view>

namespace klp::cdo {

// How the entries of a special section are tied to code.
enum class SpecialKind {
	PerEntry,   // fixed-size entries; keep an entry if it points into included code
	// .printk_index: pointers to struct pi_entry records (`_entry.N`, in
	// .rodata._entry.N), which name no code; keep an entry if included code
	// passes the record's format string (its first field) to printk.
	FormatRecord,
	OrcIp,      // .orc_unwind_ip: like PerEntry, and .orc_unwind follows its choices
	OrcData,    // .orc_unwind: filtered in step with .orc_unwind_ip
	WholeIfUsed, // a code/data section referenced from kept entries, copied whole
};

struct SpecialSection {
	std::string_view name;
	SpecialKind kind;
	uint64_t default_entry_size; // when sh_entsize is 0 and no option or env says
	std::string_view env;	     // kpatch's environment variable for the size
	// The fewest bytes the last entry may have when the asm that writes the
	// entries aligns before each one and not after: the fields the kernel reads,
	// without the padding that only a following entry would need. 0: the last
	// entry is whole like the others.
	uint64_t min_last_entry = 0;
};

struct ArchTraits {
	uint16_t machine;
	uint32_t reloc_none;
	uint32_t reloc_abs64;
	// PC-relative types whose addend is biased by the distance from the relocated
	// field to the end of the instruction (-4 for `call foo`: R_X86_64_PLT32, foo-4).
	std::span<const uint32_t> pc_relative;
	int64_t pc_bias;
	// The ftrace hook every patchable function starts with (`call __fentry__` at
	// offset 0 with -mfentry; the relocation is at offset 1).
	std::string_view fentry_symbol;
	uint64_t fentry_reloc_offset;
	// Symbols every kernel provides to modules whatever Module.symvers says.
	std::span<const std::string_view> always_exported;
	std::span<const SpecialSection> special_sections;

	bool is_pc_relative(uint32_t type) const;
	// The offset within the target a relocation designates: `call foo` is
	// R_X86_64_PLT32 foo-4 and designates foo+0.
	int64_t target_offset(const elf::Relocation &r) const;
	// True if the relocation is the operand of a direct call or jump (not an
	// address taken), judged from the opcode bytes before it.
	bool is_branch(const elf::Section &sec, const elf::Relocation &r) const;
	const SpecialSection *find_special(std::string_view section_name) const;
};

// Null for an unsupported machine.
const ArchTraits *arch_traits(uint16_t machine);

} // namespace klp::cdo
