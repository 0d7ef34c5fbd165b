/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kpatch-macros.h: kpatch's patch-author interface on klpkit, so that a patch
 * written for kpatch-build (#include "kpatch-macros.h", KPATCH_*_CALLBACK(),
 * KPATCH_IGNORE_*(), KPATCH_PRINTK()) builds with klp-build unchanged. klpkit's
 * own header, not kpatch's: every macro maps onto klp-macros.h, so the
 * records go in klpkit's sections (docs/intermediate-format.md), which
 * create-diff-object carries and kmod-template reads. klp-build puts this
 * directory on the include path of every patched object it compiles.
 *
 * A callback takes the object being patched; kpatch calls its type
 * patch_object, which on the livepatch core is struct klp_object:
 *
 *	static int fix_before(patch_object *obj) { ...; return 0; }
 *	KPATCH_PRE_PATCH_CALLBACK(fix_before);
 *
 * Shadow variables are the kernel's klp_shadow_*() (<linux/livepatch.h>).
 */
#ifndef _KLPKIT_KPATCH_MACROS_H
#define _KLPKIT_KPATCH_MACROS_H

#include "klp-macros.h"

typedef struct klp_object patch_object;

/*
 * One of each per patched object: pre-patch may veto (non-zero), the unpatch
 * ones run only if the matching patch one did. The trailing ';' lets a use
 * with or without its own ';' compile (at file scope an empty declaration is
 * accepted).
 */
#define KPATCH_PRE_PATCH_CALLBACK(fn)	KLP_PRE_PATCH_CALLBACK(fn);
#define KPATCH_POST_PATCH_CALLBACK(fn)	KLP_POST_PATCH_CALLBACK(fn);
#define KPATCH_PRE_UNPATCH_CALLBACK(fn)	KLP_PRE_UNPATCH_CALLBACK(fn);
#define KPATCH_POST_UNPATCH_CALLBACK(fn)	KLP_POST_UNPATCH_CALLBACK(fn);

/* Never patch fn; ignore changes in the section of that name. */
#define KPATCH_IGNORE_FUNCTION(fn)	KLP_IGNORE_FUNCTION(fn);
#define KPATCH_IGNORE_SECTION(name)	KLP_IGNORE_SECTION(name);

/*
 * kpatch.ko could skip its stack check for one function. The livepatch
 * core has no per-function bypass of its consistency model (only the whole
 * patch can be forced, /sys/kernel/livepatch/<patch>/force), so a patch
 * that uses this does not compile: make the change safe to switch to while
 * the old function runs, instead.
 */
#define KPATCH_FORCE_UNSAFE(fn)							\
	_Static_assert(0, "KPATCH_FORCE_UNSAFE(" #fn ") is not supported by "	\
		       "klpkit: livepatch has no per-function bypass of its "	\
		       "consistency model")

/*
 * printk() is __cold: gcc takes a path that calls it for an unlikely one and
 * may move the code around the call to .text.unlikely, or stop inlining what
 * that code calls, so that functions the patch never meant to change differ.
 * KPATCH_PRINTK keeps the call on a branch of its own, behind a condition
 * gcc cannot see through, so that only the branch is cold. Same arguments
 * as printk(), no value.
 */
#define KPATCH_PRINTK(fmt, ...)							\
	do {									\
		int __klpkit_printk_on = 1;					\
										\
		OPTIMIZER_HIDE_VAR(__klpkit_printk_on);				\
		if (__klpkit_printk_on)						\
			printk(fmt, ##__VA_ARGS__);				\
	} while (0)

#endif /* _KLPKIT_KPATCH_MACROS_H */
