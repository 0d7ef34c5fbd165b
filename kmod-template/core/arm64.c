// SPDX-License-Identifier: GPL-2.0
/*
 * arm64.c: the relocations of .klpkit.relocs on arm64, written by the core
 * itself. The kernel's apply_relocate_add() cannot do it for a live module:
 * up to 6.16 it stores into the module's text, read-only by now, and a
 * branch out of range takes a PLT entry from the section the loader sized
 * and freed when the module was loaded. So each type is computed and
 * range-checked here (the AArch64 ELF ABI's formulas), instructions are
 * written with aarch64_insn_patch_text_nosync() and data with
 * aarch64_insn_write(), both through the kernel's text-patching fixmap.
 *
 * A call or tail call whose target is more than 128 MB away (vmlinux, with
 * the module region randomised over 2 GB) goes through a veneer in this
 * module's text, shared by every place that branches to the same address:
 *	ldr	x16, 1f
 *	br	x16		(ret x16 if the target has no BTI landing pad)
 * 1:	.quad	target
 * x16 is IP0, which the procedure call standard lets a veneer clobber. A
 * static function that is only called directly has no `bti c`, and a br to
 * it would fault on a kernel whose text is BTI-guarded; ret is not checked.
 */
#define pr_fmt(fmt) "klpkit-core: " fmt

#include "internal.h"

#include <linux/bitops.h>
#include <linux/elf.h>
#include <linux/sizes.h>
#include <linux/stringify.h>
#include <linux/uaccess.h>

#define VENEERS 1024
#define VENEER_WORDS 4

/* The pool: zero words (udf #0) until a veneer is written over them. */
asm(".pushsection .text.klpkit_veneers, \"ax\", %progbits\n"
    ".balign 16\n"
    "klpkit_veneer_pool:\n"
    ".fill " __stringify(VENEERS * VENEER_WORDS) ", 4, 0\n"
    ".popsection\n");
extern u32 klpkit_veneer_pool[VENEERS][VENEER_WORDS];

static struct {
	int (*patch_text)(void *addr, u32 insn);	/* aarch64_insn_patch_text_nosync */
	int (*write)(void *addr, u32 word);		/* aarch64_insn_write */
} ks;

static DEFINE_MUTEX(veneer_mutex);
static unsigned long veneer_target[VENEERS];
static unsigned int veneer_users[VENEERS];

#define INSN_LDR_X16_LIT8	0x58000050U	/* ldr x16, .+8 */
#define INSN_BR_X16		0xd61f0200U
#define INSN_RET_X16		0xd65f0200U

int klpkit_arch_init(void)
{
	ks.patch_text = klpkit_find_internal("aarch64_insn_patch_text_nosync", true);
	ks.write = klpkit_find_internal("aarch64_insn_write", true);
	return ks.patch_text && ks.write ? 0 : -ENOENT;
}

/* What a br x16 may land on: bti c, bti jc, paciasp, pacibsp. */
static bool landing_pad(unsigned long addr)
{
	u32 insn;

	if (copy_from_kernel_nofault(&insn, (void *)addr, sizeof(insn)))
		return false;
	insn = le32_to_cpu(insn);
	return insn == 0xd503245fU || insn == 0xd50324dfU || insn == 0xd503233fU ||
	       insn == 0xd503237fU;
}

static bool in_branch_range(s64 offset)
{
	return offset >= -SZ_128M && offset < SZ_128M;
}

/* A veneer to target in branch range of place: one already there, or a new one. */
static int get_veneer(unsigned long place, unsigned long target, unsigned long *veneer)
{
	int i, free = -1, ret = 0;

	mutex_lock(&veneer_mutex);
	for (i = 0; i < VENEERS; i++) {
		if (!veneer_users[i]) {
			if (free < 0)
				free = i;
			continue;
		}
		if (veneer_target[i] == target &&
		    in_branch_range((long)klpkit_veneer_pool[i] - (long)place))
			break;
	}
	if (i == VENEERS) {
		u32 *v;

		if (free < 0) {
			pr_err("all %d branch veneers are in use\n", VENEERS);
			ret = -ENOSPC;
			goto out;
		}
		i = free;
		v = klpkit_veneer_pool[i];
		if (!in_branch_range((long)v - (long)place)) {
			pr_err("%pS is out of branch range of %pS and of the core's veneers\n",
			       (void *)target, (void *)place);
			ret = -ERANGE;
			goto out;
		}
		ret = ks.patch_text(&v[2], lower_32_bits(target));
		if (!ret)
			ret = ks.patch_text(&v[3], upper_32_bits(target));
		if (!ret)
			ret = ks.patch_text(&v[1], landing_pad(target) ? INSN_BR_X16 : INSN_RET_X16);
		if (!ret)
			ret = ks.patch_text(&v[0], INSN_LDR_X16_LIT8);
		if (ret)
			goto out;
		veneer_target[i] = target;
		pr_info("veneer %d: %pS, out of branch range of %pS\n", i, (void *)target,
			(void *)place);
	}
	veneer_users[i]++;
	*veneer = (unsigned long)klpkit_veneer_pool[i];
out:
	mutex_unlock(&veneer_mutex);
	return ret;
}

/* A branch at place no longer goes to addr: if addr is a veneer, one user less. */
static void put_veneer(unsigned long addr)
{
	unsigned long pool = (unsigned long)klpkit_veneer_pool;
	unsigned long i = (addr - pool) / (VENEER_WORDS * 4);

	if (addr < pool || i >= VENEERS || addr != (unsigned long)klpkit_veneer_pool[i])
		return;
	mutex_lock(&veneer_mutex);
	if (!WARN_ON_ONCE(!veneer_users[i]))
		veneer_users[i]--;
	mutex_unlock(&veneer_mutex);
}

/* An instruction's immediate field: its bits (mask) and where value goes. */
struct imm_field {
	u32 mask;
	int shift;
};

static u32 set_field(u32 insn, struct imm_field f, u64 bits)
{
	return (insn & ~f.mask) | (((u32)bits << f.shift) & f.mask);
}

/* ADR/ADRP with its 21-bit immediate: immlo in bits 30:29, immhi in 23:5. */
static u32 adr_insn(u32 insn, u64 imm)
{
	insn = set_field(insn, (struct imm_field){ 0x60000000U, 29 }, imm & 3);
	return set_field(insn, (struct imm_field){ 0x00ffffe0U, 5 }, imm >> 2);
}

static bool fits_signed(s64 value, int bits)
{
	return value >= -(1LL << (bits - 1)) && value < (1LL << (bits - 1));
}

static int write_data(unsigned long place, u64 value, int size)
{
	int ret;

	if (place % 4)
		return -EINVAL;
	ret = ks.write((void *)place, lower_32_bits(value));
	if (!ret && size == 8)
		ret = ks.write((void *)(place + 4), upper_32_bits(value));
	return ret;
}

/*
 * The instruction of a branch at place with its imm26 set to reach target,
 * through a veneer where it must.
 */
static int branch_insn(unsigned long place, unsigned long target, u32 insn, u32 *out)
{
	s64 offset = (s64)(target - place);
	unsigned long veneer;
	int ret;

	if (offset % 4)
		return -EINVAL;
	if (!in_branch_range(offset)) {
		ret = get_veneer(place, target, &veneer);
		if (ret)
			return ret;
		offset = (s64)(veneer - place);
	}
	*out = set_field(insn, (struct imm_field){ 0x03ffffffU, 0 }, offset >> 2);
	return 0;
}

/* Where the branch at place goes now (0 if the instruction is not one). */
static unsigned long branch_target(unsigned long place, u32 insn)
{
	s64 imm = sign_extend64(insn & 0x03ffffffU, 25) << 2;

	return place + imm;
}

int klpkit_arch_write_reloc(const struct klpkit_reloc *r, unsigned long value, bool clear)
{
	unsigned long place = (unsigned long)r->loc;
	u64 sa = clear ? 0 : value + r->addend;
	s64 pc = (s64)(sa - place);
	struct imm_field field;
	u64 imm;
	int width = 0;	/* signed bits imm must fit in; 0: none checked */
	int align = 0;	/* low bits of the value that must be zero */
	u32 insn;
	int ret;

	switch (r->type) {
	case R_AARCH64_ABS64:
		return write_data(place, sa, 8);
	case R_AARCH64_PREL64:
		return write_data(place, clear ? 0 : pc, 8);
	case R_AARCH64_ABS32:
		if (!clear && !(fits_signed(sa, 32) || sa <= U32_MAX))
			return -ERANGE;
		return write_data(place, sa, 4);
	case R_AARCH64_PREL32:
		if (!clear && !fits_signed(pc, 32))
			return -ERANGE;
		return write_data(place, clear ? 0 : pc, 4);
	}

	if (place % 4)
		return -EINVAL;
	if (copy_from_kernel_nofault(&insn, (void *)place, sizeof(insn)))
		return -EFAULT;
	insn = le32_to_cpu(insn);

	switch (r->type) {
	case R_AARCH64_CALL26:
	case R_AARCH64_JUMP26:
	{
		unsigned long before = branch_target(place, insn);

		if (clear)
			insn = set_field(insn, (struct imm_field){ 0x03ffffffU, 0 }, 0);
		else if ((ret = branch_insn(place, sa, insn, &insn)))
			return ret;
		ret = ks.patch_text((void *)place, insn);
		if (!ret)
			put_veneer(before);
		return ret;
	}
	case R_AARCH64_ADR_PREL_PG_HI21:
		width = 21;
		fallthrough;
	case R_AARCH64_ADR_PREL_PG_HI21_NC:
		imm = clear ? 0 : (s64)((sa & ~0xfffULL) - (place & ~0xfffUL)) >> 12;
		if (width && !fits_signed(imm, width))
			return -ERANGE;
		return ks.patch_text((void *)place, adr_insn(insn, imm));
	case R_AARCH64_ADR_PREL_LO21:
		imm = clear ? 0 : pc;
		if (!fits_signed(imm, 21))
			return -ERANGE;
		return ks.patch_text((void *)place, adr_insn(insn, imm));
	case R_AARCH64_ADD_ABS_LO12_NC:
		field = (struct imm_field){ 0x003ffc00U, 10 };
		imm = sa & 0xfff;
		break;
	case R_AARCH64_LDST8_ABS_LO12_NC:
	case R_AARCH64_LDST16_ABS_LO12_NC:
	case R_AARCH64_LDST32_ABS_LO12_NC:
	case R_AARCH64_LDST64_ABS_LO12_NC:
	case R_AARCH64_LDST128_ABS_LO12_NC:
		align = r->type == R_AARCH64_LDST8_ABS_LO12_NC ? 0 :
			r->type == R_AARCH64_LDST16_ABS_LO12_NC ? 1 :
			r->type == R_AARCH64_LDST32_ABS_LO12_NC ? 2 :
			r->type == R_AARCH64_LDST64_ABS_LO12_NC ? 3 : 4;
		field = (struct imm_field){ 0x003ffc00U, 10 };
		imm = (sa & 0xfff) >> align;
		break;
	case R_AARCH64_CONDBR19:
	case R_AARCH64_LD_PREL_LO19:
		field = (struct imm_field){ 0x00ffffe0U, 5 };
		width = 21;
		align = 2;
		imm = (u64)pc >> 2;
		break;
	case R_AARCH64_TSTBR14:
		field = (struct imm_field){ 0x0007ffe0U, 5 };
		width = 16;
		align = 2;
		imm = (u64)pc >> 2;
		break;
	default:
		return -ENOEXEC;
	}
	if (clear)
		imm = 0;
	else if ((width && !fits_signed(pc, width)) || ((width ? pc : (s64)sa) & ((1 << align) - 1)))
		return -ERANGE;
	return ks.patch_text((void *)place, set_field(insn, field, imm));
}
