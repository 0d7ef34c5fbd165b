// SPDX-License-Identifier: GPL-2.0
/*
 * target.c: klpkit_target.ko, the module tests/kernel/template-selftest --core bundled patches.
 * /proc/klpkit_target shows "<klpkit_target_value()> <klpkit_target_other()>";
 * writing "sleep" starts a kthread that waits in klpkit_target_sleep() until
 * "wake" is written, so that a task sits in a function a patch replaces.
 * /proc/klpkit_target_dup shows the sum of the two static klpkit_target_dup()
 * (this file's returns 100, core-target2.c's 200): one name, two positions.
 */
#include <linux/completion.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/string.h>
#include <linux/uaccess.h>

/* noipa: callers must call them, not use what gcc knows they return. */
#define TARGET_FN noinline __attribute__((__noipa__))

static struct completion wake;

/* Global, so that each is one function the patches can name. */
int klpkit_target_value(void);
int klpkit_target_other(void);
int klpkit_target_sleep(struct completion *done);
int klpkit_target_dup2(void);

TARGET_FN static int klpkit_target_dup(void)
{
	return 100;
}

static int dup_show(struct seq_file *m, void *v)
{
	seq_printf(m, "%d\n", klpkit_target_dup() + klpkit_target_dup2());
	return 0;
}

TARGET_FN int klpkit_target_value(void)
{
	return 1;
}

TARGET_FN int klpkit_target_other(void)
{
	return 10;
}

TARGET_FN int klpkit_target_sleep(struct completion *done)
{
	wait_for_completion(done);
	return 0;
}

static int sleeper(void *data)
{
	return klpkit_target_sleep(&wake);
}

static int target_show(struct seq_file *m, void *v)
{
	seq_printf(m, "%d %d\n", klpkit_target_value(), klpkit_target_other());
	return 0;
}

static int target_open(struct inode *inode, struct file *file)
{
	return single_open(file, target_show, NULL);
}

static ssize_t target_write(struct file *file, const char __user *ubuf, size_t count,
			    loff_t *ppos)
{
	char buf[8] = "";

	if (copy_from_user(buf, ubuf, min(count, sizeof(buf) - 1)))
		return -EFAULT;
	if (!strncmp(buf, "sleep", 5)) {
		struct task_struct *t;

		reinit_completion(&wake);
		t = kthread_run(sleeper, NULL, "klpkit-sleeper");
		if (IS_ERR(t))
			return PTR_ERR(t);
	} else if (!strncmp(buf, "wake", 4)) {
		complete_all(&wake);
	} else {
		return -EINVAL;
	}
	return count;
}

static const struct proc_ops target_ops = {
	.proc_open = target_open,
	.proc_read = seq_read,
	.proc_lseek = seq_lseek,
	.proc_release = single_release,
	.proc_write = target_write,
};

static int __init target_init(void)
{
	init_completion(&wake);
	complete_all(&wake);
	if (!proc_create("klpkit_target", 0600, NULL, &target_ops))
		return -ENOMEM;
	if (!proc_create_single("klpkit_target_dup", 0400, NULL, dup_show)) {
		remove_proc_entry("klpkit_target", NULL);
		return -ENOMEM;
	}
	return 0;
}

static void __exit target_exit(void)
{
	remove_proc_entry("klpkit_target_dup", NULL);
	remove_proc_entry("klpkit_target", NULL);
}

module_init(target_init);
module_exit(target_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("klpkit core-selftest target");
