// SPDX-License-Identifier: GPL-2.0
/*
 * klpkit-macros-use.c: uses every klp-macros.h macro once, the way a patched
 * kernel file would, for tests/kernel/compile-template (compiled at W=1,
 * never loaded). It defines a syscall klpkit_selftest and a static call of
 * its own so that it needs nothing from the kernel's sources.
 */
#define KLPKIT_OBJNAME "vmlinux"

#include <linux/static_call.h>
#include <linux/syscalls.h>
#include "klp-macros.h"

struct klpkit_use_shadow {
	long calls;
};

static int klpkit_use_double(int x)
{
	return 2 * x;
}

DEFINE_STATIC_CALL(klpkit_use_sc, klpkit_use_double);
DEFINE_STATIC_CALL_NULL(klpkit_use_sc_null, klpkit_use_double);

/* The symbol name as the macro spells it, checked against nm. */
const char klpkit_use_syscall_name[] = KLP_SYSCALL_NAME(klpkit_selftest);

KLP_SYSCALL_DEFINE2(klpkit_selftest, int, a, unsigned long, b)
{
	struct klpkit_use_shadow *s;

	s = KLP_SHADOW_GET_OR_ALLOC(current, 0x6b6c7003UL,
				    struct klpkit_use_shadow, GFP_KERNEL);
	if (s)
		s->calls++;
	KLP_STATIC_CALL_COND(klpkit_use_sc_null, a);
	klp_printk("%s(%d, %lu)\n", KLP_SYSCALL_NAME(klpkit_selftest), a, b);
	return KLP_STATIC_CALL(klpkit_use_sc)(a) + b;
}

static int klpkit_use_pre_patch(struct klp_object *obj)
{
	if (!KLP_SHADOW_ALLOC(obj, 0x6b6c7004UL, long, GFP_KERNEL))
		return -ENOMEM;
	return klpkit_get_state(1) ? 0 : -EINVAL;
}

static void klpkit_use_post_patch(struct klp_object *obj)
{
	klp_pr_warn("%ld\n", *KLP_SHADOW_GET(obj, 0x6b6c7004UL, long));
}

static void klpkit_use_pre_unpatch(struct klp_object *obj)
{
	KLP_SHADOW_FREE(obj, 0x6b6c7004UL);
}

static void klpkit_use_post_unpatch(struct klp_object *obj)
{
	KLP_SHADOW_FREE_ALL(0x6b6c7003UL);
	klp_pr_err("done\n");
}

KLP_PRE_PATCH_CALLBACK(klpkit_use_pre_patch);
KLP_POST_PATCH_CALLBACK(klpkit_use_post_patch);
KLP_PRE_UNPATCH_CALLBACK(klpkit_use_pre_unpatch);
KLP_POST_UNPATCH_CALLBACK(klpkit_use_post_unpatch);
KLP_STATE(1, 2);
KLP_IGNORE_FUNCTION(klpkit_use_double);
KLP_IGNORE_SECTION(".text.unlikely.klpkit_use");
