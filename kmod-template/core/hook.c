// SPDX-License-Identifier: GPL-2.0
/*
 * hook.c: one ftrace_ops per patched function address, filtered to that
 * address, whose handler moves the instruction pointer to the newest active
 * replacement on the function's stack (or leaves it, for a nop or when none
 * is active). The arch part is how the handler gets the registers and sets
 * the instruction pointer (klpkit_set_ip()); the rest is the kernel's
 * ftrace API on every arch with DYNAMIC_FTRACE_WITH_REGS or _WITH_ARGS.
 */
#define pr_fmt(fmt) "klpkit-core: " fmt

#include "internal.h"

#include <linux/ftrace.h>
#include <linux/rculist.h>
#include <linux/slab.h>

struct klpkit_hook {
	struct list_head node;		/* on hooks */
	unsigned long addr;		/* the function's address */
	unsigned long ip;		/* its ftrace record's (ftrace_entry()) */
	struct ftrace_ops fops;
	struct list_head stack;		/* klpkit_core_func.stack_node, newest first */
};

static LIST_HEAD(hooks);

/* ---- arch: the registers ftrace hands the handler ---- */

#if KLPKIT_FTRACE_HAS_FREGS
typedef struct ftrace_regs klpkit_regs_t;
static __always_inline void klpkit_set_ip(klpkit_regs_t *fregs, unsigned long ip)
{
# ifndef CONFIG_HAVE_DYNAMIC_FTRACE_WITH_ARGS
	/*
	 * ftrace_instruction_pointer_set() is an empty macro on an arch
	 * without _WITH_ARGS (arm64 up to 6.1): the ops save all registers
	 * (KLPKIT_FTRACE_SAVE_REGS) and the pc is set in them.
	 */
	instruction_pointer_set(ftrace_get_regs(fregs), ip);
# elif KLPKIT_HAVE_FREGS_SET_IP
	ftrace_regs_set_instruction_pointer(fregs, ip);
# else
	ftrace_instruction_pointer_set(fregs, ip);
# endif
}
#else
typedef struct pt_regs klpkit_regs_t;
static __always_inline void klpkit_set_ip(klpkit_regs_t *regs, unsigned long ip)
{
	instruction_pointer_set(regs, ip);
}
#endif

/*
 * Where ftrace cannot give the handler the argument registers alone
 * (DYNAMIC_FTRACE_WITH_ARGS: x86_64 from 5.11, arm64, s390, powerpc), it
 * must save all of them for the instruction pointer to be writable.
 */
#ifdef CONFIG_HAVE_DYNAMIC_FTRACE_WITH_ARGS
# define KLPKIT_FTRACE_SAVE_REGS 0
#else
# define KLPKIT_FTRACE_SAVE_REGS FTRACE_OPS_FL_SAVE_REGS
#endif

static void notrace klpkit_handler(unsigned long ip, unsigned long parent_ip,
				   struct ftrace_ops *fops, klpkit_regs_t *regs)
{
	struct klpkit_hook *hook = container_of(fops, struct klpkit_hook, fops);
	struct klpkit_core_func *func;

	preempt_disable_notrace();
	list_for_each_entry_rcu(func, &hook->stack, stack_node) {
		/* Switched under stop_machine(): no handler runs meanwhile. */
		if (!READ_ONCE(func->active))
			continue;
		if (!func->nop)
			klpkit_set_ip(regs, (unsigned long)func->new_func);
		break;
	}
	preempt_enable_notrace();
}

/*
 * How far into a function its ftrace call site can be: x86's after an ENDBR,
 * arm64's after `mov x9, x30` and a BTI landing pad.
 */
#define KLPKIT_MAX_FTRACE_OFFSET 16

/*
 * The ip of a function's ftrace record: the first one in its first bytes.
 * Not what ftrace_set_filter_ip(addr) takes by itself: past an exact match,
 * ftrace_location() takes any record within the symbol's kallsyms extent,
 * and on arm64 that extent can run on over the bodies of overridden weak
 * functions, which keep records of their own and no symbol (6.1's
 * __arm64_sys_umask spans two from kernel/sys.c). The hook would go on one
 * of them and the function itself would run unpatched.
 */
static unsigned long ftrace_entry(unsigned long addr)
{
	unsigned long off;

	for (off = 0; off < KLPKIT_MAX_FTRACE_OFFSET; off++)
		if (klpkit_ftrace_location(addr + off) == addr + off)
			return addr + off;
	return 0;
}

static struct klpkit_hook *find_hook(unsigned long addr)
{
	struct klpkit_hook *hook;

	list_for_each_entry(hook, &hooks, node)
		if (hook->addr == addr)
			return hook;
	return NULL;
}

int klpkit_hook_add(struct klpkit_core_func *func)
{
	struct klpkit_hook *hook;
	int ret;

	lockdep_assert_held(&klpkit_mutex);
	func->active = false;
	hook = find_hook(func->old_addr);
	if (hook) {
		list_add_rcu(&func->stack_node, &hook->stack);
		func->on_stack = true;
		return 0;
	}

	hook = kzalloc(sizeof(*hook), GFP_KERNEL);
	if (!hook)
		return -ENOMEM;
	hook->addr = func->old_addr;
	hook->ip = ftrace_entry(hook->addr);
	if (!hook->ip) {
		pr_err("%s: %ps has no ftrace call site in its first %d bytes\n",
		       func->obj->patch->mod->name, (void *)hook->addr, KLPKIT_MAX_FTRACE_OFFSET);
		kfree(hook);
		return -EINVAL;
	}
	INIT_LIST_HEAD(&hook->stack);
	hook->fops.func = klpkit_handler;
	hook->fops.flags = FTRACE_OPS_FL_DYNAMIC | KLPKIT_FTRACE_SAVE_REGS |
			   FTRACE_OPS_FL_IPMODIFY | FTRACE_OPS_FL_PERMANENT;
	list_add_rcu(&func->stack_node, &hook->stack);

	ret = ftrace_set_filter_ip(&hook->fops, hook->ip, 0, 0);
	if (ret) {
		pr_err("%s: ftrace cannot trace %ps (%d)\n", func->obj->patch->mod->name,
		       (void *)hook->addr, ret);
		kfree(hook);
		return ret;
	}
	ret = register_ftrace_function(&hook->fops);
	if (ret) {
		pr_err("%s: cannot hook %ps (%d)%s\n", func->obj->patch->mod->name,
		       (void *)hook->addr, ret,
		       ret == -EBUSY ? ": another ftrace user modifies its instruction pointer" : "");
		ftrace_set_filter_ip(&hook->fops, hook->ip, 1, 0);
		kfree(hook);
		return ret;
	}
	list_add(&hook->node, &hooks);
	func->on_stack = true;
	return 0;
}

void klpkit_hook_remove(struct klpkit_core_func *func)
{
	struct klpkit_hook *hook;

	lockdep_assert_held(&klpkit_mutex);
	if (!func->on_stack)
		return;
	hook = find_hook(func->old_addr);
	func->on_stack = false;
	func->active = false;
	if (WARN_ON_ONCE(!hook))
		return;
	list_del_rcu(&func->stack_node);
	if (!list_empty(&hook->stack))
		return;
	/* Unregistering waits for every handler that is running to return. */
	WARN_ON(unregister_ftrace_function(&hook->fops));
	WARN_ON(ftrace_set_filter_ip(&hook->fops, hook->ip, 1, 0));
	list_del(&hook->node);
	kfree(hook);
}

void klpkit_hook_current(struct klpkit_core_func *func, unsigned long *addr,
			 unsigned long *size)
{
	struct klpkit_hook *hook = find_hook(func->old_addr);
	struct klpkit_core_func *f;

	*addr = func->old_addr;
	*size = func->old_size;
	if (!hook)
		return;
	list_for_each_entry(f, &hook->stack, stack_node) {
		if (!f->active)
			continue;
		if (!f->nop) {
			*addr = (unsigned long)f->new_func;
			*size = f->new_size;
		}
		return;
	}
}
