// Architecture facts klp-convert needs, in one table: the "no relocation" type that
// neutralises an entry, the pointer-sized absolute type of an annotation record, and
// which types the kernel's apply_relocate_add() writes (and how many bytes).
#pragma once

#include <gelf.h>

#include <cstdint>

namespace klp::convert {

struct ArchTraits {
	uint16_t machine;
	const char *name;
	uint32_t none_type; // R_X86_64_NONE: apply_relocate_add() skips it
	uint32_t abs64_type; // R_X86_64_64: a `void *` in a data record
	// Bytes apply_relocate_add() writes for `type`; 0 if it refuses the type.
	unsigned (*apply_width)(uint32_t type);
};

// arch/x86/kernel/module.c __write_relocate_add(): NONE, 64, 32, 32S, PC32, PLT32
// and PC64; anything else is "Unknown rela relocation" (-ENOEXEC).
inline unsigned x86_64_apply_width(uint32_t type)
{
	switch (type) {
	case R_X86_64_64:
	case R_X86_64_PC64:
		return 8;
	case R_X86_64_32:
	case R_X86_64_32S:
	case R_X86_64_PC32:
	case R_X86_64_PLT32:
		return 4;
	default:
		return 0;
	}
}

inline constexpr ArchTraits arch_table[] = {
	{EM_X86_64, "x86_64", R_X86_64_NONE, R_X86_64_64, x86_64_apply_width},
};

inline const ArchTraits *arch_traits(uint16_t machine)
{
	for (const ArchTraits &arch : arch_table)
		if (arch.machine == machine)
			return &arch;
	return nullptr;
}

} // namespace klp::convert
