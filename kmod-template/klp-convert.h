/* SPDX-License-Identifier: GPL-2.0 */
/*
 * klp-convert.h: annotations for hand-written livepatch modules.
 *
 * A livepatch written in C may call unexported functions and use static variables
 * of the object it patches: declare them `extern` and use them as usual, then run
 * `klp-convert --symbols symbols.klp IN.ko OUT.ko` on the linked module. Every
 * undefined reference that is not exported becomes a livepatch relocation
 * (`.klp.sym.<object>.<name>,<sympos>`), found in the symbol map.
 *
 * When the map alone cannot tell (a name that exists in several objects, or several
 * times in one, e.g. two `static int count` in different files), say which one is
 * meant; klp-convert lists the candidates with their positions:
 *
 *	extern int count;		// the second `count` of vmlinux
 *	extern void btrfs_helper(void);	// a static function of module btrfs
 *
 *	KLP_MODULE_RELOC(vmlinux) = {
 *		KLP_SYMPOS(count, 2),
 *	};
 *	KLP_MODULE_RELOC(btrfs) = {
 *		KLP_SYMPOS(btrfs_helper, 0),	// 0: the name is unique in btrfs
 *	};
 *
 * The records go to section `.klp.module_relocs.<object>`; klp-convert reads and
 * removes it. Nothing of it is left in the converted module. kbuild's modpost does
 * not know these symbols: build the module with KBUILD_MODPOST_WARN=1.
 *
 * The object is the kernel's name for it: `vmlinux`, or the module name with '_'
 * for '-' (KBUILD_MODNAME). Format: docs/klp-convert.md.
 */
#ifndef _KLPKIT_KLP_CONVERT_H
#define _KLPKIT_KLP_CONVERT_H

/* One record: 16 bytes, the symbol by relocation, then its position. */
struct klp_convert_sympos {
	void *sym;
	unsigned long pos;
};

#define __KLP_CONVERT_CONCAT2(a, b) a##b
#define __KLP_CONVERT_CONCAT(a, b) __KLP_CONVERT_CONCAT2(a, b)

/* Starts an array of KLP_SYMPOS() records for the symbols of object `objname`. */
#define KLP_MODULE_RELOC(objname)                                                    \
	static const struct klp_convert_sympos __attribute__((                         \
		used, aligned(8), section(".klp.module_relocs." #objname)))           \
	__KLP_CONVERT_CONCAT(__klp_convert_relocs_, __COUNTER__)[]

/* `symbol` is the `pos`th of its name in its object (0: the only one). */
#define KLP_SYMPOS(symbol, position)                                                 \
	{                                                                              \
		.sym = (void *)&(symbol), .pos = (position)                            \
	}

#endif /* _KLPKIT_KLP_CONVERT_H */
