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

#include <linux/elf.h>
#include <linux/stringify.h>
#include <linux/uaccess.h>

#include "arm64-reloc.h"

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

/* Whether a B/BL at place reaches addr (imm26, in words: +-128 MB). */
static bool in_branch_range(unsigned long place, unsigned long addr)
{
	return klpkit_a64_fits((s64)(addr - place), 28);
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
		    in_branch_range(place, (unsigned long)klpkit_veneer_pool[i]))
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
		if (!in_branch_range(place, (unsigned long)v)) {
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

int klpkit_arch_write_reloc(const struct klpkit_reloc *r, unsigned long value, bool clear)
{
	unsigned long place = (unsigned long)r->loc;
	u64 sa = value + r->addend, data = 0;
	int size = klpkit_a64_data_size(r->type);
	unsigned long before = 0, veneer = 0;
	u32 insn = 0;
	int ret;

	if (!size) {
		if (place % 4)
			return -EINVAL;
		if (copy_from_kernel_nofault(&insn, (void *)place, sizeof(insn)))
			return -EFAULT;
		insn = le32_to_cpu(insn);
		if (klpkit_a64_is_branch(r->type))
			before = klpkit_a64_branch_target(place, insn);
	}
	ret = klpkit_a64_reloc(r->type, place, sa, clear, &insn, &data);
	if (ret == -ERANGE && !clear && klpkit_a64_is_branch(r->type)) {
		ret = get_veneer(place, sa, &veneer);
		if (!ret)
			ret = klpkit_a64_reloc(r->type, place, veneer, false, &insn, &data);
	}
	if (!ret)
		ret = size ? write_data(place, data, size) : ks.patch_text((void *)place, insn);
	if (ret) {
		if (veneer)
			put_veneer(veneer);
		return ret;
	}
	/* The branch no longer goes where it went: one user less if that was a veneer. */
	if (before)
		put_veneer(before);
	return 0;
}
