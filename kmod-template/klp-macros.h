/* SPDX-License-Identifier: GPL-2.0 */
/*
 * klp-macros.h: what a klpkit patch author includes in a patched kernel .c
 * file: callbacks, states, ignore markers, shadow variables, syscalls, static
 * calls and a print prefixed with the patch name.
 *
 * The macros only emit records into klpkit sections (their layout is in
 * docs/intermediate-format.md); create-diff-object carries them into the
 * diff object and kmod-template/klpkit-patch.c reads them at module init.
 * Everything here compiles on every kernel from 4.18 to 6.19+: no macro
 * relies on a kernel-version-specific helper (for example __section()
 * stringifies its argument up to 5.9 and takes a string from 5.10, so raw
 * attributes are used instead).
 */
#ifndef _KLPKIT_KLP_MACROS_H
#define _KLPKIT_KLP_MACROS_H

#ifdef _LINUX_LIVEPATCH_HELPERS_H
#error "klp-macros.h and <linux/livepatch_helpers.h> (6.19 klp-build) define the same macro names: include one of them"
#endif

#include <linux/compiler.h>
#include <linux/stringify.h>
#include <linux/types.h>
#include <linux/printk.h>
#if IS_ENABLED(CONFIG_LIVEPATCH)
#include <linux/livepatch.h>
#endif

struct klp_object;
struct klp_patch;
struct klp_state;

/* The bundled core's names for the kernel's (klp-build force-includes it too). */
#if defined(KLPKIT_CORE_BUNDLED) && KLPKIT_CORE_BUNDLED
#include "klpkit-bundled.h"
#endif

/* ---- Record layouts (64-bit; docs/intermediate-format.md) ---- */

/* .klpkit.funcs: one per changed function, written by create-diff-object. */
struct klpkit_func {
	void *new_func;
	const char *old_name;
	const char *objname;
	unsigned long sympos;
};

/* .klpkit.callbacks.<kind>: one per KLP_*_CALLBACK(). */
struct klpkit_callback {
	union {
		int (*pre_patch)(struct klp_object *obj);
		void (*post_patch)(struct klp_object *obj);
		void (*pre_unpatch)(struct klp_object *obj);
		void (*post_unpatch)(struct klp_object *obj);
		void *fn;
	};
	const char *objname;
};

/* .klpkit.states: one per KLP_STATE(). */
struct klpkit_state {
	unsigned long id;
	unsigned long version;
};

/*
 * Every record is aligned to 8 and no more: an explicit alignment keeps gcc
 * from raising that of a 16- or 32-byte object, which would leave holes in
 * the table the template walks with a fixed stride.
 */
#define __klpkit_record(sec) \
	__attribute__((__used__, __section__(sec), __aligned__(8)))

/*
 * The object a callback belongs to. NULL: create-diff-object fills it with
 * the parent object of the patched file. A hand-written patch object that
 * is not processed by create-diff-object defines it first, e.g.
 *   #define KLPKIT_OBJNAME "vmlinux"
 */
#ifndef KLPKIT_OBJNAME
#define KLPKIT_OBJNAME NULL
#endif

/* ---- Callbacks (kernel 4.15+; one of each kind per object) ---- */

/* int fn(struct klp_object *obj): non-zero vetoes patching of the object. */
#define KLP_PRE_PATCH_CALLBACK(fn)						\
	static struct klpkit_callback __klpkit_pre_patch_##fn			\
	__klpkit_record(".klpkit.callbacks.pre_patch") =			\
		{ { .pre_patch = fn }, KLPKIT_OBJNAME }
/* void fn(struct klp_object *obj) */
#define KLP_POST_PATCH_CALLBACK(fn)						\
	static struct klpkit_callback __klpkit_post_patch_##fn			\
	__klpkit_record(".klpkit.callbacks.post_patch") =			\
		{ { .post_patch = fn }, KLPKIT_OBJNAME }
#define KLP_PRE_UNPATCH_CALLBACK(fn)						\
	static struct klpkit_callback __klpkit_pre_unpatch_##fn			\
	__klpkit_record(".klpkit.callbacks.pre_unpatch") =			\
		{ { .pre_unpatch = fn }, KLPKIT_OBJNAME }
#define KLP_POST_UNPATCH_CALLBACK(fn)						\
	static struct klpkit_callback __klpkit_post_unpatch_##fn		\
	__klpkit_record(".klpkit.callbacks.post_unpatch") =			\
		{ { .post_unpatch = fn }, KLPKIT_OBJNAME }

/* ---- States (kernel 5.5+): KLP_STATE(id, version), id != 0 ---- */

#define KLP_STATE(state_id, state_version)					\
	static struct klpkit_state __UNIQUE_ID(klpkit_state)			\
	__klpkit_record(".klpkit.states") =					\
		{ .id = (state_id), .version = (state_version) }

/*
 * This patch's struct klp_state of that id (NULL on kernels before 5.5 or
 * if the patch declares no such state); defined by klpkit-patch.c.
 * klp_get_prev_state(id) is the kernel's own.
 */
struct klp_state *klpkit_get_state(unsigned long id);

/* ---- Markers for create-diff-object, never copied to the output ---- */

/* Never patch fn, even if it changed. */
#define KLP_IGNORE_FUNCTION(fn)							\
	static void *__klpkit_ignore_func_##fn					\
	__klpkit_record(".klpkit.ignore.functions") = (void *)(fn)

/* Ignore changes in the section of that name, e.g. ".text.unlikely.foo". */
#define KLP_IGNORE_SECTION(name)						\
	static const char *__UNIQUE_ID(klpkit_ignore_sec)			\
	__klpkit_record(".klpkit.ignore.sections") = (name)

/* ---- Print prefixed with the patch (module) name ---- */

/*
 * The patch name is defined by klpkit-patch.c: the patched code refers to
 * it as an undefined global that the module link resolves, so
 * create-diff-object must leave references to klpkit_* symbols that the
 * patched object does not define as ordinary relocations.
 */
extern const char klpkit_patch_name[];

#define klp_printk(fmt, ...) \
	printk(KERN_INFO "%s: " fmt, klpkit_patch_name, ##__VA_ARGS__)
#define klp_pr_warn(fmt, ...) \
	printk(KERN_WARNING "%s: " fmt, klpkit_patch_name, ##__VA_ARGS__)
#define klp_pr_err(fmt, ...) \
	printk(KERN_ERR "%s: " fmt, klpkit_patch_name, ##__VA_ARGS__)

/* ---- Immediate functions (the bundled core) ---- */

/*
 * Switch fn without checking that no task is running it (the hybrid
 * model): for a function whose old and new versions may run side by side,
 * such as one a task sleeps in forever. fn must be a function the patch
 * replaces. The kernel's core switches each task on its own and needs no
 * such mark; it ignores it.
 */
#define KLP_IMMEDIATE(fn)							\
	static void *__klpkit_immediate_##fn					\
	__klpkit_record(".klpkit.immediate") = (void *)(fn)

/* ---- Shadow variables (typed, zero-filled; the kernel's klp_shadow_*) ---- */

#if IS_ENABLED(CONFIG_LIVEPATCH) || (defined(KLPKIT_CORE_BUNDLED) && KLPKIT_CORE_BUNDLED)
/* The shadow of that id attached to obj, as a (type *), or NULL. */
#define KLP_SHADOW_GET(obj, id, type) \
	((type *)klp_shadow_get((obj), (id)))
/* Attach a new zero-filled type to obj; NULL if one exists or no memory. */
#define KLP_SHADOW_ALLOC(obj, id, type, gfp) \
	((type *)klp_shadow_alloc((obj), (id), sizeof(type), (gfp), NULL, NULL))
/* The existing shadow, or a new zero-filled one. */
#define KLP_SHADOW_GET_OR_ALLOC(obj, id, type, gfp)				\
	((type *)klp_shadow_get_or_alloc((obj), (id), sizeof(type), (gfp),	\
					 NULL, NULL))
#define KLP_SHADOW_FREE(obj, id)	klp_shadow_free((obj), (id), NULL)
#define KLP_SHADOW_FREE_ALL(id)		klp_shadow_free_all((id), NULL)
#endif

/* ---- Syscalls ---- */

/*
 * The symbol ftrace patches for a system call, as an identifier and a
 * string. With syscall wrappers (x86_64 from 4.17, arm64 from 4.19, s390
 * from 5.0, riscv from 6.6, powerpc from 6.1) the entry is an arch wrapper
 * taking pt_regs (__x64_sys_NAME) around __se_sys_NAME and
 * __do_sys_NAME; without them it is sys_NAME.
 */
#ifdef CONFIG_ARCH_HAS_SYSCALL_WRAPPER
# if defined(CONFIG_X86_64)
#  define KLP_SYSCALL_SYM(name)	__x64_sys_##name
# elif defined(CONFIG_ARM64)
#  define KLP_SYSCALL_SYM(name)	__arm64_sys_##name
# elif defined(CONFIG_S390)
#  define KLP_SYSCALL_SYM(name)	__s390x_sys_##name
# elif defined(CONFIG_RISCV)
#  define KLP_SYSCALL_SYM(name)	__riscv_sys_##name
# else
#  define KLP_SYSCALL_SYM(name)	sys_##name
# endif
#else
# define KLP_SYSCALL_SYM(name)	sys_##name
#endif
/* The function with the body (often inlined into its wrappers). */
#define KLP_SYSCALL_DO_SYM(name)	__do_sys_##name
#define KLP_SYSCALL_NAME(name)		__stringify(KLP_SYSCALL_SYM(name))

/*
 * SYSCALL_DEFINEn without the ftrace syscall metadata (the
 * __syscall_meta_* and event_{enter,exit}_* trace event records a patch
 * module must not carry): the same wrappers and symbol names, through the
 * kernel's own __SYSCALL_DEFINEx, which every version and arch has. Use
 * them in place of SYSCALL_DEFINEn for a syscall the patch changes.
 * There is no KLP_SYSCALL_DEFINE0: the arch's SYSCALL_DEFINE0 differs
 * between versions, and a 0-argument syscall has no metadata beyond its
 * name; keep SYSCALL_DEFINE0.
 */
#define KLP_SYSCALL_DEFINE1(name, ...) __SYSCALL_DEFINEx(1, _##name, __VA_ARGS__)
#define KLP_SYSCALL_DEFINE2(name, ...) __SYSCALL_DEFINEx(2, _##name, __VA_ARGS__)
#define KLP_SYSCALL_DEFINE3(name, ...) __SYSCALL_DEFINEx(3, _##name, __VA_ARGS__)
#define KLP_SYSCALL_DEFINE4(name, ...) __SYSCALL_DEFINEx(4, _##name, __VA_ARGS__)
#define KLP_SYSCALL_DEFINE5(name, ...) __SYSCALL_DEFINEx(5, _##name, __VA_ARGS__)
#define KLP_SYSCALL_DEFINE6(name, ...) __SYSCALL_DEFINEx(6, _##name, __VA_ARGS__)

/* ---- Static calls (5.10+) as plain indirect calls ---- */

/*
 * static_call(name)(args) leaves a .static_call_sites entry the kernel
 * rewrites in place; in a patch module that is unsafe when the key lives
 * in a module (late module patching). KLP_STATIC_CALL(name)(args) calls
 * the function the key currently holds through a pointer instead. For a
 * key that may hold NULL (static_call_cond), use
 * KLP_STATIC_CALL_COND(name, args...). Needs <linux/static_call.h>.
 */
#define KLP_STATIC_CALL(name)							\
	((typeof(&STATIC_CALL_TRAMP(name)))READ_ONCE(STATIC_CALL_KEY(name).func))
#define KLP_STATIC_CALL_COND(name, ...)						\
	do {									\
		typeof(&STATIC_CALL_TRAMP(name)) __klpkit_sc_fn =		\
			KLP_STATIC_CALL(name);					\
		if (__klpkit_sc_fn)						\
			__klpkit_sc_fn(__VA_ARGS__);				\
	} while (0)

#endif /* _KLPKIT_KLP_MACROS_H */
