// SPDX-License-Identifier: GPL-2.0
/*
 * klpkit-core.ko: klpkit's livepatch runtime for kernels without
 * CONFIG_LIVEPATCH (docs/bundled-core.md).
 *
 * Consistency: the kpatch model. A patch's functions switch all at once,
 * under stop_machine(), and only when no task's stack holds a return
 * address inside code the switch takes out of use (the current code of each
 * function being patched; on disable, the patch's own new functions).
 * Otherwise the switch is retried with a growing delay, and the task that
 * held it is reported, until it succeeds, is forced (`force`) or is
 * reversed (writing the other value to `enabled`). Functions marked
 * immediate are not checked.
 *
 * Patch management follows the kernel's livepatch core: atomic replace (the
 * new patch takes every function over; nops send the functions only older
 * patches changed back to the original), stacking without it, a disabled
 * or replaced patch is gone (rmmod and insmod it to go back), callbacks,
 * states, late module patching through a module notifier, and a sysfs
 * interface under /sys/kernel/klpkit mirroring /sys/kernel/livepatch.
 */
#define pr_fmt(fmt) "klpkit-core: " fmt

#include "internal.h"

#include <linux/kallsyms.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/stop_machine.h>
#include <linux/string.h>

DEFINE_MUTEX(klpkit_mutex);

LIST_HEAD(klpkit_patches);

#define KLPKIT_MAX_STACK 256
#define KLPKIT_RETRY_MAX (HZ)

/* A patch is in effect from the switch that enables it to the one that
 * disables it. */
static bool in_effect(const struct klpkit_core_patch *patch)
{
	return patch->enabled != patch->in_transition;
}

static struct klpkit_core_patch *transition_patch(void)
{
	struct klpkit_core_patch *patch;

	list_for_each_entry(patch, &klpkit_patches, node)
		if (patch->in_transition)
			return patch;
	return NULL;
}

/* ---- callbacks ---- */

static int pre_patch(struct klpkit_core_object *obj)
{
	int ret = 0;

	if (obj->callbacks.pre_patch)
		ret = obj->callbacks.pre_patch((struct klp_object *)obj);
	obj->callbacks_run = !ret;
	if (ret)
		pr_err("%s: object %s: the pre-patch callback refused (%d)\n",
		       patch_name(obj->patch), obj_name(obj), ret);
	return ret;
}

static void post_patch(struct klpkit_core_object *obj)
{
	if (obj->callbacks.post_patch && obj->callbacks_run)
		obj->callbacks.post_patch((struct klp_object *)obj);
}

static void pre_unpatch(struct klpkit_core_object *obj)
{
	if (obj->callbacks.pre_unpatch && obj->callbacks_run)
		obj->callbacks.pre_unpatch((struct klp_object *)obj);
}

static void post_unpatch(struct klpkit_core_object *obj)
{
	if (obj->callbacks.post_unpatch && obj->callbacks_run)
		obj->callbacks.post_unpatch((struct klp_object *)obj);
	obj->callbacks_run = false;
}

/* ---- objects: resolve, relocate, hook ---- */

static int resolve_func(struct klpkit_core_func *func)
{
	struct klpkit_core_object *obj = func->obj;
	unsigned long offset;
	int ret;

	ret = klpkit_find_symbol(obj->name, func->old_name, func->sympos, &func->old_addr);
	if (ret)
		return ret;
	if (!klpkit_symbol_size(func->old_addr, &func->old_size, &offset) || offset) {
		pr_err("%s: no size for %s in %s\n", patch_name(obj->patch), func->old_name,
		       obj_name(obj));
		return -EINVAL;
	}
	if (!klpkit_symbol_size((unsigned long)func->new_func, &func->new_size, &offset) ||
	    offset) {
		pr_err("%s: no size for the new %s\n", patch_name(obj->patch), func->old_name);
		return -EINVAL;
	}
	return 0;
}

static void unhook_object(struct klpkit_core_object *obj)
{
	struct klpkit_core_func *func;

	for_each_nop(obj, func)
		klpkit_hook_remove(func);
	for_each_func(obj, func)
		klpkit_hook_remove(func);
}

/*
 * Make the object's functions ready to switch: resolved, relocated, on their
 * hooks with `active` as given, after the pre-patch callback agreed. On
 * failure nothing of it is left.
 */
static int load_object(struct klpkit_core_object *obj, bool active)
{
	struct klpkit_core_func *func;
	int ret;

	for_each_func(obj, func) {
		ret = resolve_func(func);
		if (ret)
			return ret;
	}
	for_each_nop(obj, func) {
		ret = klpkit_resolve_nop(func);
		if (ret)
			return ret;
	}
	if (obj->name) {
		ret = klpkit_apply_relocs(obj->patch, obj->name);
		if (ret)
			return ret;
	}
	ret = pre_patch(obj);
	if (ret)
		goto clear;
	for_each_func(obj, func) {
		ret = klpkit_hook_add(func);
		if (ret)
			goto unhook;
		func->active = active;
	}
	for_each_nop(obj, func) {
		ret = klpkit_hook_add(func);
		if (ret)
			goto unhook;
		func->active = active;
	}
	obj->loaded = true;
	return 0;
unhook:
	unhook_object(obj);
	synchronize_rcu();
	post_unpatch(obj);
clear:
	if (obj->name)
		klpkit_clear_relocs(obj->patch, obj->name);
	return ret;
}

static void unload_object(struct klpkit_core_object *obj)
{
	if (!obj->loaded)
		return;
	unhook_object(obj);
	synchronize_rcu();
	if (obj->name)
		klpkit_clear_relocs(obj->patch, obj->name);
	obj->loaded = false;
	obj->patched = false;
}

/* ---- the switch ---- */

struct code_range {
	unsigned long start, end;
};

struct switch_ctx {
	struct klpkit_core_patch *patch;
	bool enable;			/* activate (true) or deactivate */
	bool force;
	struct code_range *ranges;
	size_t nr_ranges;
	unsigned long *stack;
	unsigned int tasks;		/* tasks checked */
	/* what held it */
	pid_t pid;
	char comm[TASK_COMM_LEN];
	unsigned long addr;
};

static int cmp_code_range(const void *a, const void *b)
{
	const struct code_range *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

static bool in_ranges(const struct switch_ctx *ctx, unsigned long addr)
{
	size_t lo = 0, hi = ctx->nr_ranges;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (addr < ctx->ranges[mid].start)
			hi = mid;
		else if (addr >= ctx->ranges[mid].end)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

static void add_code_range(struct switch_ctx *ctx, unsigned long addr, unsigned long size)
{
	if (size)
		ctx->ranges[ctx->nr_ranges++] = (struct code_range){ addr, addr + size };
}

/*
 * The code the switch takes out of use, for the stack check: enabling, what
 * each function runs now; disabling, the patch's own new functions where
 * they are what runs (a function a newer stacked patch also changes keeps
 * running that one). Immediate functions are not checked.
 */
static int collect_ranges(struct switch_ctx *ctx)
{
	struct klpkit_core_patch *patch = ctx->patch;
	struct klpkit_core_object *obj;
	struct klpkit_core_func *func;
	unsigned long addr, size;
	size_t n = 0;

	for_each_obj(patch, obj)
		n += obj->nr_funcs + obj->nr_nops;
	ctx->ranges = kvcalloc(n + 1, sizeof(*ctx->ranges), GFP_KERNEL);
	if (!ctx->ranges)
		return -ENOMEM;

	for_each_obj(patch, obj) {
		if (!obj->loaded)
			continue;
		for_each_func(obj, func) {
			if (func->immediate)
				continue;
			klpkit_hook_current(func, &addr, &size);
			if (ctx->enable || addr == (unsigned long)func->new_func)
				add_code_range(ctx, addr, size);
		}
		for_each_nop(obj, func) {
			klpkit_hook_current(func, &addr, &size);
			add_code_range(ctx, addr, size);
		}
	}
	sort(ctx->ranges, ctx->nr_ranges, sizeof(*ctx->ranges), cmp_code_range, NULL);
	return 0;
}

static void set_active(struct klpkit_core_patch *patch, bool active)
{
	struct klpkit_core_object *obj;
	struct klpkit_core_func *func;

	for_each_obj(patch, obj) {
		if (!obj->loaded)
			continue;
		for_each_func(obj, func)
			WRITE_ONCE(func->active, active);
		for_each_nop(obj, func)
			WRITE_ONCE(func->active, active);
	}
}

/* Runs on one CPU while every other one spins with interrupts off. */
static int switch_fn(void *data)
{
	struct switch_ctx *ctx = data;
	struct task_struct *g, *t;
	unsigned int i, n;

	if (!ctx->force && ctx->nr_ranges) {
		rcu_read_lock();
		for_each_process_thread(g, t) {
			ctx->tasks++;
			n = klpkit_save_stack(t, ctx->stack, KLPKIT_MAX_STACK);
			for (i = 0; i < n; i++)
				if (in_ranges(ctx, ctx->stack[i]))
					break;
			/* A stack deeper than the buffer cannot be proven clear. */
			if (i == n && n < KLPKIT_MAX_STACK)
				continue;
			ctx->pid = task_pid_nr(t);
			memcpy(ctx->comm, t->comm, sizeof(ctx->comm));
			ctx->addr = i < n ? ctx->stack[i] : 0;
			rcu_read_unlock();
			return -EBUSY;
		}
		rcu_read_unlock();
	}
	set_active(ctx->patch, ctx->enable);
	return 0;
}

static void complete_transition(struct klpkit_core_patch *patch);
static void schedule_retry(struct klpkit_core_patch *patch);

/* One attempt at the pending switch of patch. */
static int try_switch(struct klpkit_core_patch *patch, bool force)
{
	struct switch_ctx ctx = { .patch = patch, .enable = patch->enabled, .force = force };
	ktime_t start;
	int ret;

	lockdep_assert_held(&klpkit_mutex);
	ret = collect_ranges(&ctx);
	if (ret)
		return ret;
	ctx.stack = kmalloc_array(KLPKIT_MAX_STACK, sizeof(*ctx.stack), GFP_KERNEL);
	if (!ctx.stack) {
		kvfree(ctx.ranges);
		return -ENOMEM;
	}
	start = ktime_get();
	ret = stop_machine(switch_fn, &ctx, NULL);
	if (!ret)
		pr_info("%s: switched in %lld us: %u tasks checked against %zu code ranges\n",
			patch_name(patch), ktime_us_delta(ktime_get(), start), ctx.tasks,
			ctx.nr_ranges);
	kfree(ctx.stack);
	kvfree(ctx.ranges);

	patch->attempts++;
	if (ret == -EBUSY) {
		if (ctx.addr)
			snprintf(patch->blocker, sizeof(patch->blocker), "%d %s %pS",
				 ctx.pid, ctx.comm, (void *)ctx.addr);
		else
			snprintf(patch->blocker, sizeof(patch->blocker),
				 "%d %s (stack deeper than %d entries)", ctx.pid, ctx.comm,
				 KLPKIT_MAX_STACK);
		if (patch->attempts == 1 || !(patch->attempts % 10))
			pr_info("%s: %s waits for pid %s (attempt %u)\n", patch_name(patch),
				patch->enabled ? "patching" : "unpatching", patch->blocker,
				patch->attempts);
		schedule_retry(patch);
		return ret;
	}
	if (ret)
		return ret;
	if (force) {
		patch->forced = true;
		pr_warn("%s: transition forced; the module stays loaded\n", patch_name(patch));
	}
	complete_transition(patch);
	return 0;
}

static void retry_work_fn(struct work_struct *work)
{
	struct klpkit_core_patch *patch =
		container_of(to_delayed_work(work), struct klpkit_core_patch, work);

	mutex_lock(&klpkit_mutex);
	/* -EBUSY schedules the next attempt itself; anything else (no memory)
	 * must not leave the transition without one. */
	if (patch->in_transition && try_switch(patch, false) && patch->in_transition &&
	    !delayed_work_pending(&patch->work))
		schedule_retry(patch);
	mutex_unlock(&klpkit_mutex);
}

static void schedule_retry(struct klpkit_core_patch *patch)
{
	patch->next_delay = patch->next_delay ? min_t(unsigned long, patch->next_delay * 2,
						       KLPKIT_RETRY_MAX)
					      : msecs_to_jiffies(10);
	schedule_delayed_work(&patch->work, patch->next_delay);
}

/* ---- freeing a patch (disabled or replaced) ---- */

static void free_work_fn(struct work_struct *work);
static DECLARE_WORK(free_work, free_work_fn);
static LIST_HEAD(free_list);
static DEFINE_SPINLOCK(free_lock);

/*
 * Called with klpkit_mutex held: off the list, its code out of the hooks;
 * sysfs and the module reference go in a work item, as a sysfs write may be
 * what got here.
 */
static void retire_patch(struct klpkit_core_patch *patch)
{
	struct klpkit_core_object *obj;

	for_each_obj(patch, obj)
		unload_object(obj);
	klpkit_free_nops(patch);
	list_del(&patch->node);
	spin_lock(&free_lock);
	list_add_tail(&patch->node, &free_list);
	spin_unlock(&free_lock);
	schedule_work(&free_work);
}

static void free_work_fn(struct work_struct *work)
{
	struct klpkit_core_patch *patch;

	for (;;) {
		spin_lock(&free_lock);
		patch = list_first_entry_or_null(&free_list, struct klpkit_core_patch, node);
		if (patch)
			list_del_init(&patch->node);
		spin_unlock(&free_lock);
		if (!patch)
			return;
		cancel_delayed_work_sync(&patch->work);
		klpkit_sysfs_remove(patch);
		klpkit_free_dynamic_objects(patch);
		/* The last touch of the patch: its module may go after this. */
		if (!patch->forced)
			module_put(patch->mod);
	}
}

static void complete_transition(struct klpkit_core_patch *patch)
{
	struct klpkit_core_patch *old, *tmp;
	struct klpkit_core_object *obj;
	struct klpkit_core_func *nop;

	patch->in_transition = false;
	patch->attempts = 0;
	patch->next_delay = 0;
	patch->blocker[0] = '\0';

	if (!patch->enabled) {
		for_each_obj(patch, obj) {
			unload_object(obj);
			post_unpatch(obj);
		}
		pr_info("%s: unpatched\n", patch_name(patch));
		retire_patch(patch);
		return;
	}

	if (patch->replace) {
		/* The older patches are shadowed now: take them out (their
		 * callbacks do not run, as with the kernel's core), then the
		 * nops, which only covered them. */
		list_for_each_entry_safe(old, tmp, &klpkit_patches, node) {
			if (old == patch)
				continue;
			old->enabled = false;
			old->replaced = true;
			pr_info("%s: replaced by %s\n", patch_name(old), patch_name(patch));
			retire_patch(old);
		}
		for_each_obj(patch, obj)
			for_each_nop(obj, nop)
				klpkit_hook_remove(nop);
		synchronize_rcu();
		klpkit_free_nops(patch);
	}
	for_each_obj(patch, obj) {
		if (!obj->loaded)
			continue;
		obj->patched = true;
		post_patch(obj);
	}
	pr_info("%s: patched\n", patch_name(patch));
}

/* ---- enable and disable ---- */

static struct klpkit_core_state *find_state(struct klpkit_core_patch *patch,
					    unsigned long id)
{
	size_t i;

	for (i = 0; i < patch->nr_states; i++)
		if (patch->states[i].id == id)
			return &patch->states[i];
	return NULL;
}

/* kernel/livepatch/state.c: a replace patch must carry every state on, and
 * no patch may lower a state's version. */
static int check_states(struct klpkit_core_patch *patch)
{
	struct klpkit_core_patch *old;
	size_t i;

	list_for_each_entry(old, &klpkit_patches, node)
		for (i = 0; i < old->nr_states; i++) {
			struct klpkit_core_state *s = find_state(patch, old->states[i].id);

			if (s ? s->version >= old->states[i].version : !patch->replace)
				continue;
			pr_err("%s: state %lu of %s (version %u) is %s\n", patch_name(patch),
			       old->states[i].id, patch_name(old), old->states[i].version,
			       s ? "downgraded" : "not carried on by this replace patch");
			return -EINVAL;
		}
	return 0;
}

static int load_objects(struct klpkit_core_patch *patch)
{
	struct klpkit_core_object *obj;
	int ret;

	ret = klpkit_apply_relocs(patch, NULL);
	if (ret)
		return ret;
	for_each_obj(patch, obj) {
		struct module *mod = NULL;

		if (obj->name) {
			mod = klpkit_get_module(obj->name);
			if (!mod)
				continue;	/* patched when it loads */
		}
		ret = load_object(obj, false);
		if (mod)
			module_put(mod);
		if (ret)
			goto fail;
	}
	return 0;
fail:
	for_each_obj(patch, obj) {
		if (obj->loaded) {
			unload_object(obj);
			post_unpatch(obj);
		}
	}
	return ret;
}

int klpkit_core_register(struct klpkit_core_patch *patch)
{
	struct klpkit_core_object *obj;
	struct klpkit_core_func *func;
	int ret;

	if (patch->abi != KLPKIT_CORE_ABI || patch->size != sizeof(*patch)) {
		pr_err("%s: built for another klpkit-core (ABI %u, %zu bytes; this core: %u, %zu)\n",
		       patch->mod->name, patch->abi, patch->size, KLPKIT_CORE_ABI,
		       sizeof(*patch));
		return -EINVAL;
	}
	ret = klpkit_check_relocs(patch);
	if (ret)
		return ret;
	for_each_obj(patch, obj)
		for_each_func(obj, func)
			if (!func->new_func || !func->old_name)
				return -EINVAL;
	INIT_LIST_HEAD(&patch->node);
	INIT_DELAYED_WORK(&patch->work, retry_work_fn);
	patch->objs_alloc = NULL;

	mutex_lock(&klpkit_mutex);
	if (transition_patch()) {
		pr_err("%s: %s is in transition; try again when it is done\n",
		       patch_name(patch), patch_name(transition_patch()));
		ret = -EBUSY;
		goto unlock;
	}
	ret = check_states(patch);
	if (ret)
		goto unlock;
	if (!try_module_get(patch->mod)) {
		ret = -ENODEV;
		goto unlock;
	}
	if (patch->replace) {
		ret = klpkit_add_nops(patch);
		if (ret)
			goto nops;
	}
	for_each_obj(patch, obj) {
		obj->patch = patch;
		for_each_func(obj, func)
			func->obj = obj;
	}
	ret = klpkit_sysfs_add(patch);
	if (ret)
		goto nops;
	ret = load_objects(patch);
	if (ret)
		goto nops;

	list_add_tail(&patch->node, &klpkit_patches);
	patch->enabled = true;
	patch->in_transition = true;
	pr_info("%s: patching %zu object(s)%s\n", patch_name(patch), patch->nr_objs,
		patch->replace ? ", atomic replace" : "");
	ret = try_switch(patch, false);
	if (ret == -EBUSY)
		ret = 0;	/* retried in the background */
	else if (ret) {
		/* Not switched: nothing of it is in effect. */
		patch->enabled = false;
		for_each_obj(patch, obj) {
			unload_object(obj);
			post_unpatch(obj);
		}
		list_del(&patch->node);
		goto nops;
	}
	mutex_unlock(&klpkit_mutex);
	return 0;

nops:
	klpkit_free_nops(patch);
	patch->enabled = false;
	patch->in_transition = false;
	/* Its sysfs files take the mutex: removed without it. */
	mutex_unlock(&klpkit_mutex);
	klpkit_sysfs_remove(patch);
	klpkit_free_dynamic_objects(patch);
	module_put(patch->mod);
	return ret;
unlock:
	mutex_unlock(&klpkit_mutex);
	return ret;
}
EXPORT_SYMBOL_GPL(klpkit_core_register);

/* The patch module's exit: the patch is gone by then (its module could not be
 * removed before), but a free may still be running. */
void klpkit_core_unregister(struct klpkit_core_patch *patch)
{
	flush_work(&free_work);
}
EXPORT_SYMBOL_GPL(klpkit_core_unregister);

static int start_disable(struct klpkit_core_patch *patch)
{
	struct klpkit_core_object *obj;
	int ret;

	if (transition_patch())
		return -EBUSY;
	for_each_obj(patch, obj)
		if (obj->loaded)
			pre_unpatch(obj);
	patch->enabled = false;
	patch->in_transition = true;
	ret = try_switch(patch, false);
	return ret == -EBUSY ? 0 : ret;
}

/* Writing the other value to `enabled` while a switch is pending. */
static void reverse(struct klpkit_core_patch *patch)
{
	struct klpkit_core_object *obj;

	cancel_delayed_work(&patch->work);
	patch->attempts = 0;
	patch->next_delay = 0;
	patch->blocker[0] = '\0';
	if (patch->enabled) {
		/* A pending enable: nothing switched; undo its preparation. */
		patch->enabled = false;
		patch->in_transition = false;
		for_each_obj(patch, obj) {
			unload_object(obj);
			post_unpatch(obj);
		}
		pr_info("%s: patching reversed\n", patch_name(patch));
		retire_patch(patch);
	} else {
		/* A pending disable: still in effect. */
		patch->enabled = true;
		patch->in_transition = false;
		for_each_obj(patch, obj)
			if (obj->loaded)
				post_patch(obj);
		pr_info("%s: unpatching reversed\n", patch_name(patch));
	}
}

/* Writing `enabled` (sysfs.c), as the kernel's core takes it: a disabled (or
 * replaced) patch is gone, insmod it again; writing the value it has is an
 * error; the other value during a transition reverses it. */
int klpkit_set_enabled(struct klpkit_core_patch *patch, bool enable)
{
	int ret = 0;

	mutex_lock(&klpkit_mutex);
	if (patch->replaced || (!patch->enabled && !patch->in_transition))
		ret = -EINVAL;
	else if (patch->enabled == enable)
		ret = -EINVAL;
	else if (patch->in_transition)
		reverse(patch);
	else
		ret = start_disable(patch);
	mutex_unlock(&klpkit_mutex);
	return ret;
}

/* Writing 1 to `force`: the pending switch without the stack check. */
int klpkit_force(struct klpkit_core_patch *patch)
{
	int ret = -EINVAL;

	mutex_lock(&klpkit_mutex);
	if (patch->in_transition) {
		cancel_delayed_work(&patch->work);
		ret = try_switch(patch, true);
	}
	mutex_unlock(&klpkit_mutex);
	return ret;
}

/* ---- modules that come and go ---- */

static int module_coming(struct module *mod)
{
	struct klpkit_core_patch *patch;
	struct klpkit_core_object *obj;
	int ret;

	list_for_each_entry(patch, &klpkit_patches, node) {
		obj = klpkit_find_object(patch, mod->name);
		if (!obj || obj->loaded)
			continue;
		/* Nothing runs the module's code yet: no stack to check. */
		ret = load_object(obj, in_effect(patch));
		if (ret)
			goto fail;
		if (in_effect(patch) && !patch->in_transition) {
			obj->patched = true;
			post_patch(obj);
		}
		pr_info("%s: patched module %s as it loads\n", patch_name(patch), mod->name);
	}
	return 0;
fail:
	pr_err("%s: refusing to load module %s (%d)\n", patch_name(patch), mod->name, ret);
	list_for_each_entry_continue_reverse(patch, &klpkit_patches, node) {
		obj = klpkit_find_object(patch, mod->name);
		if (obj && obj->loaded) {
			if (obj->patched)
				pre_unpatch(obj);
			unload_object(obj);
			post_unpatch(obj);
		}
	}
	return ret;
}

static void module_going(struct module *mod)
{
	struct klpkit_core_patch *patch;
	struct klpkit_core_object *obj;

	list_for_each_entry(patch, &klpkit_patches, node) {
		obj = klpkit_find_object(patch, mod->name);
		if (!obj || !obj->loaded)
			continue;
		if (obj->patched)
			pre_unpatch(obj);
		unload_object(obj);
		post_unpatch(obj);
		pr_info("%s: module %s is going; unpatched it\n", patch_name(patch), mod->name);
	}
}

static int module_notify(struct notifier_block *nb, unsigned long action, void *data)
{
	struct module *mod = data;
	int ret = 0;

	if (action != MODULE_STATE_COMING && action != MODULE_STATE_GOING)
		return NOTIFY_DONE;
	mutex_lock(&klpkit_mutex);
	if (action == MODULE_STATE_COMING)
		ret = module_coming(mod);
	else
		module_going(mod);
	mutex_unlock(&klpkit_mutex);
	return notifier_from_errno(ret);
}

static struct notifier_block module_nb = {
	.notifier_call = module_notify,
	.priority = INT_MIN + 1,	/* after everything else has set the module up */
};

/* ---- states ---- */

struct klpkit_core_state *klpkit_core_get_state(struct klpkit_core_patch *patch,
						unsigned long id)
{
	return find_state(patch, id);
}
EXPORT_SYMBOL_GPL(klpkit_core_get_state);

/* The state of that id in the newest patch loaded before this one. */
struct klpkit_core_state *klpkit_core_get_prev_state(struct klpkit_core_patch *patch,
						     unsigned long id)
{
	struct klpkit_core_patch *old;
	struct klpkit_core_state *state, *last = NULL;

	list_for_each_entry(old, &klpkit_patches, node) {
		if (old == patch)
			break;
		state = find_state(old, id);
		if (state)
			last = state;
	}
	return last;
}
EXPORT_SYMBOL_GPL(klpkit_core_get_prev_state);

/* ---- the module ---- */

static int __init klpkit_core_init(void)
{
	int ret;

	ret = klpkit_symbols_init();
	if (ret)
		return ret;
	ret = klpkit_sysfs_init();
	if (ret)
		return ret;
	ret = register_module_notifier(&module_nb);
	if (ret) {
		klpkit_sysfs_exit();
		return ret;
	}
	pr_info("ready (ABI %u)\n", KLPKIT_CORE_ABI);
	return 0;
}

/* Every patch module depends on this one, so none is left here. */
static void __exit klpkit_core_exit(void)
{
	unregister_module_notifier(&module_nb);
	flush_work(&free_work);
	klpkit_shadow_exit();
	klpkit_sysfs_exit();
}

module_init(klpkit_core_init);
module_exit(klpkit_core_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("klpkit livepatch core for kernels without CONFIG_LIVEPATCH");
