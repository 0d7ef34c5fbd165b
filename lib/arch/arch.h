// One home for architecture facts: a table per machine that every tool reads
// (create-diff-object, klp-convert and its verifier, klp-build, klpkit). A pass asks
// the table; it never tests e_machine itself. A machine without a row is refused by
// each tool with the machines that have one.
//
// Facts, per row:
// - names: kbuild's ARCH= and arch/ directory, the Kconfig symbol, uname -m,
//   Debian's architecture and the GNU triplet of its cross compiler (CROSS_COMPILE);
// - relocations: the types of an absolute field, of a PC-relative field whose addend
//   is biased by the distance to the end of the instruction (x86's `call foo` is
//   foo-4), of a direct call or jump, and the types (with widths) the kernel's
//   apply_relocate_add() writes for a livepatch relocation;
// - the ftrace entry of a function: x86's `call __fentry__` recorded in
//   __mcount_loc, or arm64's NOPs from -fpatchable-function-entry recorded in
//   __patchable_function_entries;
// - the special sections and their entry layouts (special_sections.h);
// - what a __LINE__ argument looks like in code, for the line-only decoder;
// - the QEMU system emulator that boots the architecture's kernels.
#pragma once

#include "arch/special_sections.h"
#include "elf/object.h"

#include <array>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace klp::arch {

// How ftrace finds a function's patchable call site.
enum class FtraceEntry {
	// `call __fentry__` at the start (after `endbr64` with IBT), its address listed
	// in __mcount_loc (x86_64: -pg -mfentry -mrecord-mcount).
	FentryCall,
	// NOPs at the start (after `bti c` with BTI), their address listed in
	// __patchable_function_entries (arm64: -fpatchable-function-entry=2, or 4,2 with
	// CALL_OPS, which puts two of them before the symbol).
	PatchableEntry,
};

struct Arch {
	uint16_t machine;
	std::string_view kbuild_arch;	// ARCH= ("x86_64", "arm64")
	std::string_view srcarch;	// arch/<srcarch> ("x86", "arm64")
	std::string_view kconfig;	// the Kconfig symbol of the 64-bit port
	std::string_view uname;		// uname -m ("x86_64", "aarch64")
	std::string_view debian_arch;	// dpkg's name ("amd64", "arm64")
	std::string_view gnu_triplet;	// "aarch64-linux-gnu": CROSS_COMPILE=<triplet>-
	std::string_view llvm_triple;	// for LLVM's disassembler

	uint32_t reloc_none;
	uint32_t reloc_abs64;
	// Absolute types of a 4-byte field (DWARF's string and section offsets:
	// R_X86_64_32 .debug_str+0x4cb9).
	std::span<const uint32_t> abs32;
	// PC-relative types whose addend is biased by the distance from the field to
	// the end of the instruction (-4 for `call foo`: R_X86_64_PLT32, foo-4). arm64's
	// addends are exact (`bl foo` is R_AARCH64_CALL26 foo+0): it lists none.
	std::span<const uint32_t> biased_pc_relative;
	int64_t pc_bias;
	// Types the operand of a direct call or tail-call jump carries, and whether the
	// type alone proves a branch (arm64's CALL26/JUMP26) or only the opcode does
	// (x86's R_X86_64_PLT32 is also `lea foo(%rip)`'s type).
	std::span<const uint32_t> call_types;
	bool call_type_is_branch;

	FtraceEntry ftrace;
	std::string_view fentry_symbol;	 // FentryCall: "__fentry__"
	uint64_t fentry_reloc_offset;	 // FentryCall: the relocation's offset in the call
	std::string_view ftrace_section; // "__mcount_loc", "__patchable_function_entries"

	// Symbols every kernel provides to modules whatever Module.symvers says.
	std::span<const std::string_view> always_exported;
	std::span<const SpecialSection> special_sections;

	// Bytes the kernel's apply_relocate_add() writes for `type` in a livepatch
	// relocation; 0 if it refuses the type ("unsupported RELA relocation").
	unsigned (*apply_width)(uint32_t type);
	// x86's apply_relocate_add() refuses to write over a nonzero value ("Invalid
	// relocation target, existing value is nonzero"); arm64 writes into the
	// immediate fields of instructions, which are never zero.
	bool apply_needs_zero;
	// The bundled core (kmod-template/core) on this arch: whether it is ported, and
	// which types it writes itself (arm64.c); empty: it hands every type
	// apply_width() knows to the kernel's apply_relocate_add().
	bool bundled_core;
	std::span<const uint32_t> bundled_types;
	bool bundled_writes(uint32_t type) const;

	// The line-only decoder (create-diff-object): the integer argument registers in
	// calling-convention order as LLVM's MC layer names them, in the width of an
	// `int` line parameter, and the MC opcodes that move a 32-bit immediate into one.
	std::array<std::string_view, 6> line_arg_regs;
	std::array<std::string_view, 2> line_mov_opcodes;

	// QEMU: the system emulator, its machine options and the guest's console.
	std::string_view qemu_system;
	std::span<const std::string_view> qemu_args;
	std::string_view console;

	bool is_biased_pc_relative(uint32_t type) const;
	bool is_call_type(uint32_t type) const;
	// The offset within the target a relocation designates: `call foo` is
	// R_X86_64_PLT32 foo-4 and designates foo+0; `bl foo` is R_AARCH64_CALL26 foo+0.
	int64_t target_offset(const elf::Relocation &r) const;
	// True if the relocation is the operand of a direct call or jump (not an address
	// taken): from the type where it tells, else from the opcode bytes before it.
	bool is_branch(const elf::Section &sec, const elf::Relocation &r) const;
	// FentryCall: where the relocation of `func`'s `call __fentry__` is, right after
	// the opcode at the start or after an `endbr64` first (X86_KERNEL_IBT).
	uint64_t fentry_reloc_at(const elf::Section &sec, uint64_t func_value) const;
	// PatchableEntry: true if a __patchable_function_entries record pointing at
	// `site` in `sec` belongs to the function at `func_value`: at its start, after a
	// `bti c`, or two NOPs before it (CALL_OPS).
	bool is_patchable_site(const elf::Section &sec, uint64_t func_value, uint64_t site) const;
	// A name the assembler gives places, not things (arm64's `$x`, `$d` mapping
	// symbols): never correlated, never a relocation target.
	bool is_mapping_symbol(const elf::Symbol &sym) const;
	const SpecialSection *find_special(std::string_view section_name) const;
};

// Null for a machine without a row.
const Arch *find(uint16_t machine);
// The row of a kernel .config (CONFIG_X86_64=y, CONFIG_ARM64=y), or null.
const Arch *find_by_config(const std::map<std::string, std::string> &config);
// "x86_64, aarch64": the machines with a row, for refusals.
std::string supported_names();
// The architecture a kernel .config is for, by its Kconfig symbol, whether or not it
// has a row ("arm", "ppc64", "riscv"); empty if none is set. For messages.
std::string config_arch_name(const std::map<std::string, std::string> &config);
// The arch/ directory (SRCARCH) of a kernel .config, row or not ("x86", "powerpc");
// empty if no port's symbol is set.
std::string config_srcarch(const std::map<std::string, std::string> &config);
// "R_AARCH64_CALL26", or "reloc type N" for a type the table does not name.
std::string reloc_type_name(uint16_t machine, uint32_t type);
// The machine this program runs on (EM_X86_64 on x86_64).
uint16_t host_machine();
// uname -m of an e_machine ("x86_64", "aarch64"), or "machine N".
std::string machine_name(uint16_t machine);

} // namespace klp::arch
