// SPDX-License-Identifier: GPL-2.0
/*
 * klpkit-selftest-diff.c: a hand-written stand-in for a diff object, for
 * tests/kernel/template-selftest. It replaces fs/proc/cmdline.c's
 * cmdline_proc_show() in vmlinux, declares all four callbacks and a state
 * with the klp-macros.h macros, and counts reads of /proc/cmdline in a
 * shadow variable. What create-diff-object would write itself (the
 * .klpkit.funcs entry, the callbacks' object name) is spelled out here.
 * Built with -DKLPKIT_SELFTEST_NO_OBJNAME it leaves the callbacks' object
 * name NULL, which the template must refuse.
 */
#ifndef KLPKIT_SELFTEST_NO_OBJNAME
#define KLPKIT_OBJNAME "vmlinux"
#endif

#include <linux/atomic.h>
#include <linux/gfp.h>
#include <linux/seq_file.h>
#include "klp-macros.h"

#define SELFTEST_SHADOW_ID	0x6b6c7001UL
#define SELFTEST_STATE_ID	0x6b6c7002UL

/* The shadow variables hang off this object for the patch's lifetime. */
static int selftest_anchor;

struct selftest_reads {
	atomic_long_t n;
};

static int selftest_cmdline_proc_show(struct seq_file *m, void *v)
{
	struct selftest_reads *r;
	long n = -1;

	r = KLP_SHADOW_GET(&selftest_anchor, SELFTEST_SHADOW_ID,
			   struct selftest_reads);
	if (r)
		n = atomic_long_inc_return(&r->n);
	seq_printf(m, "klpkit-selftest reads=%ld\n", n);
	return 0;
}

static struct klpkit_func selftest_func __klpkit_record(".klpkit.funcs") = {
	.new_func = selftest_cmdline_proc_show,
	.old_name = "cmdline_proc_show",
	.objname = "vmlinux",
	.sympos = 0,
};

static int selftest_pre_patch(struct klp_object *obj)
{
	if (!KLP_SHADOW_ALLOC(&selftest_anchor, SELFTEST_SHADOW_ID,
			      struct selftest_reads, GFP_KERNEL))
		return -ENOMEM;
	klp_printk("selftest: pre_patch callback ran\n");
	return 0;
}

static void selftest_post_patch(struct klp_object *obj)
{
	struct klp_state *state = klpkit_get_state(SELFTEST_STATE_ID);

	klp_printk("selftest: post_patch callback ran, state %s\n",
		   state ? "found" : "missing");
}

static void selftest_pre_unpatch(struct klp_object *obj)
{
	klp_printk("selftest: pre_unpatch callback ran\n");
}

static void selftest_post_unpatch(struct klp_object *obj)
{
	struct selftest_reads *r;

	r = KLP_SHADOW_GET(&selftest_anchor, SELFTEST_SHADOW_ID,
			   struct selftest_reads);
	klp_printk("selftest: post_unpatch callback ran, reads=%ld\n",
		   r ? atomic_long_read(&r->n) : -1L);
	KLP_SHADOW_FREE_ALL(SELFTEST_SHADOW_ID);
}

KLP_PRE_PATCH_CALLBACK(selftest_pre_patch);
KLP_POST_PATCH_CALLBACK(selftest_post_patch);
KLP_PRE_UNPATCH_CALLBACK(selftest_pre_unpatch);
KLP_POST_UNPATCH_CALLBACK(selftest_post_unpatch);
KLP_STATE(SELFTEST_STATE_ID, 1);
