/* SPDX-License-Identifier: GPL-2.0 */
/*
 * klpkit-core.h: the interface between a patch module built for the bundled
 * core (KLPKIT_CORE=bundled) and klpkit-core.ko, klpkit's own livepatch
 * runtime for kernels without CONFIG_LIVEPATCH (kmod-template/core/,
 * docs/bundled-core.md).
 *
 * The patch module describes itself with the structures below (the public
 * fields, filled by klpkit-patch.c from the .klpkit.* tables) and hands them
 * to klpkit_core_register(). The core owns every field marked private. Both
 * modules are built by the same klpkit for the same kernel;
 * klpkit_core_register() refuses a description of another layout.
 */
#ifndef _KLPKIT_CORE_H
#define _KLPKIT_CORE_H

#include <linux/types.h>
#include <linux/list.h>
#include <linux/kobject.h>
#include <linux/workqueue.h>

#define KLPKIT_CORE_ABI 1

struct module;
/*
 * Callbacks take a struct klp_object *, as the kernel's do (klp-macros.h):
 * the bundled core passes its struct klpkit_core_object, whose first field
 * is the object's name as in the kernel's struct.
 */
struct klp_object;

/*
 * .klpkit.relocs, written by klp-convert --core bundled (layout also in
 * lib/livepatch/tables.h, docs/intermediate-format.md). The template
 * contributes the header with count 0; klp-convert appends the entries and
 * their strings. All offsets are from the start of the header.
 */
#define KLPKIT_RELOCS_MAGIC 0x52504c4bU	/* "KLPR" */
#define KLPKIT_RELOCS_VERSION 1

struct klpkit_relocs_header {
	u32 magic;
	u16 version;
	u16 entry_size;
	u32 count;
	u32 size;		/* header + entries + strings, in bytes */
};

struct klpkit_reloc {
	u64 loc;		/* address of the place to relocate */
	s64 addend;
	u32 type;		/* the arch's ELF relocation type */
	u32 sympos;
	u32 name;		/* symbol name */
	u32 objname;		/* where the symbol is: "vmlinux" or a module */
	u32 sec_objname;	/* the object whose loading applies it */
	u8 sym_type;
	u8 pad[3];
};

struct klpkit_core_object;

struct klpkit_core_func {
	/* public */
	const char *old_name;
	void *new_func;
	unsigned long sympos;
	bool immediate;		/* switch without the stack check */

	/* private */
	struct klpkit_core_object *obj;
	unsigned long old_addr, old_size, new_size;
	struct list_head stack_node;	/* on the hook of old_addr */
	struct list_head nop_node;	/* nops of a replace patch */
	bool nop;			/* runs the original (atomic replace) */
	bool on_stack;			/* on the hook's stack */
	bool active;			/* redirects calls */
};

struct klpkit_core_callbacks {
	int (*pre_patch)(struct klp_object *obj);
	void (*post_patch)(struct klp_object *obj);
	void (*pre_unpatch)(struct klp_object *obj);
	void (*post_unpatch)(struct klp_object *obj);
};

struct klpkit_core_patch;

struct klpkit_core_object {
	/* public */
	const char *name;		/* NULL: vmlinux */
	struct klpkit_core_func *funcs;
	size_t nr_funcs;
	struct klpkit_core_callbacks callbacks;

	/* private */
	struct klpkit_core_patch *patch;
	struct kobject kobj;
	bool kobj_added;
	bool loaded;			/* resolved, relocated, hooked */
	bool patched;			/* post-patch state reached */
	bool callbacks_run;		/* pre_patch succeeded */
	struct klpkit_core_func *nops;	/* replace: kcalloc'd, nr_nops */
	size_t nr_nops;
	bool dynamic;			/* added by the core for nops; name kstrdup'd */
};

/* The kernel's struct klp_state, for KLP_STATE() and klpkit_get_state(). */
struct klpkit_core_state {
	unsigned long id;
	unsigned int version;
	void *data;
};

struct klpkit_core_patch {
	/* public */
	unsigned int abi;		/* KLPKIT_CORE_ABI */
	size_t size;			/* sizeof(struct klpkit_core_patch) */
	struct module *mod;
	struct klpkit_core_object *objs;
	size_t nr_objs;
	struct klpkit_core_state *states;
	size_t nr_states;
	const struct klpkit_relocs_header *relocs;
	bool replace;

	/* private */
	struct klpkit_core_object *objs_alloc;	/* objs, with dynamic objects */
	struct list_head node;		/* on the core's list of patches */
	struct kobject kobj;
	bool kobj_added;
	bool enabled;			/* the target state */
	bool in_transition;
	bool forced;			/* a forced switch: never unloaded */
	bool replaced;			/* taken over by a replace patch */
	unsigned int attempts;
	unsigned long next_delay;	/* jiffies */
	struct delayed_work work;
	char blocker[160];		/* the last task that held it */
	struct completion *freed;
};

int klpkit_core_register(struct klpkit_core_patch *patch);
void klpkit_core_unregister(struct klpkit_core_patch *patch);
struct klpkit_core_state *klpkit_core_get_state(struct klpkit_core_patch *patch,
						unsigned long id);
struct klpkit_core_state *klpkit_core_get_prev_state(struct klpkit_core_patch *patch,
						     unsigned long id);

/* Shadow variables: the kernel's klp_shadow_* semantics. */
typedef int (*klpkit_shadow_ctor_t)(void *obj, void *shadow_data, void *ctor_data);
typedef void (*klpkit_shadow_dtor_t)(void *obj, void *shadow_data);

void *klpkit_shadow_get(void *obj, unsigned long id);
void *klpkit_shadow_alloc(void *obj, unsigned long id, size_t size, gfp_t gfp_flags,
			  klpkit_shadow_ctor_t ctor, void *ctor_data);
void *klpkit_shadow_get_or_alloc(void *obj, unsigned long id, size_t size,
				 gfp_t gfp_flags, klpkit_shadow_ctor_t ctor,
				 void *ctor_data);
void klpkit_shadow_free(void *obj, unsigned long id, klpkit_shadow_dtor_t dtor);
void klpkit_shadow_free_all(unsigned long id, klpkit_shadow_dtor_t dtor);

#endif /* _KLPKIT_CORE_H */
