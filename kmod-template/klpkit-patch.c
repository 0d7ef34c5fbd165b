// SPDX-License-Identifier: GPL-2.0
/*
 * klpkit-patch.c: the init of a klpkit livepatch module. It reads the tables
 * the diff objects carry (.klpkit.funcs, .klpkit.callbacks.*, .klpkit.states;
 * docs/intermediate-format.md), builds a struct klp_patch from them and
 * enables it.
 *
 * It does not resolve symbols or apply relocations: the livepatch core does,
 * from the .klp.rela sections klp-convert wrote into the .ko.
 *
 * Built with KLPKIT_CORE_BUNDLED (make KLPKIT_CORE=bundled), it hands the
 * same tables to klpkit-core.ko (core/, for kernels without
 * CONFIG_LIVEPATCH) instead, with the .klpkit.relocs table klp-convert
 * --core bundled fills.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/version.h>

#ifndef KLPKIT_CORE_BUNDLED
# define KLPKIT_CORE_BUNDLED 0
#endif
#if KLPKIT_CORE_BUNDLED
# include "klpkit-core.h"
#else
# include <linux/livepatch.h>
#endif

#include "klp-macros.h"

/*
 * What the running kernel's livepatch API offers. The Makefile sets these
 * from <linux/livepatch.h> itself, which also covers distribution backports
 * (RHEL 8 is 4.18 with 5.x livepatch); the version gates below are the
 * fallback for a build without that Makefile.
 */
#ifndef RHEL_RELEASE_VERSION
#define RHEL_RELEASE_VERSION(a, b) (((a) << 8) + (b))
#endif
#ifndef KLPKIT_HAVE_CALLBACKS		/* struct klp_callbacks: 4.15 */
# define KLPKIT_HAVE_CALLBACKS (LINUX_VERSION_CODE >= KERNEL_VERSION(4, 15, 0))
#endif
#ifndef KLPKIT_HAVE_REGISTER		/* klp_register_patch(): before 5.1 */
# ifdef RHEL_RELEASE_CODE
#  define KLPKIT_HAVE_REGISTER (RHEL_RELEASE_CODE < RHEL_RELEASE_VERSION(8, 2))
# else
#  define KLPKIT_HAVE_REGISTER (LINUX_VERSION_CODE < KERNEL_VERSION(5, 1, 0))
# endif
#endif
#ifndef KLPKIT_HAVE_REPLACE		/* klp_patch.replace: 5.1 */
# define KLPKIT_HAVE_REPLACE (!KLPKIT_HAVE_REGISTER)
#endif
#ifndef KLPKIT_HAVE_STATES		/* struct klp_state: 5.5 */
# define KLPKIT_HAVE_STATES (LINUX_VERSION_CODE >= KERNEL_VERSION(5, 5, 0))
#endif
#ifndef KLPKIT_REPLACE			/* make KLPKIT_REPLACE=0 turns it off */
# define KLPKIT_REPLACE 1
#endif

/* Table bounds, defined by klpkit.lds around the concatenated sections. */
extern const struct klpkit_func __klpkit_funcs_start[], __klpkit_funcs_end[];
extern const struct klpkit_callback
	__klpkit_pre_patch_start[], __klpkit_pre_patch_end[],
	__klpkit_post_patch_start[], __klpkit_post_patch_end[],
	__klpkit_pre_unpatch_start[], __klpkit_pre_unpatch_end[],
	__klpkit_post_unpatch_start[], __klpkit_post_unpatch_end[];
extern const struct klpkit_state __klpkit_states_start[], __klpkit_states_end[];
extern void *const __klpkit_immediate_start[], *const __klpkit_immediate_end[];

/*
 * A zero-length anchor in each table: a module without callbacks or states
 * still gets the tables as allocated sections (a section the linker makes
 * out of symbol assignments alone is not, and modpost warns about it).
 * This object is linked first, so the anchors add nothing before the data.
 */
#define KLPKIT_ANCHOR(type, sec) \
	static type __UNIQUE_ID(klpkit_anchor)[0] __klpkit_record(sec)
KLPKIT_ANCHOR(struct klpkit_func, ".klpkit.funcs");
KLPKIT_ANCHOR(struct klpkit_callback, ".klpkit.callbacks.pre_patch");
KLPKIT_ANCHOR(struct klpkit_callback, ".klpkit.callbacks.post_patch");
KLPKIT_ANCHOR(struct klpkit_callback, ".klpkit.callbacks.pre_unpatch");
KLPKIT_ANCHOR(struct klpkit_callback, ".klpkit.callbacks.post_unpatch");
KLPKIT_ANCHOR(struct klpkit_state, ".klpkit.states");
KLPKIT_ANCHOR(void *, ".klpkit.immediate");

/* Every KLP_IMMEDIATE() must name a function the patch replaces. */
static int check_immediate(void)
{
	const struct klpkit_func *f;
	void *const *p;

	for (p = __klpkit_immediate_start; p < __klpkit_immediate_end; p++) {
		for (f = __klpkit_funcs_start; f < __klpkit_funcs_end; f++)
			if (f->new_func == *p)
				break;
		if (f == __klpkit_funcs_end) {
			pr_err("KLP_IMMEDIATE(%ps): not a function this patch replaces\n", *p);
			return -EINVAL;
		}
	}
	return 0;
}

/* For klp_printk() in the patched code. */
const char klpkit_patch_name[] = KBUILD_MODNAME;

/* "vmlinux" is the kernel itself, which klp_object names NULL. */
static const char *klp_object_name(const char *objname)
{
	return strcmp(objname, "vmlinux") ? objname : NULL;
}

static bool same_object(const char *klp_name, const char *objname)
{
	const char *name = klp_object_name(objname);

	return klp_name == name || (klp_name && name && !strcmp(klp_name, name));
}

static const char *printable_object_name(const char *klp_name)
{
	return klp_name ? klp_name : "vmlinux";
}

/*
 * The tables are arrays only if each section is a whole number of entries;
 * anything else means a diff object of another layout was linked in.
 */
static int check_table(const char *sec, const void *start, const void *end,
		       size_t entsize)
{
	size_t bytes = (const char *)end - (const char *)start;

	if (end < start || bytes % entsize) {
		pr_err("section %s: %zu bytes is not a whole number of %zu-byte entries\n",
		       sec, bytes, entsize);
		return -EINVAL;
	}
	return 0;
}

/*
 * The objects of the patch, in order of first appearance; functions come
 * before callbacks so an object's number does not depend on callbacks.
 * Returns the number of distinct objects; names[] (nr_max long) holds one
 * objname per object.
 */
static int collect_object(const char **names, int nr, const char *objname)
{
	int i;

	for (i = 0; i < nr; i++)
		if (!strcmp(names[i], objname))
			return nr;
	names[nr] = objname;
	return nr + 1;
}

struct callback_table {
	const char *kind;
	const struct klpkit_callback *start, *end;
};

static const struct callback_table callback_tables[] = {
	{ "pre_patch", __klpkit_pre_patch_start, __klpkit_pre_patch_end },
	{ "post_patch", __klpkit_post_patch_start, __klpkit_post_patch_end },
	{ "pre_unpatch", __klpkit_pre_unpatch_start, __klpkit_pre_unpatch_end },
	{ "post_unpatch", __klpkit_post_unpatch_start, __klpkit_post_unpatch_end },
};

/*
 * Whether the KLP_STATE() record s declares a state of its own: 1 for the
 * first record of its id, 0 for a repeat (the same KLP_STATE() in two
 * patched files is one state), -EINVAL for a bad record.
 */
static int state_is_new(const struct klpkit_state *s)
{
	const struct klpkit_state *t;

	/* id 0 ends the kernel's array. */
	if (!s->id || s->version > UINT_MAX) {
		pr_err("state id %lu version %lu: id must be non-zero and version fit an unsigned int\n",
		       s->id, s->version);
		return -EINVAL;
	}
	for (t = __klpkit_states_start; t < s && t->id != s->id; t++)
		;
	if (t == s)
		return 1;
	if (t->version != s->version) {
		pr_err("state id %lu declared with versions %lu and %lu\n",
		       s->id, t->version, s->version);
		return -EINVAL;
	}
	return 0;
}

/* Every table a whole number of entries, every KLP_IMMEDIATE() one of ours. */
static int check_tables(void)
{
	size_t k;
	int ret;

	ret = check_table(".klpkit.funcs", __klpkit_funcs_start,
			  __klpkit_funcs_end, sizeof(struct klpkit_func));
	for (k = 0; !ret && k < ARRAY_SIZE(callback_tables); k++)
		ret = check_table(callback_tables[k].kind, callback_tables[k].start,
				  callback_tables[k].end,
				  sizeof(struct klpkit_callback));
	if (!ret)
		ret = check_table(".klpkit.states", __klpkit_states_start,
				  __klpkit_states_end, sizeof(struct klpkit_state));
	if (!ret)
		ret = check_table(".klpkit.immediate", __klpkit_immediate_start,
				  __klpkit_immediate_end, sizeof(void *));
	return ret ? ret : check_immediate();
}

#if !KLPKIT_CORE_BUNDLED	/* the kernel's livepatch core */

static struct klp_patch *klpkit_patch;

static int find_object(struct klp_object *objs, const char *objname)
{
	int i;

	for (i = 0; objs[i].funcs; i++)
		if (same_object(objs[i].name, objname))
			return i;
	return -1;
}


#if KLPKIT_HAVE_CALLBACKS
/* Store cb as the callback of kind k (index into callback_tables). */
static int set_callback(struct klp_object *obj, size_t k,
			const struct klpkit_callback *cb)
{
	struct klp_callbacks *cbs = &obj->callbacks;
	bool taken;

	switch (k) {
	case 0:
		taken = cbs->pre_patch;
		cbs->pre_patch = cb->pre_patch;
		break;
	case 1:
		taken = cbs->post_patch;
		cbs->post_patch = cb->post_patch;
		break;
	case 2:
		taken = cbs->pre_unpatch;
		cbs->pre_unpatch = cb->pre_unpatch;
		break;
	default:
		taken = cbs->post_unpatch;
		cbs->post_unpatch = cb->post_unpatch;
		break;
	}
	if (taken) {
		pr_err("object %s: more than one %s callback\n",
		       printable_object_name(obj->name), callback_tables[k].kind);
		return -EINVAL;
	}
	return 0;
}
#endif

static void free_patch(struct klp_patch *patch)
{
	struct klp_object *obj;

	if (!patch)
		return;
	if (patch->objs) {
		for (obj = patch->objs; obj->funcs; obj++)
			kfree(obj->funcs);
		kfree(patch->objs);
	}
#if KLPKIT_HAVE_STATES
	kfree(patch->states);
#endif
	kfree(patch);
}

#if KLPKIT_HAVE_STATES
static int build_states(struct klp_patch *patch)
{
	size_t nr = __klpkit_states_end - __klpkit_states_start, n = 0;
	const struct klpkit_state *s;
	struct klp_state *states;
	int ret;

	if (!nr)
		return 0;
	states = kcalloc(nr + 1, sizeof(*states), GFP_KERNEL);
	if (!states)
		return -ENOMEM;
	patch->states = states;
	for (s = __klpkit_states_start; s < __klpkit_states_end; s++) {
		ret = state_is_new(s);
		if (ret <= 0) {
			if (ret)
				return ret;
			continue;
		}
		states[n].id = s->id;
		states[n].version = s->version;
		n++;
	}
	return 0;
}
#else
static int build_states(struct klp_patch *patch)
{
	size_t nr = __klpkit_states_end - __klpkit_states_start;

	if (!nr)
		return 0;
	pr_err("%zu KLP_STATE() records, but this kernel has no klp_state (5.5+)\n", nr);
	return -EOPNOTSUPP;
}
#endif

static int build_callbacks(struct klp_patch *patch)
{
	const struct klpkit_callback *cb;
	size_t k;
	int i;

	for (k = 0; k < ARRAY_SIZE(callback_tables); k++) {
		for (cb = callback_tables[k].start; cb < callback_tables[k].end; cb++) {
			if (!cb->objname) {
				pr_err("%s callback %ps has no object name (not processed by create-diff-object?)\n",
				       callback_tables[k].kind, cb->fn);
				return -EINVAL;
			}
			i = find_object(patch->objs, cb->objname);
			if (WARN_ON_ONCE(i < 0))	/* collected in build_patch() */
				return -EINVAL;
#if KLPKIT_HAVE_CALLBACKS
			if (set_callback(&patch->objs[i], k, cb))
				return -EINVAL;
#else
			pr_err("%s callback %ps: this kernel has no livepatch callbacks (4.15+)\n",
			       callback_tables[k].kind, cb->fn);
			return -EOPNOTSUPP;
#endif
		}
	}
	return 0;
}

static int build_patch(struct klp_patch **out)
{
	size_t nr_funcs = __klpkit_funcs_end - __klpkit_funcs_start;
	size_t nr_max = nr_funcs, k;
	const struct klpkit_func *f;
	const struct klpkit_callback *cb;
	struct klp_patch *patch;
	const char **names;
	int nr_objs = 0, i, ret;

	for (k = 0; k < ARRAY_SIZE(callback_tables); k++)
		nr_max += callback_tables[k].end - callback_tables[k].start;

	patch = kzalloc(sizeof(*patch), GFP_KERNEL);
	names = kcalloc(nr_max + 1, sizeof(*names), GFP_KERNEL);
	if (!patch || !names) {
		ret = -ENOMEM;
		goto out;
	}

	for (f = __klpkit_funcs_start; f < __klpkit_funcs_end; f++) {
		if (!f->new_func || !f->old_name || !f->objname) {
			pr_err("function entry %zu: new_func, old_name and objname must be set\n",
			       (size_t)(f - __klpkit_funcs_start));
			ret = -EINVAL;
			goto out;
		}
		nr_objs = collect_object(names, nr_objs, f->objname);
	}
	for (k = 0; k < ARRAY_SIZE(callback_tables); k++)
		for (cb = callback_tables[k].start; cb < callback_tables[k].end; cb++)
			if (cb->objname)
				nr_objs = collect_object(names, nr_objs, cb->objname);

	ret = -ENOMEM;
	patch->mod = THIS_MODULE;
	patch->objs = kcalloc(nr_objs + 1, sizeof(*patch->objs), GFP_KERNEL);
	if (!patch->objs)
		goto out;
	for (i = 0; i < nr_objs; i++) {
		struct klp_object *obj = &patch->objs[i];
		size_t n = 0;

		for (f = __klpkit_funcs_start; f < __klpkit_funcs_end; f++)
			n += !strcmp(f->objname, names[i]);
		/* Zeroed entry at the end; an object of callbacks only has
		 * just that one, which the kernel accepts. */
		obj->funcs = kcalloc(n + 1, sizeof(*obj->funcs), GFP_KERNEL);
		if (!obj->funcs)
			goto out;
		obj->name = klp_object_name(names[i]);
		n = 0;
		for (f = __klpkit_funcs_start; f < __klpkit_funcs_end; f++) {
			if (strcmp(f->objname, names[i]))
				continue;
			obj->funcs[n].old_name = f->old_name;
			obj->funcs[n].new_func = f->new_func;
			obj->funcs[n].old_sympos = f->sympos;
			n++;
		}
	}

	ret = build_callbacks(patch);
	if (!ret)
		ret = build_states(patch);
	if (ret)
		goto out;
#if KLPKIT_HAVE_REPLACE
	patch->replace = KLPKIT_REPLACE;
#endif
	pr_info("%zu function(s) in %d object(s)%s\n", nr_funcs, nr_objs,
		KLPKIT_HAVE_REPLACE && KLPKIT_REPLACE ? ", atomic replace" : "");
	*out = patch;
	patch = NULL;
out:
	kfree(names);
	free_patch(patch);
	return ret;
}

#if KLPKIT_HAVE_STATES
struct klp_state *klpkit_get_state(unsigned long id)
{
	return klpkit_patch ? klp_get_state(klpkit_patch, id) : NULL;
}
#else
struct klp_state *klpkit_get_state(unsigned long id)
{
	return NULL;
}
#endif

static int __init klpkit_init(void)
{
	int ret;

	ret = check_tables();
	if (ret)
		return ret;
	/* The kernel's consistency model is per task: every function is safe
	 * to switch without one. */
	if (__klpkit_immediate_end - __klpkit_immediate_start)
		pr_info("KLP_IMMEDIATE() is for the bundled core; the kernel's core switches each task when it is safe\n");

	ret = build_patch(&klpkit_patch);
	if (ret)
		return ret;

#if KLPKIT_HAVE_REGISTER
	ret = klp_register_patch(klpkit_patch);
	if (ret)
		goto fail;
	ret = klp_enable_patch(klpkit_patch);
	if (ret) {
		WARN_ON(klp_unregister_patch(klpkit_patch));
		goto fail;
	}
#else
	ret = klp_enable_patch(klpkit_patch);
	if (ret)
		goto fail;
#endif
	return 0;
fail:
	free_patch(klpkit_patch);
	klpkit_patch = NULL;
	return ret;
}

/*
 * From 5.1 the kernel is done with the patch once it is disabled (the
 * module cannot be removed before); before 5.1 it must be unregistered.
 */
static void __exit klpkit_exit(void)
{
#if KLPKIT_HAVE_REGISTER
	WARN_ON(klp_unregister_patch(klpkit_patch));
#endif
	free_patch(klpkit_patch);
}

MODULE_INFO(livepatch, "Y");

#else /* KLPKIT_CORE_BUNDLED: klpkit-core.ko */

/*
 * The .klpkit.relocs header; klp-convert --core bundled appends the
 * entries (docs/intermediate-format.md) and klpkit-core.ko applies them.
 * Only the core reads it, through a pointer: nothing here may fold the
 * count of 0 it starts with.
 */
static const struct klpkit_relocs_header klpkit_relocs
	__attribute__((__used__, __section__(".klpkit.relocs"), __aligned__(8))) = {
	.magic = KLPKIT_RELOCS_MAGIC,
	.version = KLPKIT_RELOCS_VERSION,
	.entry_size = sizeof(struct klpkit_reloc),
	.count = 0,
	.size = sizeof(struct klpkit_relocs_header),
};

static struct klpkit_core_patch klpkit_patch = {
	.abi = KLPKIT_CORE_ABI,
	.size = sizeof(struct klpkit_core_patch),
	.mod = THIS_MODULE,
	.replace = KLPKIT_REPLACE,
};

/* The functions KLP_IMMEDIATE() names, by their new code. */
static bool is_immediate(const void *new_func)
{
	void *const *p;

	for (p = __klpkit_immediate_start; p < __klpkit_immediate_end; p++)
		if (*p == new_func)
			return true;
	return false;
}

static struct klpkit_core_object *find_object(const char *objname)
{
	size_t i;

	for (i = 0; i < klpkit_patch.nr_objs; i++)
		if (same_object(klpkit_patch.objs[i].name, objname))
			return &klpkit_patch.objs[i];
	return NULL;
}

static void free_patch(void)
{
	size_t i;

	if (klpkit_patch.objs)
		for (i = 0; i < klpkit_patch.nr_objs; i++)
			kfree(klpkit_patch.objs[i].funcs);
	kfree(klpkit_patch.objs);
	kfree(klpkit_patch.states);
	klpkit_patch.objs = NULL;
	klpkit_patch.states = NULL;
}

static int set_callback(struct klpkit_core_object *obj, size_t k,
			const struct klpkit_callback *cb)
{
	struct klpkit_core_callbacks *cbs = &obj->callbacks;
	void **slot = k == 0 ? (void **)&cbs->pre_patch :
		      k == 1 ? (void **)&cbs->post_patch :
		      k == 2 ? (void **)&cbs->pre_unpatch : (void **)&cbs->post_unpatch;

	if (*slot) {
		pr_err("object %s: more than one %s callback\n",
		       printable_object_name(obj->name), callback_tables[k].kind);
		return -EINVAL;
	}
	*slot = cb->fn;
	return 0;
}

static int build_callbacks(void)
{
	const struct klpkit_callback *cb;
	struct klpkit_core_object *obj;
	size_t k;

	for (k = 0; k < ARRAY_SIZE(callback_tables); k++) {
		for (cb = callback_tables[k].start; cb < callback_tables[k].end; cb++) {
			if (!cb->objname) {
				pr_err("%s callback %ps has no object name (not processed by create-diff-object?)\n",
				       callback_tables[k].kind, cb->fn);
				return -EINVAL;
			}
			obj = find_object(cb->objname);
			if (WARN_ON_ONCE(!obj) || set_callback(obj, k, cb))
				return -EINVAL;
		}
	}
	return 0;
}

static int build_states(void)
{
	size_t nr = __klpkit_states_end - __klpkit_states_start;
	const struct klpkit_state *s;
	int ret;

	if (!nr)
		return 0;
	klpkit_patch.states = kcalloc(nr, sizeof(*klpkit_patch.states), GFP_KERNEL);
	if (!klpkit_patch.states)
		return -ENOMEM;
	for (s = __klpkit_states_start; s < __klpkit_states_end; s++) {
		ret = state_is_new(s);
		if (ret <= 0) {
			if (ret)
				return ret;
			continue;
		}
		klpkit_patch.states[klpkit_patch.nr_states].id = s->id;
		klpkit_patch.states[klpkit_patch.nr_states].version = s->version;
		klpkit_patch.nr_states++;
	}
	return 0;
}

static int build_patch(void)
{
	size_t nr_funcs = __klpkit_funcs_end - __klpkit_funcs_start;
	size_t nr_max = nr_funcs, k, i;
	const struct klpkit_func *f;
	const struct klpkit_callback *cb;
	const char **names;
	int nr_objs = 0, ret;

	for (k = 0; k < ARRAY_SIZE(callback_tables); k++)
		nr_max += callback_tables[k].end - callback_tables[k].start;
	names = kcalloc(nr_max + 1, sizeof(*names), GFP_KERNEL);
	if (!names)
		return -ENOMEM;

	for (f = __klpkit_funcs_start; f < __klpkit_funcs_end; f++) {
		if (!f->new_func || !f->old_name || !f->objname) {
			pr_err("function entry %zu: new_func, old_name and objname must be set\n",
			       (size_t)(f - __klpkit_funcs_start));
			ret = -EINVAL;
			goto out;
		}
		nr_objs = collect_object(names, nr_objs, f->objname);
	}
	for (k = 0; k < ARRAY_SIZE(callback_tables); k++)
		for (cb = callback_tables[k].start; cb < callback_tables[k].end; cb++)
			if (cb->objname)
				nr_objs = collect_object(names, nr_objs, cb->objname);

	ret = -ENOMEM;
	klpkit_patch.objs = kcalloc(nr_objs, sizeof(*klpkit_patch.objs), GFP_KERNEL);
	if (!klpkit_patch.objs)
		goto out;
	klpkit_patch.nr_objs = nr_objs;
	for (i = 0; i < nr_objs; i++) {
		struct klpkit_core_object *obj = &klpkit_patch.objs[i];
		size_t n = 0;

		for (f = __klpkit_funcs_start; f < __klpkit_funcs_end; f++)
			n += !strcmp(f->objname, names[i]);
		obj->name = klp_object_name(names[i]);
		obj->funcs = kcalloc(n ? n : 1, sizeof(*obj->funcs), GFP_KERNEL);
		if (!obj->funcs)
			goto out;
		for (f = __klpkit_funcs_start; f < __klpkit_funcs_end; f++) {
			struct klpkit_core_func *func;

			if (strcmp(f->objname, names[i]))
				continue;
			func = &obj->funcs[obj->nr_funcs++];
			func->old_name = f->old_name;
			func->new_func = f->new_func;
			func->sympos = f->sympos;
			func->immediate = is_immediate(f->new_func);
		}
	}
	ret = build_callbacks();
	if (!ret)
		ret = build_states();
	if (!ret)
		pr_info("%zu function(s) in %d object(s), bundled core%s\n", nr_funcs, nr_objs,
			KLPKIT_REPLACE ? ", atomic replace" : "");
out:
	kfree(names);
	return ret;
}

struct klp_state *klpkit_get_state(unsigned long id)
{
	return (struct klp_state *)klpkit_core_get_state(&klpkit_patch, id);
}

struct klp_state *klpkit_get_prev_state(unsigned long id)
{
	return (struct klp_state *)klpkit_core_get_prev_state(&klpkit_patch, id);
}

static int __init klpkit_init(void)
{
	int ret;

	ret = check_tables();
	if (!ret)
		ret = build_patch();
	if (!ret) {
		klpkit_patch.relocs = &klpkit_relocs;
		ret = klpkit_core_register(&klpkit_patch);
	}
	if (ret)
		free_patch();
	return ret;
}

/* The core is done with the patch once it is disabled or replaced (the
 * module cannot be removed before). */
static void __exit klpkit_exit(void)
{
	klpkit_core_unregister(&klpkit_patch);
	free_patch();
}

#endif /* KLPKIT_CORE_BUNDLED */

module_init(klpkit_init);
module_exit(klpkit_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("klpkit livepatch");
