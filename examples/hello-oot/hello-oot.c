// SPDX-License-Identifier: GPL-2.0
/*
 * hello-oot: klpkit's out-of-tree example module. /proc/hello_oot says hello
 * and counts its readers. The example patch (../hello-oot.patch) changes what
 * it says; the patched function keeps using the module's static counter and
 * calls its static helper, so the livepatch reaches into the module through
 * livepatch relocations (.klp.rela.hello_oot...).
 */
#include <linux/init.h>
#include <linux/module.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>

static unsigned long hello_reads;

/* Out of line on purpose: a call the patched code makes into the module. */
static noinline const char *hello_greeting(void)
{
	return "hello";
}

static int hello_show(struct seq_file *m, void *v)
{
	hello_reads++;
	seq_printf(m, "%s from hello-oot, read %lu times\n", hello_greeting(),
		   hello_reads);
	return 0;
}

static int __init hello_init(void)
{
	if (!proc_create_single("hello_oot", 0444, NULL, hello_show))
		return -ENOMEM;
	return 0;
}

static void __exit hello_exit(void)
{
	remove_proc_entry("hello_oot", NULL);
}

module_init(hello_init);
module_exit(hello_exit);
MODULE_DESCRIPTION("klpkit out-of-tree example");
MODULE_LICENSE("GPL");
