// SPDX-License-Identifier: GPL-2.0
/*
 * core-target2.c: the second file of klpkit_target.ko, so that the module has
 * two static functions named klpkit_target_dup (this one is the second in
 * its symbol table: sympos 2).
 */
#include <linux/compiler.h>

int klpkit_target_dup2(void);

static noinline __attribute__((__noipa__)) int klpkit_target_dup(void)
{
	return 200;
}

int klpkit_target_dup2(void)
{
	return klpkit_target_dup();
}
