/* SPDX-License-Identifier: GPL-2.0 */
/*
 * klpkit-bundled.h: what patch code written for the kernel's livepatch API
 * needs to build for klpkit's bundled core (klpkit-core.ko,
 * docs/bundled-core.md). klp-build force-includes it (-include) in every
 * file it compiles for the bundled core, so that a patch's own
 * <linux/livepatch.h>, klp-macros.h or <linux/livepatch_helpers.h> (the
 * kernel's on 6.19+, klpkit's before) works unchanged:
 *   - the kernel's klp_shadow_*() and klp_get_prev_state() are the core's;
 *   - on a kernel without CONFIG_LIVEPATCH, whose <linux/livepatch.h>
 *     defines nothing, struct klp_object and struct klp_state are defined
 *     here with the fields patch code reads, at the kernel's offsets (the
 *     core passes its own objects, which start with the name).
 */
#ifndef _KLPKIT_BUNDLED_H
#define _KLPKIT_BUNDLED_H

#include <linux/kconfig.h>
#include <linux/types.h>
#include "klpkit-core.h"

#if !IS_ENABLED(CONFIG_LIVEPATCH)
struct klp_object {
	const char *name;
};
struct klp_state {
	unsigned long id;
	unsigned int version;
	void *data;
};
#endif

#define klp_shadow_get			klpkit_shadow_get
#define klp_shadow_alloc		klpkit_shadow_alloc
#define klp_shadow_get_or_alloc		klpkit_shadow_get_or_alloc
#define klp_shadow_free			klpkit_shadow_free
#define klp_shadow_free_all		klpkit_shadow_free_all
#define klp_get_prev_state		klpkit_get_prev_state
struct klp_state *klpkit_get_prev_state(unsigned long id);

#endif /* _KLPKIT_BUNDLED_H */
