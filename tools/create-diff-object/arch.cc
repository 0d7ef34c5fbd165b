// The architecture tables: x86_64 now; aarch64, ppc64le and s390x add a table here
// without touching the passes.
#include "arch.h"

#include <algorithm>

namespace klp::cdo {
namespace {

constexpr uint32_t x86_pc_relative[] = {R_X86_64_PC32, R_X86_64_PLT32, R_X86_64_PC64};
constexpr uint32_t x86_abs32[] = {R_X86_64_32, R_X86_64_32S};

constexpr std::string_view x86_always_exported[] = {
	"__fentry__",
	"__x86_return_thunk",
	"__x86_indirect_thunk_array",
	"__x86_indirect_call_thunk_array",
};

const ArchTraits x86_64 = {
	.machine = EM_X86_64,
	.reloc_none = R_X86_64_NONE,
	.reloc_abs64 = R_X86_64_64,
	.abs32 = x86_abs32,
	.pc_relative = x86_pc_relative,
	.pc_bias = 4,
	.fentry_symbol = "__fentry__",
	.fentry_reloc_offset = 1,
	.always_exported = x86_always_exported,
	.special_sections = livepatch::x86_64_special_sections(),
};

} // namespace

bool ArchTraits::is_pc_relative(uint32_t type) const
{
	return std::find(pc_relative.begin(), pc_relative.end(), type) != pc_relative.end();
}

int64_t ArchTraits::target_offset(const elf::Relocation &r) const
{
	return is_pc_relative(r.type) ? r.addend + pc_bias : r.addend;
}

uint64_t ArchTraits::fentry_reloc_at(const elf::Section &sec, uint64_t func_value) const
{
	static constexpr uint8_t endbr64[] = {0xf3, 0x0f, 0x1e, 0xfa};
	const auto &d = sec.data;
	if (machine == EM_X86_64 && func_value + sizeof endbr64 <= d.size() &&
	    std::equal(std::begin(endbr64), std::end(endbr64), d.begin() + long(func_value)))
		return func_value + sizeof endbr64 + fentry_reloc_offset;
	return func_value + fentry_reloc_offset;
}

bool ArchTraits::is_branch(const elf::Section &sec, const elf::Relocation &r) const
{
	if (machine != EM_X86_64 || !is_pc_relative(r.type) || !sec.is_text())
		return false;
	const auto &d = sec.data;
	// e8 call rel32, e9 jmp rel32, 0f 8x jcc rel32 (a conditional tail call).
	if (r.offset >= 1 && (d[r.offset - 1] == 0xe8 || d[r.offset - 1] == 0xe9))
		return true;
	return r.offset >= 2 && d[r.offset - 2] == 0x0f && (d[r.offset - 1] & 0xf0) == 0x80;
}

const SpecialSection *ArchTraits::find_special(std::string_view section_name) const
{
	for (const SpecialSection &s : special_sections)
		if (s.name == section_name)
			return &s;
	return nullptr;
}

const ArchTraits *arch_traits(uint16_t machine)
{
	return machine == EM_X86_64 ? &x86_64 : nullptr;
}

} // namespace klp::cdo
