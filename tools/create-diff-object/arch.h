// Architecture facts the passes need, in one table per architecture (mold's idea):
// relocation types, how a branch is recognised, the ftrace entry, and the special
// sections with their default entry sizes. Passes never test e_machine themselves.
#pragma once

#include "elf/object.h"
#include "livepatch/special_sections.h"

#include <span>
#include <string_view>

namespace klp::cdo {

// The special sections and their entry layouts are the livepatch library's
// (lib/livepatch/special_sections.h): klp-build reads the same table.
using livepatch::SpecialKind;
using livepatch::SpecialSection;

struct ArchTraits {
	uint16_t machine;
	uint32_t reloc_none;
	uint32_t reloc_abs64;
	// Absolute relocation types of a 4-byte field (DWARF's string and section
	// offsets: R_X86_64_32 .debug_str+0x4cb9).
	std::span<const uint32_t> abs32;
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
	// Where the relocation of `func`'s `call __fentry__` is: right after the call
	// opcode at the start, or after an x86 `endbr64` first (X86_KERNEL_IBT).
	uint64_t fentry_reloc_at(const elf::Section &sec, uint64_t func_value) const;
	// True if the relocation is the operand of a direct call or jump (not an
	// address taken), judged from the opcode bytes before it.
	bool is_branch(const elf::Section &sec, const elf::Relocation &r) const;
	const SpecialSection *find_special(std::string_view section_name) const;
};

// Null for an unsupported machine.
const ArchTraits *arch_traits(uint16_t machine);

} // namespace klp::cdo
