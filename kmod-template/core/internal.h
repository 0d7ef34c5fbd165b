/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The parts of klpkit-core.ko and what they give each other:
 *   core.c     patches, objects, the consistency engine, sysfs, modules
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

/* Held for every change of a patch, an object or a hook. */
extern struct mutex klpkit_mutex;

/* ---- symbols.c ---- */

int klpkit_symbols_init(void);

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
