// The architecture rows: x86_64 and aarch64. ppc64le and s390x add a row here and a
// table in special_sections.cc; the passes do not change.
#include "arch/arch.h"

#include <fmt/format.h>

#include <algorithm>
#include <elf.h>

namespace klp::arch {
namespace {

// ---------------------------------------------------------------------------
// x86_64

constexpr uint32_t x86_abs32[] = {R_X86_64_32, R_X86_64_32S};
constexpr uint32_t x86_biased_pc_relative[] = {R_X86_64_PC32, R_X86_64_PLT32, R_X86_64_PC64};
constexpr uint32_t x86_call[] = {R_X86_64_PLT32, R_X86_64_PC32};

constexpr std::string_view x86_always_exported[] = {
	"__fentry__",
	"__x86_return_thunk",
	"__x86_indirect_thunk_array",
	"__x86_indirect_call_thunk_array",
};

// arch/x86/kernel/module.c __write_relocate_add(): NONE, 64, 32, 32S, PC32, PLT32
// and PC64; anything else is "Unknown rela relocation" (-ENOEXEC).
unsigned x86_64_apply_width(uint32_t type)
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

constexpr std::string_view x86_qemu_args[] = {"-cpu", "max"};

// ---------------------------------------------------------------------------
// aarch64

constexpr uint32_t a64_abs32[] = {R_AARCH64_ABS32};
constexpr uint32_t a64_call[] = {R_AARCH64_CALL26, R_AARCH64_JUMP26};

// arch/arm64/kernel/module.c apply_relocate_add(), the same from 5.10 to 7.x: data
// (ABS/PREL 64/32/16), MOVW groups, and the immediates of adrp/add/ldr/str, b, bl,
// b.cond and tbz. Anything else is "unsupported RELA relocation".
unsigned aarch64_apply_width(uint32_t type)
{
	switch (type) {
	case R_AARCH64_ABS64:
	case R_AARCH64_PREL64:
		return 8;
	case R_AARCH64_ABS16:
	case R_AARCH64_PREL16:
		return 2;
	case R_AARCH64_ABS32:
	case R_AARCH64_PREL32:
	case R_AARCH64_MOVW_UABS_G0_NC:
	case R_AARCH64_MOVW_UABS_G0:
	case R_AARCH64_MOVW_UABS_G1_NC:
	case R_AARCH64_MOVW_UABS_G1:
	case R_AARCH64_MOVW_UABS_G2_NC:
	case R_AARCH64_MOVW_UABS_G2:
	case R_AARCH64_MOVW_UABS_G3:
	case R_AARCH64_MOVW_SABS_G0:
	case R_AARCH64_MOVW_SABS_G1:
	case R_AARCH64_MOVW_SABS_G2:
	case R_AARCH64_MOVW_PREL_G0_NC:
	case R_AARCH64_MOVW_PREL_G0:
	case R_AARCH64_MOVW_PREL_G1_NC:
	case R_AARCH64_MOVW_PREL_G1:
	case R_AARCH64_MOVW_PREL_G2_NC:
	case R_AARCH64_MOVW_PREL_G2:
	case R_AARCH64_MOVW_PREL_G3:
	case R_AARCH64_LD_PREL_LO19:
	case R_AARCH64_ADR_PREL_LO21:
	case R_AARCH64_ADR_PREL_PG_HI21_NC:
	case R_AARCH64_ADR_PREL_PG_HI21:
	case R_AARCH64_ADD_ABS_LO12_NC:
	case R_AARCH64_LDST8_ABS_LO12_NC:
	case R_AARCH64_LDST16_ABS_LO12_NC:
	case R_AARCH64_LDST32_ABS_LO12_NC:
	case R_AARCH64_LDST64_ABS_LO12_NC:
	case R_AARCH64_LDST128_ABS_LO12_NC:
	case R_AARCH64_TSTBR14:
	case R_AARCH64_CONDBR19:
	case R_AARCH64_JUMP26:
	case R_AARCH64_CALL26:
		return 4;
	default:
		return 0;
	}
}

// The types kmod-template/core/arm64.c computes and writes: every one GCC and the
// kernel's asm emit for -mcmodel=small code.
constexpr uint32_t a64_bundled_types[] = {
	R_AARCH64_ABS64,	     R_AARCH64_ABS32,		    R_AARCH64_PREL64,
	R_AARCH64_PREL32,	     R_AARCH64_ADR_PREL_PG_HI21,    R_AARCH64_ADR_PREL_PG_HI21_NC,
	R_AARCH64_ADR_PREL_LO21,     R_AARCH64_ADD_ABS_LO12_NC,     R_AARCH64_LDST8_ABS_LO12_NC,
	R_AARCH64_LDST16_ABS_LO12_NC, R_AARCH64_LDST32_ABS_LO12_NC, R_AARCH64_LDST64_ABS_LO12_NC,
	R_AARCH64_LDST128_ABS_LO12_NC, R_AARCH64_CONDBR19,	    R_AARCH64_LD_PREL_LO19,
	R_AARCH64_TSTBR14,	     R_AARCH64_JUMP26,		    R_AARCH64_CALL26,
};

constexpr std::string_view a64_qemu_args[] = {"-machine", "virt", "-cpu", "max"};

// ---------------------------------------------------------------------------

std::span<const Arch> arches()
{
	static const Arch table[] = {
		{
			.machine = EM_X86_64,
			.kbuild_arch = "x86_64",
			.srcarch = "x86",
			.kconfig = "CONFIG_X86_64",
			.uname = "x86_64",
			.debian_arch = "amd64",
			.gnu_triplet = "x86_64-linux-gnu",
			.llvm_triple = "x86_64-unknown-linux-gnu",
			.reloc_none = R_X86_64_NONE,
			.reloc_abs64 = R_X86_64_64,
			.abs32 = x86_abs32,
			.biased_pc_relative = x86_biased_pc_relative,
			.pc_bias = 4,
			.call_types = x86_call,
			.call_type_is_branch = false,
			.ftrace = FtraceEntry::FentryCall,
			.fentry_symbol = "__fentry__",
			.fentry_reloc_offset = 1,
			.ftrace_section = "__mcount_loc",
			.always_exported = x86_always_exported,
			.special_sections = x86_64_special_sections(),
			.apply_width = x86_64_apply_width,
			.apply_needs_zero = true,
			.bundled_core = true,
			.bundled_types = {},
			.line_arg_regs = {"EDI", "ESI", "EDX", "ECX", "R8D", "R9D"},
			.line_mov_opcodes = {"MOV32ri", "MOV32ri_alt"},
			.qemu_system = "qemu-system-x86_64",
			.qemu_args = x86_qemu_args,
			.console = "ttyS0",
		},
		{
			.machine = EM_AARCH64,
			.kbuild_arch = "arm64",
			.srcarch = "arm64",
			.kconfig = "CONFIG_ARM64",
			.uname = "aarch64",
			.debian_arch = "arm64",
			.gnu_triplet = "aarch64-linux-gnu",
			.llvm_triple = "aarch64-unknown-linux-gnu",
			.reloc_none = R_AARCH64_NONE,
			.reloc_abs64 = R_AARCH64_ABS64,
			.abs32 = a64_abs32,
			.biased_pc_relative = {},
			.pc_bias = 0,
			.call_types = a64_call,
			.call_type_is_branch = true,
			.ftrace = FtraceEntry::PatchableEntry,
			.fentry_symbol = "",
			.fentry_reloc_offset = 0,
			.ftrace_section = "__patchable_function_entries",
			.always_exported = {},
			.special_sections = aarch64_special_sections(),
			.apply_width = aarch64_apply_width,
			.apply_needs_zero = false,
			.bundled_core = true,
			.bundled_types = a64_bundled_types,
			// `mov w1, #0x1c5` is MOVZWi (register, immediate, shift 0).
			.line_arg_regs = {"W0", "W1", "W2", "W3", "W4", "W5"},
			.line_mov_opcodes = {"MOVZWi", ""},
			.qemu_system = "qemu-system-aarch64",
			.qemu_args = a64_qemu_args,
			.console = "ttyAMA0",
		},
	};
	return table;
}

bool contains(std::span<const uint32_t> types, uint32_t type)
{
	return std::find(types.begin(), types.end(), type) != types.end();
}

// The Kconfig symbols of every port, most specific first (CONFIG_X86_64 before
// CONFIG_X86_32), with the names messages use and the arch/ directory.
struct PortOption {
	const char *option;
	const char *name;
	const char *srcarch;
};
constexpr PortOption port_options[] = {
	{"CONFIG_X86_64", "x86_64", "x86"},	  {"CONFIG_X86_32", "i386", "x86"},
	{"CONFIG_ARM64", "arm64", "arm64"},	  {"CONFIG_ARM", "arm", "arm"},
	{"CONFIG_PPC64", "ppc64", "powerpc"},	  {"CONFIG_PPC32", "ppc", "powerpc"},
	{"CONFIG_S390", "s390", "s390"},	  {"CONFIG_RISCV", "riscv", "riscv"},
	{"CONFIG_LOONGARCH", "loongarch", "loongarch"}, {"CONFIG_MIPS", "mips", "mips"},
};

bool config_set(const std::map<std::string, std::string> &config, std::string_view option)
{
	auto it = config.find(std::string(option));
	return it != config.end() && it->second == "y";
}

} // namespace

bool Arch::is_biased_pc_relative(uint32_t type) const { return contains(biased_pc_relative, type); }

bool Arch::is_call_type(uint32_t type) const { return contains(call_types, type); }

bool Arch::bundled_writes(uint32_t type) const
{
	return bundled_types.empty() ? apply_width(type) != 0 : contains(bundled_types, type);
}

int64_t Arch::target_offset(const elf::Relocation &r) const
{
	return is_biased_pc_relative(r.type) ? r.addend + pc_bias : r.addend;
}

bool Arch::is_branch(const elf::Section &sec, const elf::Relocation &r) const
{
	if (!sec.is_text())
		return false;
	if (!is_call_type(r.type))
		return false;
	if (call_type_is_branch)
		return true;
	if (machine != EM_X86_64)
		return false;
	const auto &d = sec.data;
	if (r.offset > d.size())
		return false;
	// e8 call rel32, e9 jmp rel32, 0f 8x jcc rel32 (a conditional tail call).
	if (r.offset >= 1 && (d[r.offset - 1] == 0xe8 || d[r.offset - 1] == 0xe9))
		return true;
	return r.offset >= 2 && d[r.offset - 2] == 0x0f && (d[r.offset - 1] & 0xf0) == 0x80;
}

uint64_t Arch::fentry_reloc_at(const elf::Section &sec, uint64_t func_value) const
{
	static constexpr uint8_t endbr64[] = {0xf3, 0x0f, 0x1e, 0xfa};
	const auto &d = sec.data;
	if (machine == EM_X86_64 && func_value + sizeof endbr64 <= d.size() &&
	    std::equal(std::begin(endbr64), std::end(endbr64), d.begin() + long(func_value)))
		return func_value + sizeof endbr64 + fentry_reloc_offset;
	return func_value + fentry_reloc_offset;
}

bool Arch::is_patchable_site(const elf::Section &sec, uint64_t func_value, uint64_t site) const
{
	if (machine != EM_AARCH64)
		return false;
	// `bti c` (d503245f) or `bti jc` (d50324df) first: the NOPs follow it.
	auto insn_at = [&](uint64_t off) -> uint32_t {
		if (off + 4 > sec.data.size())
			return 0;
		const uint8_t *p = sec.data.data() + off;
		return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
	};
	uint32_t first = insn_at(func_value);
	bool bti = first == 0xd503245f || first == 0xd50324df;
	return site == func_value || (bti && site == func_value + 4) ||
	       (func_value >= 8 && site == func_value - 8);
}

bool Arch::is_mapping_symbol(const elf::Symbol &sym) const
{
	if (machine != EM_AARCH64 || sym.type != STT_NOTYPE || !sym.is_local())
		return false;
	// $x, $d, and their $x.<n>/$d.<n> forms (ELF for the Arm 64-bit Architecture).
	const std::string &n = sym.name;
	return n.size() >= 2 && n[0] == '$' && (n[1] == 'x' || n[1] == 'd') &&
	       (n.size() == 2 || n[2] == '.');
}

const SpecialSection *Arch::find_special(std::string_view section_name) const
{
	for (const SpecialSection &s : special_sections)
		if (s.name == section_name)
			return &s;
	return nullptr;
}

const Arch *find(uint16_t machine)
{
	for (const Arch &a : arches())
		if (a.machine == machine)
			return &a;
	return nullptr;
}

const Arch *find_by_config(const std::map<std::string, std::string> &config)
{
	for (const Arch &a : arches())
		if (config_set(config, a.kconfig))
			return &a;
	return nullptr;
}

std::string supported_names()
{
	std::string out;
	for (const Arch &a : arches())
		out += fmt::format("{}{}", out.empty() ? "" : ", ", a.uname);
	return out;
}

static const PortOption *config_port(const std::map<std::string, std::string> &config)
{
	for (const PortOption &p : port_options)
		if (config_set(config, p.option))
			return &p;
	return nullptr;
}

std::string config_arch_name(const std::map<std::string, std::string> &config)
{
	const PortOption *p = config_port(config);
	return p ? p->name : "";
}

std::string config_srcarch(const std::map<std::string, std::string> &config)
{
	const PortOption *p = config_port(config);
	return p ? p->srcarch : "";
}

uint16_t host_machine()
{
#if defined(__x86_64__)
	return EM_X86_64;
#elif defined(__aarch64__)
	return EM_AARCH64;
#elif defined(__powerpc64__)
	return EM_PPC64;
#elif defined(__s390x__)
	return EM_S390;
#else
	return EM_NONE;
#endif
}

std::string machine_name(uint16_t machine)
{
	if (const Arch *a = find(machine))
		return std::string(a->uname);
	return fmt::format("machine {}", machine);
}

std::string reloc_type_name(uint16_t machine, uint32_t type)
{
	if (machine == EM_X86_64) {
		static const char *const names[] = {
			"R_X86_64_NONE",     "R_X86_64_64",	     "R_X86_64_PC32",
			"R_X86_64_GOT32",    "R_X86_64_PLT32",	     "R_X86_64_COPY",
			"R_X86_64_GLOB_DAT", "R_X86_64_JUMP_SLOT",   "R_X86_64_RELATIVE",
			"R_X86_64_GOTPCREL", "R_X86_64_32",	     "R_X86_64_32S",
			"R_X86_64_16",	     "R_X86_64_PC16",	     "R_X86_64_8",
			"R_X86_64_PC8",	     "R_X86_64_DTPMOD64",    "R_X86_64_DTPOFF64",
			"R_X86_64_TPOFF64",  "R_X86_64_TLSGD",	     "R_X86_64_TLSLD",
			"R_X86_64_DTPOFF32", "R_X86_64_GOTTPOFF",    "R_X86_64_TPOFF32",
			"R_X86_64_PC64",     "R_X86_64_GOTOFF64",    "R_X86_64_GOTPC32",
		};
		if (type < std::size(names))
			return names[type];
		if (type == 41)
			return "R_X86_64_GOTPCRELX";
		if (type == 42)
			return "R_X86_64_REX_GOTPCRELX";
	}
	if (machine == EM_AARCH64) {
		struct Name {
			uint32_t type;
			const char *name;
		};
		static constexpr Name names[] = {
			{R_AARCH64_NONE, "R_AARCH64_NONE"},
			{R_AARCH64_ABS64, "R_AARCH64_ABS64"},
			{R_AARCH64_ABS32, "R_AARCH64_ABS32"},
			{R_AARCH64_ABS16, "R_AARCH64_ABS16"},
			{R_AARCH64_PREL64, "R_AARCH64_PREL64"},
			{R_AARCH64_PREL32, "R_AARCH64_PREL32"},
			{R_AARCH64_PREL16, "R_AARCH64_PREL16"},
			{R_AARCH64_MOVW_UABS_G0, "R_AARCH64_MOVW_UABS_G0"},
			{R_AARCH64_MOVW_UABS_G0_NC, "R_AARCH64_MOVW_UABS_G0_NC"},
			{R_AARCH64_MOVW_UABS_G1, "R_AARCH64_MOVW_UABS_G1"},
			{R_AARCH64_MOVW_UABS_G1_NC, "R_AARCH64_MOVW_UABS_G1_NC"},
			{R_AARCH64_MOVW_UABS_G2, "R_AARCH64_MOVW_UABS_G2"},
			{R_AARCH64_MOVW_UABS_G2_NC, "R_AARCH64_MOVW_UABS_G2_NC"},
			{R_AARCH64_MOVW_UABS_G3, "R_AARCH64_MOVW_UABS_G3"},
			{R_AARCH64_LD_PREL_LO19, "R_AARCH64_LD_PREL_LO19"},
			{R_AARCH64_ADR_PREL_LO21, "R_AARCH64_ADR_PREL_LO21"},
			{R_AARCH64_ADR_PREL_PG_HI21, "R_AARCH64_ADR_PREL_PG_HI21"},
			{R_AARCH64_ADR_PREL_PG_HI21_NC, "R_AARCH64_ADR_PREL_PG_HI21_NC"},
			{R_AARCH64_ADD_ABS_LO12_NC, "R_AARCH64_ADD_ABS_LO12_NC"},
			{R_AARCH64_LDST8_ABS_LO12_NC, "R_AARCH64_LDST8_ABS_LO12_NC"},
			{R_AARCH64_TSTBR14, "R_AARCH64_TSTBR14"},
			{R_AARCH64_CONDBR19, "R_AARCH64_CONDBR19"},
			{R_AARCH64_JUMP26, "R_AARCH64_JUMP26"},
			{R_AARCH64_CALL26, "R_AARCH64_CALL26"},
			{R_AARCH64_LDST16_ABS_LO12_NC, "R_AARCH64_LDST16_ABS_LO12_NC"},
			{R_AARCH64_LDST32_ABS_LO12_NC, "R_AARCH64_LDST32_ABS_LO12_NC"},
			{R_AARCH64_LDST64_ABS_LO12_NC, "R_AARCH64_LDST64_ABS_LO12_NC"},
			{R_AARCH64_LDST128_ABS_LO12_NC, "R_AARCH64_LDST128_ABS_LO12_NC"},
			{R_AARCH64_ADR_GOT_PAGE, "R_AARCH64_ADR_GOT_PAGE"},
			{R_AARCH64_LD64_GOT_LO12_NC, "R_AARCH64_LD64_GOT_LO12_NC"},
		};
		for (const Name &n : names)
			if (n.type == type)
				return n.name;
	}
	return fmt::format("reloc type {}", type);
}

} // namespace klp::arch
