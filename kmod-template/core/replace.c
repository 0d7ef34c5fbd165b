// SPDX-License-Identifier: GPL-2.0
/*
 * replace.c: atomic replace. A replace patch gets a nop for every function
 * an enabled patch changes and it does not (in a dynamic object where it does
 * not name that object), so that the switch sends those back to the original.
 */
#define pr_fmt(fmt) "klpkit-core: " fmt

#include "internal.h"

#include <linux/slab.h>
#include <linux/string.h>

static bool patch_has_func(struct klpkit_core_patch *patch, const char *objname,
			   const struct klpkit_core_func *old)
{
	struct klpkit_core_object *obj;
	struct klpkit_core_func *func;

	for_each_obj(patch, obj) {
		if (!klpkit_same_name(obj->name, objname))
			continue;
		for_each_func(obj, func)
			if (!strcmp(func->old_name, old->old_name) &&
			    func->sympos == old->sympos)
				return true;
	}
	return false;
}

struct klpkit_core_object *klpkit_find_object(struct klpkit_core_patch *patch,
					      const char *name)
{
	struct klpkit_core_object *obj;

	for_each_obj(patch, obj)
		if (klpkit_same_name(obj->name, name))
			return obj;
	return NULL;
}

/* Objects of older patches with functions this one does not have. */
static bool needs_object(struct klpkit_core_patch *patch, struct klpkit_core_object *old_obj)
{
	struct klpkit_core_func *old_func;

	for_each_func(old_obj, old_func)
		if (!patch_has_func(patch, old_obj->name, old_func))
			return true;
	return false;
}

/*
 * The objects older patches change and this one does not name become
 * dynamic objects of this patch (a copy of its array with them added), to
 * carry their nops.
 */
static int add_dynamic_objects(struct klpkit_core_patch *patch)
{
	struct klpkit_core_patch *old;
	struct klpkit_core_object *old_obj, *objs, *obj;
	size_t extra = 0, n;

	list_for_each_entry(old, &klpkit_patches, node)
		for_each_obj(old, old_obj)
			extra += !klpkit_find_object(patch, old_obj->name) &&
				 needs_object(patch, old_obj);
	if (!extra)
		return 0;
	objs = kcalloc(patch->nr_objs + extra, sizeof(*objs), GFP_KERNEL);
	if (!objs)
		return -ENOMEM;
	memcpy(objs, patch->objs, patch->nr_objs * sizeof(*objs));
	n = patch->nr_objs;
	patch->objs = objs;
	patch->objs_alloc = objs;
	list_for_each_entry(old, &klpkit_patches, node)
		for_each_obj(old, old_obj) {
			if (klpkit_find_object(patch, old_obj->name) || !needs_object(patch, old_obj))
				continue;
			obj = &objs[n];
			obj->dynamic = true;
			if (old_obj->name) {
				obj->name = kstrdup(old_obj->name, GFP_KERNEL);
				if (!obj->name)
					return -ENOMEM;
			}
			patch->nr_objs = ++n;
		}
	return 0;
}

/* A nop per function an enabled patch changes and this one does not. */
int klpkit_add_nops(struct klpkit_core_patch *patch)
{
	struct klpkit_core_patch *old;
	struct klpkit_core_object *obj, *old_obj;
	struct klpkit_core_func *old_func, *nop;
	size_t n;
	int ret;

	ret = add_dynamic_objects(patch);
	if (ret)
		return ret;
	for_each_obj(patch, obj) {
		n = 0;
		list_for_each_entry(old, &klpkit_patches, node)
			for_each_obj(old, old_obj) {
				if (!klpkit_same_name(old_obj->name, obj->name))
					continue;
				for_each_func(old_obj, old_func)
					n += !patch_has_func(patch, obj->name, old_func);
			}
		if (!n)
			continue;
		obj->nops = kcalloc(n, sizeof(*obj->nops), GFP_KERNEL);
		if (!obj->nops)
			return -ENOMEM;
		list_for_each_entry(old, &klpkit_patches, node)
			for_each_obj(old, old_obj) {
				if (!klpkit_same_name(old_obj->name, obj->name))
					continue;
				for_each_func(old_obj, old_func) {
					if (patch_has_func(patch, obj->name, old_func))
						continue;
					/* Two older patches, one function: one nop. */
					for_each_nop(obj, nop)
						if (!strcmp(nop->old_name, old_func->old_name) &&
						    nop->sympos == old_func->sympos)
							break;
					if (nop < obj->nops + obj->nr_nops)
						continue;
					nop = &obj->nops[obj->nr_nops++];
					nop->old_name = kstrdup(old_func->old_name, GFP_KERNEL);
					if (!nop->old_name)
						return -ENOMEM;
					nop->sympos = old_func->sympos;
					nop->nop = true;
					nop->obj = obj;
				}
			}
	}
	return 0;
}

void klpkit_free_nops(struct klpkit_core_patch *patch)
{
	struct klpkit_core_object *obj;

	struct klpkit_core_func *nop;

	for_each_obj(patch, obj) {
		for_each_nop(obj, nop)
			kfree(nop->old_name);
		kfree(obj->nops);
		obj->nops = NULL;
		obj->nr_nops = 0;
	}
}

/* After remove_sysfs(): the dynamic objects hold kobjects. */
void klpkit_free_dynamic_objects(struct klpkit_core_patch *patch)
{
	struct klpkit_core_object *obj;

	if (!patch->objs_alloc)
		return;
	for_each_obj(patch, obj)
		if (obj->dynamic)
			kfree(obj->name);
	kfree(patch->objs_alloc);
	patch->objs_alloc = NULL;
}

/* nops resolve to the original: resolve_func() needs a new function size. */
int klpkit_resolve_nop(struct klpkit_core_func *nop)
{
	struct klpkit_core_object *obj = nop->obj;
	unsigned long offset;
	int ret;

	ret = klpkit_find_symbol(obj->name, nop->old_name, nop->sympos, &nop->old_addr);
	if (ret)
		return ret;
	if (!klpkit_symbol_size(nop->old_addr, &nop->old_size, &offset))
		return -EINVAL;
	nop->new_size = 0;
	return 0;
}
