// SPDX-License-Identifier: GPL-2.0
/*
 * shadow.c: shadow variables with the semantics of the kernel's
 * klp_shadow_*() (kernel/livepatch/shadow.c, Documentation/livepatch/
 * shadow-vars.rst): data attached to an object by <obj, id>, found in an RCU
 * hash table keyed by the object's address. Constructors run under the
 * table's spinlock and must not sleep, as with the kernel's.
 */
#define pr_fmt(fmt) "klpkit-core: " fmt

#include "internal.h"

#include <linux/hashtable.h>
#include <linux/slab.h>

struct shadow {
	struct hlist_node node;
	struct rcu_head rcu;
	void *obj;
	unsigned long id;
	char data[];
};

static DEFINE_HASHTABLE(shadow_hash, 12);
static DEFINE_SPINLOCK(shadow_lock);

static struct shadow *find_shadow(void *obj, unsigned long id)
{
	struct shadow *s;

	hash_for_each_possible_rcu(shadow_hash, s, node, (unsigned long)obj)
		if (s->obj == obj && s->id == id)
			return s;
	return NULL;
}

void *klpkit_shadow_get(void *obj, unsigned long id)
{
	struct shadow *s;

	rcu_read_lock();
	s = find_shadow(obj, id);
	rcu_read_unlock();
	return s ? s->data : NULL;
}
EXPORT_SYMBOL_GPL(klpkit_shadow_get);

static void *get_or_add(void *obj, unsigned long id, size_t size, gfp_t gfp_flags,
			klpkit_shadow_ctor_t ctor, void *ctor_data, bool warn_on_exist)
{
	struct shadow *s, *new;
	unsigned long flags;
	int ret;

	rcu_read_lock();
	s = find_shadow(obj, id);
	rcu_read_unlock();
	if (s)
		goto exists;

	new = kzalloc(struct_size(new, data, size), gfp_flags);
	if (!new)
		return NULL;
	spin_lock_irqsave(&shadow_lock, flags);
	s = find_shadow(obj, id);
	if (s) {
		spin_unlock_irqrestore(&shadow_lock, flags);
		kfree(new);
		goto exists;
	}
	new->obj = obj;
	new->id = id;
	if (ctor) {
		ret = ctor(obj, new->data, ctor_data);
		if (ret) {
			spin_unlock_irqrestore(&shadow_lock, flags);
			pr_err("shadow <%px, %lx>: the constructor failed (%d)\n", obj, id, ret);
			kfree(new);
			return NULL;
		}
	}
	hash_add_rcu(shadow_hash, &new->node, (unsigned long)obj);
	spin_unlock_irqrestore(&shadow_lock, flags);
	return new->data;
exists:
	if (warn_on_exist) {
		WARN(1, "klpkit: duplicate shadow variable <%px, %lx>\n", obj, id);
		return NULL;
	}
	return s->data;
}

void *klpkit_shadow_alloc(void *obj, unsigned long id, size_t size, gfp_t gfp_flags,
			  klpkit_shadow_ctor_t ctor, void *ctor_data)
{
	return get_or_add(obj, id, size, gfp_flags, ctor, ctor_data, true);
}
EXPORT_SYMBOL_GPL(klpkit_shadow_alloc);

void *klpkit_shadow_get_or_alloc(void *obj, unsigned long id, size_t size,
				 gfp_t gfp_flags, klpkit_shadow_ctor_t ctor,
				 void *ctor_data)
{
	return get_or_add(obj, id, size, gfp_flags, ctor, ctor_data, false);
}
EXPORT_SYMBOL_GPL(klpkit_shadow_get_or_alloc);

static void free_shadow(struct shadow *s, klpkit_shadow_dtor_t dtor)
{
	hash_del_rcu(&s->node);
	if (dtor)
		dtor(s->obj, s->data);
	kfree_rcu(s, rcu);
}

void klpkit_shadow_free(void *obj, unsigned long id, klpkit_shadow_dtor_t dtor)
{
	struct shadow *s;
	unsigned long flags;

	spin_lock_irqsave(&shadow_lock, flags);
	s = find_shadow(obj, id);
	if (s)
		free_shadow(s, dtor);
	spin_unlock_irqrestore(&shadow_lock, flags);
}
EXPORT_SYMBOL_GPL(klpkit_shadow_free);

void klpkit_shadow_free_all(unsigned long id, klpkit_shadow_dtor_t dtor)
{
	struct shadow *s;
	struct hlist_node *tmp;
	unsigned long flags;
	int bkt;

	spin_lock_irqsave(&shadow_lock, flags);
	hash_for_each_safe(shadow_hash, bkt, tmp, s, node)
		if (s->id == id)
			free_shadow(s, dtor);
	spin_unlock_irqrestore(&shadow_lock, flags);
}
EXPORT_SYMBOL_GPL(klpkit_shadow_free_all);

/* Whatever patches left: their modules are gone, so no destructor is called. */
void klpkit_shadow_exit(void)
{
	struct shadow *s;
	struct hlist_node *tmp;
	int bkt;

	hash_for_each_safe(shadow_hash, bkt, tmp, s, node) {
		hash_del(&s->node);
		kfree(s);
	}
	synchronize_rcu();
}
