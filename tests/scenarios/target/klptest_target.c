// SPDX-License-Identifier: GPL-2.0
/*
 * klptest_target.ko: the out-of-tree module the scenarios (tests/scenarios) patch
 * with klp-build's out-of-tree mode; its source is the tree their patches apply to.
 *
 * /proc/klptest_target reads "<klptest_value()> <klptest_other()> <klptest_third()>"
 * ("1 10 100" unpatched). Writing "sleep" starts the kthread klptest-sleeper, which
 * waits inside klptest_sleep() until "wake" is written: a task in a function a patch
 * replaces. /proc/klptest_count reads klptest_count(), which counts its calls in a
 * static local.
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
/* The one sleeper, held until it is reaped: its exit must not outlive the module. */
static struct task_struct *sleeper_task;
static DEFINE_MUTEX(sleeper_lock);

int klptest_value(void);
int klptest_other(void);
int klptest_third(void);
int klptest_sleep(struct completion *done);
int klptest_count(void);

TARGET_FN int klptest_value(void)
{
	return 1;
}

TARGET_FN int klptest_other(void)
{
	return 10;
}

TARGET_FN int klptest_third(void)
{
	return 100;
}

TARGET_FN int klptest_sleep(struct completion *done)
{
	/* Interruptible: no hung-task report however long a scenario holds it. */
	while (wait_for_completion_interruptible(done))
		;
	return 0;
}

TARGET_FN int klptest_count(void)
{
	static int calls;

	return ++calls;
}

static int sleeper(void *data)
{
	return klptest_sleep(&wake);
}

/* Waits until the sleeper has left; then it runs no more of this module's code. */
static void reap_sleeper(void)
{
	if (!sleeper_task)
		return;
	kthread_stop(sleeper_task);
	put_task_struct(sleeper_task);
	sleeper_task = NULL;
}

static int start_sleeper(void)
{
	struct task_struct *t;
	int ret = 0;

	mutex_lock(&sleeper_lock);
	if (sleeper_task && !completion_done(&wake)) {
		ret = -EBUSY; /* one at a time: "wake" first */
		goto out;
	}
	reap_sleeper();
	reinit_completion(&wake);
	t = kthread_create(sleeper, NULL, "klptest-sleeper");
	if (IS_ERR(t)) {
		complete_all(&wake);
		ret = PTR_ERR(t);
		goto out;
	}
	get_task_struct(t);
	sleeper_task = t;
	wake_up_process(t);
out:
	mutex_unlock(&sleeper_lock);
	return ret;
}

static int target_show(struct seq_file *m, void *v)
{
	seq_printf(m, "%d %d %d\n", klptest_value(), klptest_other(), klptest_third());
	return 0;
}

static int count_show(struct seq_file *m, void *v)
{
	seq_printf(m, "%d\n", klptest_count());
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
		int ret = start_sleeper();

		if (ret)
			return ret;
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
	if (!proc_create("klptest_target", 0600, NULL, &target_ops))
		return -ENOMEM;
	if (!proc_create_single("klptest_count", 0400, NULL, count_show)) {
		remove_proc_entry("klptest_target", NULL);
		return -ENOMEM;
	}
	return 0;
}

static void __exit target_exit(void)
{
	/* A sleeper left behind would run freed code. */
	complete_all(&wake);
	mutex_lock(&sleeper_lock);
	reap_sleeper();
	mutex_unlock(&sleeper_lock);
	remove_proc_entry("klptest_count", NULL);
	remove_proc_entry("klptest_target", NULL);
}

module_init(target_init);
module_exit(target_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("klpkit scenarios' out-of-tree target");
