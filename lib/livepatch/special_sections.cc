// The x86_64 table of special sections; aarch64, ppc64le and s390x add one here.
#include "special_sections.h"

namespace klp::livepatch {
namespace {

// Sizes as in Linux 6.1 x86_64; sh_entsize, create-diff-object's --entry-size and
// the kpatch environment variables override them for other versions and configs.
// The headers are the ones every 4.18+ kernel has; a type a kernel lacks (struct
// paravirt_patch_site after 6.8) goes with a section that kernel never emits.
constexpr SpecialSection x86_special[] = {
	{"__bug_table", SpecialKind::PerEntry, 12, "BUG_STRUCT_SIZE", "struct bug_entry", "linux/bug.h"},
	{"__ex_table", SpecialKind::PerEntry, 12, "EX_STRUCT_SIZE", "struct exception_table_entry",
	 "asm/extable.h"},
	{"__jump_table", SpecialKind::PerEntry, 16, "JUMP_STRUCT_SIZE", "struct jump_entry",
	 "linux/jump_label.h"},
	{".altinstructions", SpecialKind::PerEntry, 12, "ALT_STRUCT_SIZE", "struct alt_instr",
	 "asm/alternative.h"},
	{".parainstructions", SpecialKind::PerEntry, 16, "PARA_STRUCT_SIZE", "struct paravirt_patch_site",
	 "asm/paravirt_types.h"},
	{".static_call_sites", SpecialKind::PerEntry, 8, "STATIC_CALL_STRUCT_SIZE", "struct static_call_site",
	 "linux/static_call_types.h"},
	// `.long 671f - .` per entry, written by asm or by objtool.
	{".smp_locks", SpecialKind::PerEntry, 4, "", "int", ""},
	{".retpoline_sites", SpecialKind::PerEntry, 4, "", "int", ""},
	{".return_sites", SpecialKind::PerEntry, 4, "", "int", ""},
	{".call_sites", SpecialKind::PerEntry, 4, "", "int", ""},
	{".ibt_endbr_seal", SpecialKind::PerEntry, 4, "", "int", ""},
	{".kcfi_traps", SpecialKind::PerEntry, 4, "", "int", ""},
	{".printk_index", SpecialKind::PerEntry, 8, "PRINTK_INDEX_STRUCT_SIZE", "struct pi_entry",
	 "linux/printk.h"},
	{".orc_unwind_ip", SpecialKind::OrcIp, 4, "", "int", ""},
	{".orc_unwind", SpecialKind::OrcData, 6, "ORC_STRUCT_SIZE", "struct orc_entry", "asm/orc_types.h"},
	{".altinstr_replacement", SpecialKind::WholeIfUsed, 0, "", "", ""},
	{".altinstr_aux", SpecialKind::WholeIfUsed, 0, "", "", ""},
	{".fixup", SpecialKind::WholeIfUsed, 0, "FIXUP_STRUCT_SIZE", "", ""},
};

} // namespace

std::span<const SpecialSection> x86_64_special_sections() { return x86_special; }

} // namespace klp::livepatch
