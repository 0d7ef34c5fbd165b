/* SPDX-License-Identifier: GPL-2.0 */
/*
 * <linux/livepatch_helpers.h> for kernels that lack it (before 6.19): the
 * patch-author interface of the kernel's own klp-build, so that a patch
 * written for it builds unchanged with klpkit's klp-build on older kernels.
 * klp-build searches this directory after every include directory of the
 * kernel (-idirafter), so a kernel that has the header uses its own.
 *
 * The callbacks leave what the kernel's header leaves: a pointer to the
 * callback named __klp_<kind>_callback_<object> in .discard.klp_callback_ptrs,
 * which create-diff-object turns into a klpkit callback record, whichever
 * header wrote it. One callback of each kind per patched object.
 *
 *	static void after(struct klp_object *obj) { ... }
 *	KLP_POST_PATCH_CALLBACK(after);
 *
 * KLP_SYSCALL_DEFINEn(name, ...) replaces SYSCALL_DEFINEn for a system call
 * the patch changes: the same entry points, without the ftrace syscall
 * metadata a patch module must not carry. KLP_STATIC_CALL(name)(args) calls
 * what a static call holds through a pointer.
 */
#ifndef _LINUX_LIVEPATCH_HELPERS_H
#define _LINUX_LIVEPATCH_HELPERS_H

#ifdef _KLPKIT_KLP_MACROS_H
#error "klp-macros.h and <linux/livepatch_helpers.h> define the same macro names: include one of them"
#endif

#include <linux/compiler.h>
#include <linux/stringify.h>
#include <linux/syscalls.h>
#if IS_ENABLED(CONFIG_LIVEPATCH)
#include <linux/livepatch.h>
#endif

struct klp_object;

typedef int (*klp_pre_patch_t)(struct klp_object *obj);
typedef void (*klp_post_patch_t)(struct klp_object *obj);
typedef void (*klp_pre_unpatch_t)(struct klp_object *obj);
typedef void (*klp_post_unpatch_t)(struct klp_object *obj);

/* The object the callbacks of this file belong to, as the name's suffix. */
#ifdef MODULE
#define KLP_OBJNAME __KBUILD_MODNAME
#else
#define KLP_OBJNAME vmlinux
#endif

#define __KLPKIT_CALLBACK_POINTER(type, kind, fn)				\
	type __attribute__((__used__, __section__(".discard.klp_callback_ptrs")))	\
		__PASTE(__klp_##kind##_callback_, KLP_OBJNAME) = (fn)

/* int fn(struct klp_object *obj): non-zero vetoes patching of the object. */
#define KLP_PRE_PATCH_CALLBACK(fn)						\
	__KLPKIT_CALLBACK_POINTER(klp_pre_patch_t, pre_patch, fn)
/* void fn(struct klp_object *obj), once the object is patched. */
#define KLP_POST_PATCH_CALLBACK(fn)						\
	__KLPKIT_CALLBACK_POINTER(klp_post_patch_t, post_patch, fn)
/* void fn(struct klp_object *obj), before the object is unpatched. */
#define KLP_PRE_UNPATCH_CALLBACK(fn)						\
	__KLPKIT_CALLBACK_POINTER(klp_pre_unpatch_t, pre_unpatch, fn)
/* void fn(struct klp_object *obj), once the object is unpatched. */
#define KLP_POST_UNPATCH_CALLBACK(fn)						\
	__KLPKIT_CALLBACK_POINTER(klp_post_unpatch_t, post_unpatch, fn)

/* What static call `name` holds, called through a pointer. */
#define KLP_STATIC_CALL(name)							\
	((typeof(&STATIC_CALL_TRAMP(name)))READ_ONCE(STATIC_CALL_KEY(name).func))

/*
 * System calls through the kernel's own __SYSCALL_DEFINEx (every version and
 * architecture has it): SYSCALL_DEFINEn without SYSCALL_METADATA.
 */
#define KLP_SYSCALL_DEFINE1(name, ...) __SYSCALL_DEFINEx(1, _##name, __VA_ARGS__)
#define KLP_SYSCALL_DEFINE2(name, ...) __SYSCALL_DEFINEx(2, _##name, __VA_ARGS__)
#define KLP_SYSCALL_DEFINE3(name, ...) __SYSCALL_DEFINEx(3, _##name, __VA_ARGS__)
#define KLP_SYSCALL_DEFINE4(name, ...) __SYSCALL_DEFINEx(4, _##name, __VA_ARGS__)
#define KLP_SYSCALL_DEFINE5(name, ...) __SYSCALL_DEFINEx(5, _##name, __VA_ARGS__)
#define KLP_SYSCALL_DEFINE6(name, ...) __SYSCALL_DEFINEx(6, _##name, __VA_ARGS__)

/*
 * SYSCALL_DEFINE0 is the architecture's own and has no common core to reuse.
 * x86_64 (5.7+, its __X64_SYS_STUB0) builds it from the stubs below; elsewhere
 * KLP_SYSCALL_DEFINE0 stays undefined and the compiler names it.
 */
#if defined(CONFIG_X86_64) && defined(__X64_SYS_STUB0)
#define KLP_SYSCALL_DEFINE0(sname)						\
	static long __do_sys_##sname(const struct pt_regs *__unused);		\
	__X64_SYS_STUB0(sname)							\
	__IA32_SYS_STUB0(sname)							\
	static long __do_sys_##sname(const struct pt_regs *__unused)
#endif

#endif /* _LINUX_LIVEPATCH_HELPERS_H */
