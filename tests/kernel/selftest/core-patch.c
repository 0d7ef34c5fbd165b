// SPDX-License-Identifier: GPL-2.0
/*
 * patch.c: hand-written stand-ins for diff objects of klpkit_target.ko, for
 * tests/kernel/template-selftest --core bundled (what create-diff-object would write is
 * spelled out). One of PATCH_A..PATCH_D picks the patch:
 *   A  klpkit_target_value() returns 2; a new klpkit_target_sleep()
 *   B  klpkit_target_other() returns 20 (a replace patch: A's value reverts)
 *   C  klpkit_target_value() returns 3 (stacked: built with KLPKIT_REPLACE=0)
 *   D  klpkit_target_value() returns 4; klpkit_target_sleep() KLP_IMMEDIATE
 *   E  klpkit_target_value() returns 5, but its pre-patch callback vetoes it
 *   F  the second static klpkit_target_dup() (sympos 2) returns 2000
 *   G  klpkit_target_dup() without a position: ambiguous, refused at load
 * A's post-patch callback sets a shadow variable (42, on init_task) that B's
 * klpkit_target_other() adds: a shadow variable across an atomic replace. B's
 * post-unpatch callback frees it.
 */
#define KLPKIT_OBJNAME "klpkit_target"

#include <linux/completion.h>
#include <linux/errno.h>
#include <linux/gfp.h>
#include <linux/sched/task.h>
#include "klp-macros.h"

#define SHADOW_ID 0x6b6c7010UL

#define NEW_FN noinline __attribute__((__noipa__))

#define PATCH_FUNC_POS(fn, name, pos)						\
	static struct klpkit_func __klpkit_func_##fn __klpkit_record(".klpkit.funcs") = { \
		.new_func = fn, .old_name = name, .objname = KLPKIT_OBJNAME, .sympos = pos, \
	}
#define PATCH_FUNC(fn, name) PATCH_FUNC_POS(fn, name, 0)

#if defined(PATCH_A) || defined(PATCH_C) || defined(PATCH_D) || defined(PATCH_E)
NEW_FN static int patched_value(void)
{
# if defined(PATCH_A)
	return 2;
# elif defined(PATCH_C)
	return 3;
# elif defined(PATCH_D)
	return 4;
# else
	return 5;
# endif
}
PATCH_FUNC(patched_value, "klpkit_target_value");
#endif

#if defined(PATCH_A) || defined(PATCH_D)
NEW_FN static int patched_sleep(struct completion *done)
{
	wait_for_completion(done);
	return 0;
}
PATCH_FUNC(patched_sleep, "klpkit_target_sleep");
#endif

#ifdef PATCH_D
KLP_IMMEDIATE(patched_sleep);
#endif

#ifdef PATCH_A
static void a_post_patch(struct klp_object *obj)
{
	int *v = KLP_SHADOW_GET_OR_ALLOC(&init_task, SHADOW_ID, int, GFP_KERNEL);

	if (v)
		*v = 42;
}
KLP_POST_PATCH_CALLBACK(a_post_patch);
#endif

#ifdef PATCH_E
static int e_veto(struct klp_object *obj)
{
	klp_printk("core-selftest: pre-patch callback vetoes\n");
	return -EPERM;
}
KLP_PRE_PATCH_CALLBACK(e_veto);
#endif

#ifdef PATCH_B
NEW_FN static int patched_other(void)
{
	int *v = KLP_SHADOW_GET(&init_task, SHADOW_ID, int);

	return 20 + (v ? *v : 0);
}
PATCH_FUNC(patched_other, "klpkit_target_other");

static void b_post_unpatch(struct klp_object *obj)
{
	KLP_SHADOW_FREE(&init_task, SHADOW_ID);
}
KLP_POST_UNPATCH_CALLBACK(b_post_unpatch);
#endif

#if defined(PATCH_F) || defined(PATCH_G)
NEW_FN static int patched_dup(void)
{
	return 2000;
}
# ifdef PATCH_F
PATCH_FUNC_POS(patched_dup, "klpkit_target_dup", 2);
# else
PATCH_FUNC(patched_dup, "klpkit_target_dup");
# endif
#endif
