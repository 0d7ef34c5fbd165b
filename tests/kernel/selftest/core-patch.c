// SPDX-License-Identifier: GPL-2.0
/*
 * patch.c: hand-written stand-ins for diff objects of klpkit_target.ko, for
 * tests/kernel/template-selftest --core bundled (what create-diff-object would write is
 * spelled out). One of PATCH_A..PATCH_D picks the patch:
 *   A  klpkit_target_value() returns 2; a new klpkit_target_sleep()
 *   B  klpkit_target_other() returns 20 (a replace patch: A's value reverts)
 *   C  klpkit_target_value() returns 3 (stacked: built with KLPKIT_REPLACE=0)
 *   D  klpkit_target_value() returns 4; klpkit_target_sleep() KLP_IMMEDIATE
 */
#define KLPKIT_OBJNAME "klpkit_target"

#include <linux/completion.h>
#include "klp-macros.h"

#define NEW_FN noinline __attribute__((__noipa__))

#define PATCH_FUNC(fn, name)							\
	static struct klpkit_func __klpkit_func_##fn __klpkit_record(".klpkit.funcs") = { \
		.new_func = fn, .old_name = name, .objname = KLPKIT_OBJNAME, .sympos = 0, \
	}

#if defined(PATCH_A) || defined(PATCH_C) || defined(PATCH_D)
NEW_FN static int patched_value(void)
{
# if defined(PATCH_A)
	return 2;
# elif defined(PATCH_C)
	return 3;
# else
	return 4;
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

#ifdef PATCH_B
NEW_FN static int patched_other(void)
{
	return 20;
}
PATCH_FUNC(patched_other, "klpkit_target_other");
#endif
