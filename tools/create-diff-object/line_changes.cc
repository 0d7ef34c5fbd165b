// Line-number-only differences: decodes the original and the patched function in
// lockstep with LLVM's disassembler and accepts a difference only where it is a
// __LINE__ immediate handed to an allow-listed kernel helper. It does not decide
// what to do with such a function, and it never looks at data sections.
//
// Why WARN_ON needs nothing here: on x86_64 (and arm64) WARN/BUG put the line in
// the __bug_table entry, which is data; the code is `ud2` plus a relocation, the
// same bytes in both objects, so this returns an empty list and the bug-table
// pass keeps or drops the entry. Likewise dynamic-debug descriptors (__dyndbg) and
// .printk_index entries hold lines in data. A WARN whose format takes __LINE__
// (ASSERT_RTNL()) also passes it to __warn_printk in code; the caller's TrapLine
// tells what the entry of its ud2 records, which is what proves it a line.

// LLVM first: llvm/BinaryFormat/ELF.h (from MCContext.h) declares enumerators named
// like the macros of <elf.h>, which line_changes.h brings in through <gelf.h>.
#include <llvm/ADT/ArrayRef.h>
#include <llvm/ADT/Triple.h>
#include <llvm/MC/MCAsmInfo.h>
#include <llvm/MC/MCContext.h>
#include <llvm/MC/MCDisassembler/MCDisassembler.h>
#include <llvm/MC/MCInst.h>
#include <llvm/MC/MCInstPrinter.h>
#include <llvm/MC/MCInstrInfo.h>
#include <llvm/MC/MCRegisterInfo.h>
#include <llvm/MC/MCSubtargetInfo.h>
#include <llvm/MC/MCTargetOptions.h>
#include <llvm/MC/TargetRegistry.h>
#include <llvm/Support/raw_ostream.h>

#include "line_changes.h"

#include "arch/arch.h"

#include <algorithm>
#include <array>
#include <map>
#include <memory>
#include <mutex>
#include <string_view>

extern "C" {
void LLVMInitializeX86TargetInfo();
void LLVMInitializeX86TargetMC();
void LLVMInitializeX86Disassembler();
void LLVMInitializeAArch64TargetInfo();
void LLVMInitializeAArch64TargetMC();
void LLVMInitializeAArch64Disassembler();
}

namespace klp::cdo {
namespace {

using elf::Relocation;
using elf::Section;

// ---------------------------------------------------------------------------
// The architecture's facts are lib/arch's row; what is LLVM's is here: registering
// each target's disassembler.

using arch::Arch;

void init_llvm(uint16_t machine)
{
	if (machine == EM_X86_64) {
		LLVMInitializeX86TargetInfo();
		LLVMInitializeX86TargetMC();
		LLVMInitializeX86Disassembler();
	} else if (machine == EM_AARCH64) {
		LLVMInitializeAArch64TargetInfo();
		LLVMInitializeAArch64TargetMC();
		LLVMInitializeAArch64Disassembler();
	}
}

// ---------------------------------------------------------------------------
// Kernel functions that take __LINE__ and nothing else in that parameter, with the
// parameter's 0-based position. Checked against include/linux/kernel.h,
// include/linux/lockdep.h, kernel/panic.c, fs/ext4/ext4.h, fs/ext4/ext4_jbd2.h and
// fs/btrfs/ from 4.18 to 6.x; a name is listed only if its line position is the
// same in every version that has it, because accepting two positions would accept
// a real change of the other parameter in some version.
//
// Deliberately absent:
// - printk/_printk/dev_*: `pr_err("%s:%d\n", __func__, __LINE__)` passes the line
//   as a variadic argument, indistinguishable from `pr_err("n=%d\n", 5)` becoming
//   `pr_err("n=%d\n", 6)`, a real change. __warn_printk is the exception below,
//   because a trap records the line beside it.
// - __ext4_journal_start_sb: (sb, line, type, ...) before 6.3, (inode, sb, line,
//   type, ...) after; position 2 is the constant `type` in old kernels.
// - xfs assfail/asswarn (an mp argument was added in front of the line) and
//   xfs_corruption_error (line is the 7th argument, on the stack).
// - rcu_read_lock_held() and friends take no line at all.
struct LineTaker {
	std::string_view name;
	unsigned line_arg;
};

const LineTaker line_takers[] = {
	// might_sleep() -> __might_sleep(__FILE__, __LINE__[, 0]) (3 args before 5.16);
	// cond_resched() -> ___might_sleep (< 5.16) / __might_resched (>= 5.16).
	{"__might_sleep", 1},
	{"___might_sleep", 1},
	{"__might_resched", 1},
	{"__might_fault", 1},
	{"__cant_sleep", 1},
	{"__cant_migrate", 1},
	// Rust's might_sleep(): __might_sleep_precision(file, len, line) (6.14+).
	{"__might_sleep_precision", 2},
	// RCU_LOCKDEP_WARN -> lockdep_rcu_suspicious(__FILE__, __LINE__, s).
	{"lockdep_rcu_suspicious", 1},
	// WARN on architectures without __WARN_FLAGS: warn_slowpath_fmt(file, line,
	// [taint,] fmt, ...); before 5.2 also _taint and _null variants.
	{"warn_slowpath_fmt", 1},
	{"warn_slowpath_fmt_taint", 1},
	{"warn_slowpath_null", 1},
	// ext4_error(sb, fmt...) -> __ext4_error(sb, __func__, __LINE__, ...).
	{"__ext4_error", 2},
	{"__ext4_error_inode", 2},
	{"__ext4_error_file", 2},
	{"__ext4_std_error", 2},
	{"__ext4_abort", 2},
	{"__ext4_warning", 2},
	{"__ext4_warning_inode", 2},
	{"__ext4_grp_locked_error", 1},
	// ext4_journal_stop(h) -> __ext4_journal_stop(__func__, __LINE__, h), etc.
	{"__ext4_journal_stop", 1},
	{"__ext4_journal_start_reserved", 1},
	{"__ext4_journal_get_write_access", 1},
	{"__ext4_journal_get_create_access", 1},
	{"__ext4_handle_dirty_metadata", 1},
	{"__ext4_handle_dirty_super", 1},
	{"__ext4_forget", 1},
	// btrfs_abort_transaction(trans, err) -> __btrfs_abort_transaction(trans,
	// __func__, __LINE__, err[, first_hit]).
	{"__btrfs_abort_transaction", 2},
	{"__btrfs_handle_fs_error", 2},
	{"__btrfs_panic", 2},
};

const LineTaker *find_line_taker(std::string_view name)
{
	for (const LineTaker &taker : line_takers)
		if (taker.name == name)
			return &taker;
	return nullptr;
}

// Printers whose line is a variadic argument after the format, with a trap right
// after the call: WARN(cond, fmt, ...) on x86 is `__warn_printk(fmt, ...); ud2`
// with a __bug_table entry for the ud2, and ASSERT_RTNL() is
// WARN_ONCE(!rtnl_is_locked(), "RTNL: assertion failed at %s (%d)\n", __FILE__,
// __LINE__). Any argument may be the line, and `WARN(1, "n=%d", 5)` becoming 6
// must stay a change, so an immediate is taken for the line only where it equals,
// on each side, the line the trap's entry records: one macro expansion has one
// __LINE__.
constexpr std::string_view trap_checked_printers[] = {"__warn_printk"};

bool is_trap_checked_printer(std::string_view name)
{
	return std::find(std::begin(trap_checked_printers), std::end(trap_checked_printers),
			 name) != std::end(trap_checked_printers);
}

// How far after the line move its call may be. GCC sets up the other arguments
// in between (`mov $.LC0,%rdi`, `xor %eax,%eax`, pushes of stack arguments); the
// register checks below, not this bound, are what make the match safe.
constexpr size_t max_call_distance = 16;

// ---------------------------------------------------------------------------
// LLVM's MC layer for one architecture, created on first use and kept.

class Disassembler {
public:
	static Disassembler *get(const Arch &arch);

	bool decode(const Section &sec, uint64_t offset, llvm::MCInst &inst,
		    uint64_t &size) const
	{
		llvm::ArrayRef<uint8_t> bytes(sec.data.data() + offset, sec.data.size() - offset);
		return disasm_->getInstruction(inst, size, bytes, offset, llvm::nulls()) ==
			       llvm::MCDisassembler::Success &&
		       size > 0;
	}
	const llvm::MCInstrDesc &desc(const llvm::MCInst &inst) const
	{
		return mii_->get(inst.getOpcode());
	}
	std::string_view opcode_name(const llvm::MCInst &inst) const
	{
		llvm::StringRef name = mii_->getName(inst.getOpcode());
		return {name.data(), name.size()};
	}
	// "movl $0x1c5, %esi"
	std::string text(const llvm::MCInst &inst, uint64_t offset) const
	{
		std::string out;
		llvm::raw_string_ostream os(out);
		printer_->printInst(&inst, offset, "", *sti_, os);
		os.flush();
		std::replace(out.begin(), out.end(), '\t', ' ');
		out.erase(0, out.find_first_not_of(' '));
		return out;
	}
	// A register number by MC name ("ESI"), or 0.
	unsigned reg(std::string_view name) const
	{
		for (unsigned r = 1; r < mri_->getNumRegs(); r++)
			if (name == mri_->getName(r))
				return r;
		return 0;
	}
	bool regs_overlap(unsigned x, unsigned y) const
	{
		if (x == 0 || y == 0)
			return false;
		for (llvm::MCRegUnitIterator ux(x, mri_.get()); ux.isValid(); ++ux)
			for (llvm::MCRegUnitIterator uy(y, mri_.get()); uy.isValid(); ++uy)
				if (*ux == *uy)
					return true;
		return false;
	}
	// Whether `inst` reads or writes `reg` (or a register sharing bits with it),
	// explicitly or implicitly (`rep movsb` reads %rsi).
	bool touches(const llvm::MCInst &inst, unsigned reg) const
	{
		for (const llvm::MCOperand &op : inst)
			if (op.isReg() && regs_overlap(op.getReg(), reg))
				return true;
		const llvm::MCInstrDesc &d = desc(inst);
		for (unsigned i = 0; i < d.getNumImplicitUses(); i++)
			if (regs_overlap(d.getImplicitUses()[i], reg))
				return true;
		for (unsigned i = 0; i < d.getNumImplicitDefs(); i++)
			if (regs_overlap(d.getImplicitDefs()[i], reg))
				return true;
		return false;
	}

private:
	bool init(const Arch &arch);

	std::unique_ptr<llvm::MCRegisterInfo> mri_;
	std::unique_ptr<llvm::MCAsmInfo> mai_;
	std::unique_ptr<llvm::MCSubtargetInfo> sti_;
	std::unique_ptr<llvm::MCInstrInfo> mii_;
	std::unique_ptr<llvm::MCContext> ctx_;
	std::unique_ptr<llvm::MCDisassembler> disasm_;
	std::unique_ptr<llvm::MCInstPrinter> printer_;
};

// Serialises line_only_changes(): LLVM's MC objects are not documented as safe
// for concurrent use, and the cache below is shared.
std::mutex llvm_mutex;

Disassembler *Disassembler::get(const Arch &arch)
{
	static std::map<uint16_t, std::unique_ptr<Disassembler>> cache;
	auto [it, inserted] = cache.try_emplace(arch.machine);
	if (inserted) {
		auto dis = std::make_unique<Disassembler>();
		if (dis->init(arch))
			it->second = std::move(dis);
	}
	return it->second.get();
}

bool Disassembler::init(const Arch &arch)
{
	init_llvm(arch.machine);
	const std::string triple_name(arch.llvm_triple);
	std::string error;
	const llvm::Target *target = llvm::TargetRegistry::lookupTarget(triple_name, error);
	if (!target)
		return false;
	llvm::Triple triple(triple_name);
	mri_.reset(target->createMCRegInfo(triple_name));
	if (!mri_)
		return false;
	llvm::MCTargetOptions options;
	mai_.reset(target->createMCAsmInfo(*mri_, triple_name, options));
	sti_.reset(target->createMCSubtargetInfo(triple_name, "", ""));
	mii_.reset(target->createMCInstrInfo());
	if (!mai_ || !sti_ || !mii_)
		return false;
	ctx_ = std::make_unique<llvm::MCContext>(triple, mai_.get(), mri_.get(), sti_.get());
	disasm_.reset(target->createMCDisassembler(*sti_, *ctx_));
	printer_.reset(target->createMCInstPrinter(triple, 0 /* AT&T on x86 */, *mai_,
						   *mii_, *mri_));
	if (!disasm_ || !printer_)
		return false;
	printer_->setPrintImmHex(true);
	// Every register the table names must exist, or no match could be trusted.
	for (std::string_view name : arch.line_arg_regs)
		if (!reg(name))
			return false;
	return true;
}

// ---------------------------------------------------------------------------
// The two functions, decoded in lockstep.

struct Insn {
	uint64_t offset = 0;
	uint64_t size = 0;
	llvm::MCInst a, b;
	bool differs = false; // the bytes differ
};

// Both sections are decoded from the same offsets; any instruction that fails to
// decode or decodes to different lengths ends the comparison.
std::optional<std::vector<Insn>> decode_lockstep(const Disassembler &dis, const Section &a,
						 const Section &b)
{
	std::vector<Insn> insns;
	uint64_t offset = 0;
	while (offset < a.data.size()) {
		Insn insn;
		uint64_t size_a = 0, size_b = 0;
		insn.offset = offset;
		if (!dis.decode(a, offset, insn.a, size_a) || !dis.decode(b, offset, insn.b, size_b) ||
		    size_a != size_b)
			return std::nullopt;
		insn.size = size_a;
		insn.differs = !std::equal(a.data.begin() + offset, a.data.begin() + offset + size_a,
					   b.data.begin() + offset);
		insns.push_back(std::move(insn));
		offset += size_a;
	}
	return insns;
}

// The instruction covering `offset`, or null.
const Insn *insn_at(const std::vector<Insn> &insns, uint64_t offset)
{
	auto it = std::upper_bound(insns.begin(), insns.end(), offset,
				   [](uint64_t off, const Insn &insn) { return off < insn.offset; });
	if (it == insns.begin())
		return nullptr;
	--it;
	return offset < it->offset + it->size ? &*it : nullptr;
}

std::vector<const Relocation *> sorted_relocs(const Section &sec)
{
	std::vector<const Relocation *> relocs;
	if (sec.rela)
		for (const Relocation &rel : sec.rela->relocs)
			relocs.push_back(&rel);
	std::stable_sort(relocs.begin(), relocs.end(),
			 [](const Relocation *x, const Relocation *y) { return x->offset < y->offset; });
	return relocs;
}

// The relocations applying to [begin, end), in offset order.
std::vector<const Relocation *> relocs_in(const std::vector<const Relocation *> &relocs,
					  uint64_t begin, uint64_t end)
{
	std::vector<const Relocation *> out;
	for (const Relocation *rel : relocs)
		if (rel->offset >= begin && rel->offset < end)
			out.push_back(rel);
	return out;
}

// ---------------------------------------------------------------------------
// Relocation targets.

bool in_string_section(const Relocation &rel)
{
	return rel.sym && rel.sym->sec && (rel.sym->sec->flags & SHF_STRINGS);
}

// Same offset, same type, targets correlated by the correlation pass with equal
// addends. A string is anonymous: that its sections are twins says nothing about
// which string sits at the addend, so strings are compared by content instead.
bool same_twin(const Relocation &ra, const Relocation &rb)
{
	if (ra.offset != rb.offset || ra.type != rb.type || ra.addend != rb.addend)
		return false;
	if (!ra.sym || !rb.sym)
		return !ra.sym && !rb.sym;
	if (in_string_section(ra) || in_string_section(rb))
		return false;
	// An undefined symbol is resolved by name at link time.
	if (ra.sym->is_undefined() && rb.sym->is_undefined())
		return ra.sym->name == rb.sym->name;
	return ra.sym->twin == rb.sym;
}

bool is_plain_rodata(const Section *sec)
{
	return sec && sec->type == SHT_PROGBITS && sec->is_alloc() &&
	       !(sec->flags & (SHF_WRITE | SHF_EXECINSTR)) &&
	       !(sec->rela && !sec->rela->relocs.empty());
}

// The NUL-terminated string at `offset` of a string section, if it is one.
std::optional<std::string_view> string_at(const Section &sec, int64_t offset)
{
	if (offset < 0 || uint64_t(offset) >= sec.data.size())
		return std::nullopt;
	auto begin = sec.data.begin() + offset;
	auto nul = std::find(begin, sec.data.end(), 0);
	if (nul == sec.data.end())
		return std::nullopt;
	return std::string_view(reinterpret_cast<const char *>(&*begin), nul - begin);
}

// Two references to read-only data without relocations of its own that read the
// same bytes, though the targets are not twins or the addends differ: the
// __FILE__ string at .rodata.str1.1+0x40 in one object and +0x52 in the other,
// because the patch added a string before it; `.rodata.__func__.0` versus
// `.rodata.__func__.3`, which correlation leaves alone.
bool same_rodata(const Arch &arch, const Relocation &ra, const Relocation &rb,
		 const Insn *insn)
{
	if (!ra.sym || !rb.sym || !is_plain_rodata(ra.sym->sec) || !is_plain_rodata(rb.sym->sec))
		return false;
	const Section &sa = *ra.sym->sec, &sb = *rb.sym->sec;
	int64_t bias = 0;
	if (arch.is_biased_pc_relative(ra.type)) {
		if (!insn)
			return false;
		bias = int64_t(insn->offset + insn->size - ra.offset);
	}
	int64_t off_a = int64_t(ra.sym->value) + ra.addend + bias;
	int64_t off_b = int64_t(rb.sym->value) + rb.addend + bias;
	if ((sa.flags & SHF_STRINGS) && (sb.flags & SHF_STRINGS) && sa.entsize == 1 &&
	    sb.entsize == 1) {
		auto str_a = string_at(sa, off_a), str_b = string_at(sb, off_b);
		return str_a && str_b && *str_a == *str_b;
	}
	return off_a == off_b && sa.data == sb.data;
}

// ---------------------------------------------------------------------------
// The one accepted difference.

// The undefined function that a direct call or tail-call jump at `insn` reaches on
// both sides, or "". The target must be undefined: for a function defined in the
// same object (kernel/sched/core.c calling its own __might_sleep) GCC's -fipa-ra
// may know the call preserves %esi and reuse the line value after it, which this
// check could not see.
std::string_view undefined_callee(const Arch &arch, const Disassembler &dis,
				  const Insn &insn,
				  const std::vector<const Relocation *> &relocs_a,
				  const std::vector<const Relocation *> &relocs_b)
{
	const llvm::MCInstrDesc &d = dis.desc(insn.a);
	if (d.isIndirectBranch() || !(d.isCall() || d.isUnconditionalBranch()) || insn.differs)
		return {};
	auto in_a = relocs_in(relocs_a, insn.offset, insn.offset + insn.size);
	auto in_b = relocs_in(relocs_b, insn.offset, insn.offset + insn.size);
	if (in_a.size() != 1 || in_b.size() != 1)
		return {};
	const Relocation &ra = *in_a[0], &rb = *in_b[0];
	for (const Relocation *rel : {&ra, &rb})
		if (!arch.is_call_type(rel->type) || !rel->sym || !rel->sym->is_undefined())
			return {};
	if (ra.sym->name != rb.sym->name)
		return {};
	return ra.sym->name;
}

// Whether the immediates `line_a`/`line_b`, in `reg` when `call` (to a printer of
// trap_checked_printers) is made, are the lines the __bug_table entries of the trap
// right after the call record in each object, and `reg` carries an argument after
// the format.
bool line_checked_by_trap(const Arch &arch, const Disassembler &dis, unsigned reg,
			  int64_t line_a, int64_t line_b, const Insn &call, const Section &a,
			  const Section &b, const TrapLine &trap_line)
{
	if (!trap_line || call.offset + call.size >= a.data.size())
		return false;
	bool variadic = false;
	for (size_t k = 1; k < arch.line_arg_regs.size(); k++)
		variadic |= dis.reg(arch.line_arg_regs[k]) == reg;
	if (!variadic)
		return false;
	auto trap_a = trap_line(a, call.offset + call.size);
	auto trap_b = trap_line(b, call.offset + call.size);
	return trap_a && trap_b && int64_t(*trap_a) == line_a && int64_t(*trap_b) == line_b;
}

// A register and an immediate, and nothing else but a zero shift (arm64's
// `movz w1, #0x1c5, lsl #0`).
bool plain_mov_imm(const llvm::MCInst &mov)
{
	if (mov.getNumOperands() < 2 || !mov.getOperand(0).isReg() || !mov.getOperand(1).isImm())
		return false;
	for (unsigned k = 2; k < mov.getNumOperands(); k++)
		if (!mov.getOperand(k).isImm() || mov.getOperand(k).getImm() != 0)
			return false;
	return true;
}

// Accepts the differing instruction insns[i] if it moves a line number into the
// register that carries the line parameter of the next call, and that call goes to
// an allow-listed function: `mov $0x1c5,%esi; mov $.LC0,%rdi; call __might_sleep`.
// The register may be neither read nor written in between, so the value reaches
// only that call; the call clobbers it (caller-saved), so nothing after sees it.
std::optional<LineChange> line_change_at(const Arch &arch, const Disassembler &dis,
					 const std::vector<Insn> &insns, size_t i,
					 const std::vector<const Relocation *> &relocs_a,
					 const std::vector<const Relocation *> &relocs_b,
					 const Section &a, const Section &b,
					 const TrapLine &trap_line)
{
	const Insn &mov = insns[i];
	if (!relocs_in(relocs_a, mov.offset, mov.offset + mov.size).empty() ||
	    !relocs_in(relocs_b, mov.offset, mov.offset + mov.size).empty())
		return std::nullopt;
	std::string_view opcode = dis.opcode_name(mov.a);
	if (std::find(arch.line_mov_opcodes.begin(), arch.line_mov_opcodes.end(), opcode) ==
		    arch.line_mov_opcodes.end() ||
	    mov.b.getOpcode() != mov.a.getOpcode() || !plain_mov_imm(mov.a) || !plain_mov_imm(mov.b))
		return std::nullopt;
	const llvm::MCOperand &reg_a = mov.a.getOperand(0), &imm_a = mov.a.getOperand(1);
	const llvm::MCOperand &reg_b = mov.b.getOperand(0), &imm_b = mov.b.getOperand(1);
	if (!reg_a.isReg() || !reg_b.isReg() || reg_a.getReg() != reg_b.getReg() ||
	    !imm_a.isImm() || !imm_b.isImm() || imm_a.getImm() == imm_b.getImm())
		return std::nullopt;
	unsigned reg = reg_a.getReg();

	for (size_t j = i + 1; j < insns.size() && j <= i + max_call_distance; j++) {
		const Insn &next = insns[j];
		const llvm::MCInstrDesc &d = dis.desc(next.a);
		bool control = d.isCall() || d.isBranch() || d.isReturn() || d.isTrap() ||
			       d.isBarrier() || d.isTerminator() || d.isIndirectBranch();
		if (!control) {
			if (dis.touches(next.a, reg) || dis.touches(next.b, reg))
				return std::nullopt;
			continue;
		}
		std::string_view callee = undefined_callee(arch, dis, next, relocs_a, relocs_b);
		const LineTaker *taker = find_line_taker(callee);
		bool line = taker ? taker->line_arg < arch.line_arg_regs.size() &&
					    dis.reg(arch.line_arg_regs[taker->line_arg]) == reg
				  : is_trap_checked_printer(callee) &&
					    line_checked_by_trap(arch, dis, reg, imm_a.getImm(),
								 imm_b.getImm(), next, a, b, trap_line);
		if (!line)
			return std::nullopt;
		return LineChange{mov.offset, dis.text(mov.a, mov.offset),
				  dis.text(mov.b, mov.offset), std::string(callee)};
	}
	return std::nullopt;
}

} // namespace

std::optional<std::vector<LineChange>> line_only_changes(const elf::Object &orig,
							  const elf::Section &a,
							  const elf::Object &patched,
							  const elf::Section &b,
							  const SameTarget &same_target,
							  const TrapLine &trap_line)
{
	if (!a.is_text() || !b.is_text() || a.data.size() != b.data.size() ||
	    orig.machine != patched.machine)
		return std::nullopt;
	auto relocs_a = sorted_relocs(a), relocs_b = sorted_relocs(b);
	if (relocs_a.size() != relocs_b.size())
		return std::nullopt;

	// Identical bytes and relocations to twins: nothing to decode.
	bool twins = true;
	for (size_t k = 0; k < relocs_a.size() && twins; k++) {
		const Relocation &ra = *relocs_a[k], &rb = *relocs_b[k];
		twins = ra.offset == rb.offset && ra.type == rb.type &&
			(same_target ? same_target(ra, rb) : same_twin(ra, rb));
	}
	if (twins && a.data == b.data)
		return std::vector<LineChange>{};

	const Arch *arch = klp::arch::find(orig.machine);
	if (!arch)
		return std::nullopt;
	std::unique_lock<std::mutex> lock(llvm_mutex);
	const Disassembler *dis = Disassembler::get(*arch);
	if (!dis)
		return std::nullopt;
	auto insns = decode_lockstep(*dis, a, b);
	if (!insns)
		return std::nullopt;

	// The caller's same_target decodes too (a jump into .altinstr_aux:
	// same_shared_code() -> straight_line_end()): not under the lock, which it takes.
	lock.unlock();
	for (size_t k = 0; k < relocs_a.size(); k++) {
		const Relocation &ra = *relocs_a[k], &rb = *relocs_b[k];
		if (ra.offset != rb.offset || ra.type != rb.type)
			return std::nullopt;
		bool same = same_target ? same_target(ra, rb)
					: same_twin(ra, rb) ||
						  same_rodata(*arch, ra, rb, insn_at(*insns, ra.offset));
		if (!same)
			return std::nullopt;
	}
	lock.lock();

	std::vector<LineChange> changes;
	for (size_t i = 0; i < insns->size(); i++) {
		if (!(*insns)[i].differs)
			continue;
		auto change = line_change_at(*arch, *dis, *insns, i, relocs_a, relocs_b, a, b,
					     trap_line);
		if (!change)
			return std::nullopt;
		changes.push_back(std::move(*change));
	}
	return changes;
}


std::optional<std::vector<uint64_t>> instruction_ends(uint16_t machine, const elf::Section &sec)
{
	const Arch *arch = klp::arch::find(machine);
	if (!arch)
		return std::nullopt;
	std::lock_guard<std::mutex> lock(llvm_mutex);
	Disassembler *dis = Disassembler::get(*arch);
	if (!dis)
		return std::nullopt;
	std::vector<uint64_t> ends;
	llvm::MCInst inst;
	for (uint64_t offset = 0, size = 0; offset < sec.data.size(); offset += size) {
		if (!dis->decode(sec, offset, inst, size))
			return std::nullopt;
		ends.push_back(offset + size);
	}
	return ends;
}

std::optional<uint64_t> straight_line_end(uint16_t machine, const elf::Section &sec,
					  uint64_t offset, size_t max_insns)
{
	const Arch *arch = klp::arch::find(machine);
	if (!arch || !sec.is_text())
		return std::nullopt;
	std::lock_guard<std::mutex> lock(llvm_mutex);
	Disassembler *dis = Disassembler::get(*arch);
	if (!dis)
		return std::nullopt;
	llvm::MCInst inst;
	for (uint64_t size = 0; offset < sec.data.size() && max_insns--; ) {
		if (!dis->decode(sec, offset, inst, size))
			return std::nullopt;
		offset += size;
		const llvm::MCInstrDesc &d = dis->desc(inst);
		if (d.isBarrier() || d.isReturn())
			return offset;
	}
	return std::nullopt;
}

} // namespace klp::cdo
