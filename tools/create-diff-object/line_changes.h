// Recognises a function whose code differs between the original and the patched
// object only in __LINE__ immediates passed to line-taking kernel helpers
// (`mov $0x1c5,%esi` -> `mov $0x1c7,%esi` before `call __might_sleep`). It decodes
// instructions; it does not read data: a line kept in __bug_table, __dyndbg or
// .printk_index entries is the special-section passes' business, and the caller
// says what a WARN's __bug_table entry records when a line must be checked by it.
#pragma once

#include "elf/object.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace klp::cdo {

// One instruction whose only difference is the line number it passes.
struct LineChange {
	uint64_t offset = 0; // of the instruction, in both sections
	std::string before;  // as disassembled, e.g. "movl $0x1c5, %esi"
	std::string after;   // e.g. "movl $0x1c7, %esi"
	std::string callee;  // the line-taking function it feeds, e.g. "__might_sleep"
};

// Whether a relocation of the original and one of the patched function, at the same
// offset and of the same type, designate the same target.
using SameTarget =
	std::function<bool(const elf::Relocation &orig, const elf::Relocation &patched)>;

// The line the __bug_table entry of the trap (ud2) at `offset` of `sec`, a section
// of either object, records; std::nullopt if no entry names that place.
using TrapLine = std::function<std::optional<unsigned>(const elf::Section &sec, uint64_t offset)>;

// Compares one function's section in the original (`a` in `orig`) and the patched
// (`b` in `patched`) object. Returns the line-number-only differences when the code
// differs in nothing else: same size, same instructions with the same lengths,
// opcodes and other operands, relocations at the same offsets with the same types
// whose targets are the same by `same_target`. Without one, a target is the same
// if it is the twin with an equal addend, an undefined symbol of the same name, or
// read-only data of equal content (a __FILE__ string that moved within
// .rodata.str1.1). A caller with a richer rule (`__warned.5` vs `__warned.9`)
// passes it, so that both passes agree. An empty list means the bytes and
// relocations are equivalent. std::nullopt means any other difference,
// an instruction that does not decode, or an architecture without a line table:
// the caller must then treat the function as changed.
//
// A differing instruction is accepted only when all of these hold (x86_64 wording):
// - it is `mov $imm32, %r32` on both sides, same register, only the immediate
//   differs;
// - within the next few instructions, with no branch, return, trap or other call in
//   between and no instruction reading or writing that register, comes a direct
//   call (or tail-call jmp) whose relocation targets an undefined symbol on the
//   allow-list of line-taking functions (__might_sleep, lockdep_rcu_suspicious,
//   __ext4_error, ...), on both sides;
// - the register is the one that carries that function's line parameter under the
//   calling convention (esi for __might_sleep(file, line), edx for
//   __ext4_error(sb, func, line, ...));
// - or the call goes to __warn_printk(fmt, ...), the register carries an argument
//   after the format, and on each side the immediate is the line that `trap_line`
//   gives for the trap right after the call (WARN's ud2): ASSERT_RTNL()'s
//   `__warn_printk("RTNL: assertion failed at %s (%d)\n", __FILE__, __LINE__)`.
//
// The call target must be undefined in both objects (see line_changes.cc for why).
// Safe to call from several threads: the shared LLVM state is locked.
std::optional<std::vector<LineChange>> line_only_changes(const elf::Object &orig,
							  const elf::Section &a,
							  const elf::Object &patched,
							  const elf::Section &b,
							  const SameTarget &same_target = {},
							  const TrapLine &trap_line = {});

// The end offset of every instruction of an executable section, decoded from its
// start; std::nullopt if any instruction does not decode. A PC-relative
// relocation's bias is the distance from its field to the end of its instruction:
// `movb $1, x(%rip)` is R_X86_64_PC32 x-5, not x-4.
std::optional<std::vector<uint64_t>> instruction_ends(uint16_t machine,
						      const elf::Section &sec);

// The end of the straight-line code that starts at `offset` of an executable
// section: just past the first instruction execution cannot fall through (an
// unconditional jmp, a ret, a ud2), within `max_insns` instructions. std::nullopt
// if an instruction does not decode or none ends the run in time.
// static_cpu_has()'s block in .altinstr_aux, `testb $0x1,cap(%rip); jnz t_yes;
// jmp t_no`, ends after its jmp.
std::optional<uint64_t> straight_line_end(uint16_t machine, const elf::Section &sec,
					  uint64_t offset, size_t max_insns = 16);

} // namespace klp::cdo
