// SPDX-License-Identifier: GPL-2.0
/*
 * kpatch-macros-use.c: a patched file written for kpatch-build, using every
 * macro of klpkit's kpatch-macros.h and kpatch-syscall.h once, for
 * tests/kernel/compile-template (compiled at W=1, never loaded). The
 * callbacks are used as kpatch's authors write them, with and without the
 * trailing ';'.
 */
#define KLPKIT_OBJNAME "vmlinux"

#include <linux/syscalls.h>
#include "kpatch-macros.h"
#include "kpatch-syscall.h"

static int kpatch_use_calls;

KPATCH_SYSCALL_DEFINE3(klpkit_kpatch_selftest, int, a, unsigned long, b, int, c)
{
	kpatch_use_calls++;
	KPATCH_PRINTK(KERN_INFO "kpatch-macros-use: %d %lu %d\n", a, b, c);
	return a + b + c;
}

static int kpatch_use_pre_patch(patch_object *obj)
{
	int *shadow = klp_shadow_get_or_alloc(obj, 0x6b6c7005UL, sizeof(int),
					      GFP_KERNEL, NULL, NULL);

	return shadow ? 0 : -ENOMEM;
}

static void kpatch_use_post_patch(patch_object *obj)
{
	KPATCH_PRINTK(KERN_INFO "kpatch-macros-use: patched %s\n",
		      obj->name ? obj->name : "vmlinux");
}

static void kpatch_use_pre_unpatch(patch_object *obj)
{
	kpatch_use_calls = 0;
}

static void kpatch_use_post_unpatch(patch_object *obj)
{
	klp_shadow_free(obj, 0x6b6c7005UL, NULL);
}

static int kpatch_use_boot_only(int x)
{
	return x + kpatch_use_calls;
}

int kpatch_use_entry(int x);
int kpatch_use_entry(int x)
{
	return kpatch_use_boot_only(x);
}

KPATCH_PRE_PATCH_CALLBACK(kpatch_use_pre_patch);
KPATCH_POST_PATCH_CALLBACK(kpatch_use_post_patch)
KPATCH_PRE_UNPATCH_CALLBACK(kpatch_use_pre_unpatch);
KPATCH_POST_UNPATCH_CALLBACK(kpatch_use_post_unpatch)
KPATCH_IGNORE_FUNCTION(kpatch_use_boot_only);
KPATCH_IGNORE_SECTION(".text.unlikely.kpatch_use");
