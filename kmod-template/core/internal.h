/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The parts of klpkit-core.ko and what they give each other:
 *   core.c     patches, objects, the consistency engine, modules
 *   replace.c  atomic replace: nops and dynamic objects
 *   sysfs.c    /sys/kernel/klpkit
 *   symbols.c  kernel internals found through kallsyms; symbol resolution
 *              and relocations (the .klpkit.relocs table)
 *   hook.c     ftrace hooks and the arch part of redirecting a call
 *   shadow.c   shadow variables
 */
#ifndef _KLPKIT_CORE_INTERNAL_H
#define _KLPKIT_CORE_INTERNAL_H

#include "../klpkit-core.h"

#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/string.h>

/* Held for every change of a patch, an object or a hook. */
extern struct mutex klpkit_mutex;

static inline const char *obj_name(const struct klpkit_core_object *obj)
{
	return obj->name ? obj->name : "vmlinux";
}

static inline const char *patch_name(const struct klpkit_core_patch *patch)
{
	return patch->mod->name;
}

#define for_each_obj(patch, obj) \
	for (obj = (patch)->objs; obj < (patch)->objs + (patch)->nr_objs; obj++)
#define for_each_func(obj, func) \
	for (func = (obj)->funcs; func < (obj)->funcs + (obj)->nr_funcs; func++)
#define for_each_nop(obj, func) \
	for (func = (obj)->nops; func < (obj)->nops + (obj)->nr_nops; func++)

static inline bool klpkit_same_name(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

/* ---- core.c ---- */

/* The registered patches, oldest first (klpkit_mutex). */
extern struct list_head klpkit_patches;

int klpkit_set_enabled(struct klpkit_core_patch *patch, bool enable);
int klpkit_force(struct klpkit_core_patch *patch);

/* ---- replace.c ---- */

struct klpkit_core_object *klpkit_find_object(struct klpkit_core_patch *patch,
					      const char *name);
int klpkit_add_nops(struct klpkit_core_patch *patch);
/* The address and size of a nop's original function. */
int klpkit_resolve_nop(struct klpkit_core_func *nop);
void klpkit_free_nops(struct klpkit_core_patch *patch);
/* After klpkit_sysfs_remove(): the dynamic objects hold kobjects. */
void klpkit_free_dynamic_objects(struct klpkit_core_patch *patch);

/* ---- sysfs.c ---- */

int klpkit_sysfs_init(void);
void klpkit_sysfs_exit(void);
int klpkit_sysfs_add(struct klpkit_core_patch *patch);
/* Waits for running reads and writes of its files: not with klpkit_mutex held. */
void klpkit_sysfs_remove(struct klpkit_core_patch *patch);

/* ---- symbols.c ---- */

int klpkit_symbols_init(void);
void *klpkit_find_internal(const char *name, bool required);
/* ftrace_location(): ip if ftrace has a record at ip exactly (else see hook.c) */
unsigned long klpkit_ftrace_location(unsigned long ip);
#ifdef CONFIG_ARM64
/* arm64.c: the core's own relocation writer */
int klpkit_arch_init(void);
int klpkit_arch_write_reloc(const struct klpkit_reloc *r, unsigned long value, bool clear);
#endif

/* The address of name in objname (NULL: vmlinux), the sympos-th if several
 * (0: it must be unique), exactly as the kernel's livepatch core decides. */
int klpkit_find_symbol(const char *objname, const char *name, unsigned long sympos,
		       unsigned long *addr);
/* Size and offset of the symbol at addr (kallsyms). */
bool klpkit_symbol_size(unsigned long addr, unsigned long *size, unsigned long *offset);

/* Apply (or clear) the patch's relocations whose sec_objname is objname. */
int klpkit_apply_relocs(struct klpkit_core_patch *patch, const char *objname);
void klpkit_clear_relocs(struct klpkit_core_patch *patch, const char *objname);
/* Check the table's header and bounds. */
int klpkit_check_relocs(struct klpkit_core_patch *patch);

/* A module by name, with a reference (module_put() it), if it is live or
 * coming; NULL otherwise. */
struct module *klpkit_get_module(const char *name);

/* stack_trace_save_tsk() */
unsigned int klpkit_save_stack(struct task_struct *task, unsigned long *store,
			       unsigned int size);

/* ---- hook.c ---- */

/* Put func on the hook of its old_addr (registering the hook if it is the
 * first), inactive. */
int klpkit_hook_add(struct klpkit_core_func *func);
/* Take func off its hook (unregistering the hook if it was the last). */
void klpkit_hook_remove(struct klpkit_core_func *func);
/* The code a call of func's old_addr runs now, and its size. */
void klpkit_hook_current(struct klpkit_core_func *func, unsigned long *addr,
			 unsigned long *size);

/* ---- shadow.c ---- */

void klpkit_shadow_exit(void);

#endif
