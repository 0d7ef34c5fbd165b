/* SPDX-License-Identifier: GPL-2.0 */
/*
 * arm64-reloc.h: what an AArch64 relocation puts at its place, by the AArch64
 * ELF ABI's formulas, with nothing of the kernel but the types u32, u64, s64
 * and bool and the R_AARCH64_* numbers: arm64.c writes what it computes, and
 * tests/unit/arm64_reloc_test.cc holds it to what GNU ld links.
 */
#ifndef _KLPKIT_ARM64_RELOC_H
#define _KLPKIT_ARM64_RELOC_H

#ifndef fallthrough
#define fallthrough __attribute__((__fallthrough__))
#endif

/* insn with bits in its immediate field: the bits of mask, from bit shift. */
static inline u32 klpkit_a64_set(u32 insn, u32 mask, int shift, u64 bits)
{
	return (insn & ~mask) | (((u32)bits << shift) & mask);
}

/* ADR/ADRP with its 21-bit immediate: immlo in bits 30:29, immhi in 23:5. */
static inline u32 klpkit_a64_adr(u32 insn, u64 imm)
{
	insn = klpkit_a64_set(insn, 0x60000000U, 29, imm & 3);
	return klpkit_a64_set(insn, 0x00ffffe0U, 5, imm >> 2);
}

static inline bool klpkit_a64_fits(s64 value, int bits)
{
	return value >= -(1LL << (bits - 1)) && value < (1LL << (bits - 1));
}

static inline bool klpkit_a64_is_branch(u32 type)
{
	return type == R_AARCH64_CALL26 || type == R_AARCH64_JUMP26;
}

/* Bytes of data the type writes; 0 for the types that patch an instruction. */
static inline int klpkit_a64_data_size(u32 type)
{
	switch (type) {
	case R_AARCH64_ABS64:
	case R_AARCH64_PREL64:
		return 8;
	case R_AARCH64_ABS32:
	case R_AARCH64_PREL32:
		return 4;
	}
	return 0;
}

/* Where the B/BL insn at place goes. */
static inline u64 klpkit_a64_branch_target(u64 place, u32 insn)
{
	u64 imm = (insn & 0x03ffffffU) << 2;

	if (imm & (1ULL << 27))
		imm |= ~((1ULL << 28) - 1);	/* sign-extend imm26 * 4 */
	return place + imm;
}

/*
 * What relocation `type` at place puts there for S + A = sa: *data (of
 * klpkit_a64_data_size() bytes), or *insn with its immediate set. clear: the
 * empty value instead (an immediate of 0, zero data). Returns 0; -ERANGE when
 * the value does not fit (a B/BL more than 128 MB away: the caller's veneer);
 * -EINVAL for a misaligned place or target; -ENOEXEC for a type it does not
 * write (lib/arch's bundled_types lists the same).
 */
static inline int klpkit_a64_reloc(u32 type, u64 place, u64 sa, bool clear, u32 *insn, u64 *data)
{
	s64 pc = (s64)(sa - place);
	u32 mask = 0;
	int shift = 0;
	u64 imm;
	int width = 0;	/* signed bits the value must fit in; 0: none checked */
	int align = 0;	/* low bits of the value that must be zero */

	if (clear)
		sa = pc = 0;
	switch (type) {
	case R_AARCH64_ABS64:
		*data = sa;
		return 0;
	case R_AARCH64_PREL64:
		*data = (u64)pc;
		return 0;
	case R_AARCH64_ABS32:
		/* the ABI's check: -2^31 <= S+A < 2^32 */
		if (!klpkit_a64_fits((s64)sa, 32) && sa > 0xffffffffULL)
			return -ERANGE;
		*data = sa & 0xffffffffULL;
		return 0;
	case R_AARCH64_PREL32:
		if (!klpkit_a64_fits(pc, 32))
			return -ERANGE;
		*data = (u64)pc & 0xffffffffULL;
		return 0;
	}
	if (place % 4)
		return -EINVAL;

	switch (type) {
	case R_AARCH64_CALL26:
	case R_AARCH64_JUMP26:
		mask = 0x03ffffffU;
		shift = 0;
		width = 28;
		align = 2;
		imm = (u64)pc >> 2;
		break;
	case R_AARCH64_ADR_PREL_PG_HI21:
		width = 33;
		fallthrough;
	case R_AARCH64_ADR_PREL_PG_HI21_NC:
		pc = clear ? 0 : (s64)((sa & ~0xfffULL) - (place & ~0xfffULL));
		if (width && !klpkit_a64_fits(pc, width))
			return -ERANGE;
		*insn = klpkit_a64_adr(*insn, (u64)pc >> 12);
		return 0;
	case R_AARCH64_ADR_PREL_LO21:
		if (!klpkit_a64_fits(pc, 21))
			return -ERANGE;
		*insn = klpkit_a64_adr(*insn, (u64)pc);
		return 0;
	case R_AARCH64_ADD_ABS_LO12_NC:
		mask = 0x003ffc00U;
		shift = 10;
		imm = sa & 0xfff;
		break;
	case R_AARCH64_LDST8_ABS_LO12_NC:
	case R_AARCH64_LDST16_ABS_LO12_NC:
	case R_AARCH64_LDST32_ABS_LO12_NC:
	case R_AARCH64_LDST64_ABS_LO12_NC:
	case R_AARCH64_LDST128_ABS_LO12_NC:
		align = type == R_AARCH64_LDST8_ABS_LO12_NC ? 0 :
			type == R_AARCH64_LDST16_ABS_LO12_NC ? 1 :
			type == R_AARCH64_LDST32_ABS_LO12_NC ? 2 :
			type == R_AARCH64_LDST64_ABS_LO12_NC ? 3 : 4;
		mask = 0x003ffc00U;
		shift = 10;
		imm = (sa & 0xfff) >> align;
		if (sa & ((1U << align) - 1))
			return -EINVAL;
		align = 0;
		break;
	case R_AARCH64_CONDBR19:
	case R_AARCH64_LD_PREL_LO19:
		mask = 0x00ffffe0U;
		shift = 5;
		width = 21;
		align = 2;
		imm = (u64)pc >> 2;
		break;
	case R_AARCH64_TSTBR14:
		mask = 0x0007ffe0U;
		shift = 5;
		width = 16;
		align = 2;
		imm = (u64)pc >> 2;
		break;
	default:
		return -ENOEXEC;
	}
	if (pc & ((1 << align) - 1))
		return -EINVAL;
	if (width && !klpkit_a64_fits(pc, width))
		return -ERANGE;
	*insn = klpkit_a64_set(*insn, mask, shift, imm);
	return 0;
}

#endif /* _KLPKIT_ARM64_RELOC_H */
