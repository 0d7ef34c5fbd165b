// The tables of special sections: x86_64 and aarch64; ppc64le and s390x add one here.
#include "arch/special_sections.h"

namespace klp::arch {
namespace {

// The tables both architectures have, with the same 6.1 layouts: relative pointers
// in bug_entry, exception_table_entry and jump_entry; a 12-byte struct alt_instr.
constexpr SpecialSection bug_table = {"__bug_table", SpecialKind::PerEntry, 12, "BUG_STRUCT_SIZE",
				      "struct bug_entry", "linux/bug.h"};
constexpr SpecialSection ex_table = {"__ex_table", SpecialKind::PerEntry, 12, "EX_STRUCT_SIZE",
				     "struct exception_table_entry", "asm/extable.h"};
constexpr SpecialSection jump_table = {"__jump_table", SpecialKind::PerEntry, 16, "JUMP_STRUCT_SIZE",
				       "struct jump_entry", "linux/jump_label.h"};
constexpr SpecialSection altinstructions = {".altinstructions", SpecialKind::PerEntry, 12, "ALT_STRUCT_SIZE",
					    "struct alt_instr", "asm/alternative.h"};
constexpr SpecialSection printk_index = {".printk_index", SpecialKind::FormatRecord, 8,
					 "PRINTK_INDEX_STRUCT_SIZE", "void *", ""};

// Sizes as in Linux 6.1 x86_64; sh_entsize, create-diff-object's --entry-size and
// the kpatch environment variables override them for other versions and configs.
// The headers are the ones every 4.18+ kernel has; a type a kernel lacks (struct
// paravirt_patch_site after 6.8) goes with a section that kernel never emits.
constexpr SpecialSection x86_special[] = {
	bug_table, ex_table, jump_table, altinstructions,
	// struct paravirt_patch_site {u8 *instr; u8 type; u8 len;} is 16 bytes, but
	// before "x86/paravirt: Ensure proper alignment" (Linux 6.2; Debian's 6.1.0-57
	// has it) the asm wrote `.balign 8; .quad 771b; .byte type; .byte len;
	// .short clobber` and no padding after the last entry: n entries take
	// 16(n-1)+12 bytes. A last entry needs at least instr, type and len: 10.
	{".parainstructions", SpecialKind::PerEntry, 16, "PARA_STRUCT_SIZE", "struct paravirt_patch_site",
	 "asm/paravirt_types.h", 10},
	{".static_call_sites", SpecialKind::PerEntry, 8, "STATIC_CALL_STRUCT_SIZE", "struct static_call_site",
	 "linux/static_call_types.h"},
	// `.long 671f - .` per entry, written by asm or by objtool.
	{".smp_locks", SpecialKind::PerEntry, 4, "", "int", ""},
	{".retpoline_sites", SpecialKind::PerEntry, 4, "", "int", ""},
	{".return_sites", SpecialKind::PerEntry, 4, "", "int", ""},
	{".call_sites", SpecialKind::PerEntry, 4, "", "int", ""},
	{".ibt_endbr_seal", SpecialKind::PerEntry, 4, "", "int", ""},
	{".kcfi_traps", SpecialKind::PerEntry, 4, "", "int", ""},
	// `static const struct pi_entry *_entry_ptr __section(".printk_index")`: 8-byte
	// pointers, not the pi_entry records they point to.
	printk_index,
	{".orc_unwind_ip", SpecialKind::OrcIp, 4, "", "int", ""},
	{".orc_unwind", SpecialKind::OrcData, 6, "ORC_STRUCT_SIZE", "struct orc_entry", "asm/orc_types.h"},
	{".altinstr_replacement", SpecialKind::WholeIfUsed, 0, "", "", ""},
	{".altinstr_aux", SpecialKind::WholeIfUsed, 0, "", "", ""},
	{".fixup", SpecialKind::WholeIfUsed, 0, "FIXUP_STRUCT_SIZE", "", ""},
};

// Linux 6.1 arm64: struct alt_instr is {s32 orig_offset; s32 alt_offset; u16
// cpufeature; u8 orig_len; u8 alt_len;}, its replacement code in `.subsection 1` of
// the function's section (.altinstr_replacement before 5.x). The ftrace records (__patchable_function_entries) are not
// filtered here: create-diff-object writes them for the functions it takes.
constexpr SpecialSection aarch64_special[] = {
	bug_table, ex_table, jump_table, altinstructions,
	printk_index,
	{".altinstr_replacement", SpecialKind::WholeIfUsed, 0, "", "", ""},
};

} // namespace

std::span<const SpecialSection> x86_64_special_sections() { return x86_special; }

std::span<const SpecialSection> aarch64_special_sections() { return aarch64_special; }

std::optional<uint64_t> x86_alt_replacement_length_offset(uint64_t entry_size)
{
	// {s32 instr_offset; s32 repl_offset; u16 cpuid; u8 instrlen; u8 replacementlen;}
	// is 12 bytes (5.13 to 6.2), 13 with a trailing u8 padlen (up to 5.12); 6.3
	// widened cpuid to u32 ft_flags: 14 bytes, the length at 13.
	switch (entry_size) {
	case 12:
	case 13:
		return 11;
	case 14:
		return 13;
	default:
		return std::nullopt;
	}
}

} // namespace klp::arch
