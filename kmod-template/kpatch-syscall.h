/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kpatch-syscall.h: kpatch's KPATCH_SYSCALL_DEFINE1..6 on klpkit. A patch to
 * a system call replaces SYSCALL_DEFINEn(name, ...) with
 * KPATCH_SYSCALL_DEFINEn(name, ...): the same functions and symbols, without
 * the ftrace syscall metadata a patch module must not carry. They are
 * klp-macros.h's KLP_SYSCALL_DEFINE1..6 (the kernel's own __SYSCALL_DEFINEx),
 * not kpatch's: the body keeps its name (__do_sys_<name>), and when it is
 * inlined into its ftrace'd wrapper create-diff-object patches the wrapper.
 * A 0-argument syscall keeps SYSCALL_DEFINE0 (no metadata beyond its name).
 * Needs <linux/syscalls.h>, which a file defining syscalls includes.
 */
#ifndef _KLPKIT_KPATCH_SYSCALL_H
#define _KLPKIT_KPATCH_SYSCALL_H

#include "kpatch-macros.h"

#define KPATCH_SYSCALL_DEFINE1(name, ...) KLP_SYSCALL_DEFINE1(name, __VA_ARGS__)
#define KPATCH_SYSCALL_DEFINE2(name, ...) KLP_SYSCALL_DEFINE2(name, __VA_ARGS__)
#define KPATCH_SYSCALL_DEFINE3(name, ...) KLP_SYSCALL_DEFINE3(name, __VA_ARGS__)
#define KPATCH_SYSCALL_DEFINE4(name, ...) KLP_SYSCALL_DEFINE4(name, __VA_ARGS__)
#define KPATCH_SYSCALL_DEFINE5(name, ...) KLP_SYSCALL_DEFINE5(name, __VA_ARGS__)
#define KPATCH_SYSCALL_DEFINE6(name, ...) KLP_SYSCALL_DEFINE6(name, __VA_ARGS__)

#endif /* _KLPKIT_KPATCH_SYSCALL_H */
