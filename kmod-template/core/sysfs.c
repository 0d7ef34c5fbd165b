// SPDX-License-Identifier: GPL-2.0
/*
 * sysfs.c: /sys/kernel/klpkit, mirroring /sys/kernel/livepatch:
 * <patch>/{enabled,transition,force,replace,blocked} and <patch>/<object>/patched.
 * Writes go to core.c (klpkit_set_enabled(), klpkit_force()).
 */
#define pr_fmt(fmt) "klpkit-core: " fmt

#include "internal.h"

#include <linux/kobject.h>
#include <linux/sysfs.h>

static struct kobject *root_kobj;

/* ---- sysfs: /sys/kernel/klpkit/<patch>/{enabled,transition,force,replace,blocked},
 * <patch>/<object>/patched ---- */

#define to_patch(k) container_of(k, struct klpkit_core_patch, kobj)
#define to_object(k) container_of(k, struct klpkit_core_object, kobj)

static ssize_t enabled_show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", to_patch(kobj)->enabled);
}

static ssize_t enabled_store(struct kobject *kobj, struct kobj_attribute *attr,
			     const char *buf, size_t count)
{
	bool enable;
	int ret;

	ret = kstrtobool(buf, &enable);
	if (!ret)
		ret = klpkit_set_enabled(to_patch(kobj), enable);
	return ret ? ret : count;
}

static ssize_t transition_show(struct kobject *kobj, struct kobj_attribute *attr,
			       char *buf)
{
	return sysfs_emit(buf, "%d\n", to_patch(kobj)->in_transition);
}

static ssize_t force_store(struct kobject *kobj, struct kobj_attribute *attr,
			   const char *buf, size_t count)
{
	bool val;
	int ret;

	ret = kstrtobool(buf, &val);
	if (!ret)
		ret = val ? klpkit_force(to_patch(kobj)) : -EINVAL;
	return ret ? ret : count;
}

static ssize_t replace_show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", to_patch(kobj)->replace);
}

static ssize_t blocked_show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	struct klpkit_core_patch *patch = to_patch(kobj);
	ssize_t n;

	mutex_lock(&klpkit_mutex);
	n = patch->in_transition && patch->blocker[0]
		    ? sysfs_emit(buf, "%s\n", patch->blocker) : sysfs_emit(buf, "\n");
	mutex_unlock(&klpkit_mutex);
	return n;
}

static struct kobj_attribute enabled_attr = __ATTR_RW(enabled);
static struct kobj_attribute transition_attr = __ATTR_RO(transition);
static struct kobj_attribute force_attr = __ATTR_WO(force);
static struct kobj_attribute replace_attr = __ATTR_RO(replace);
static struct kobj_attribute blocked_attr = __ATTR_RO(blocked);

static struct attribute *patch_attrs[] = {
	&enabled_attr.attr, &transition_attr.attr, &force_attr.attr,
	&replace_attr.attr, &blocked_attr.attr, NULL,
};
ATTRIBUTE_GROUPS(patch);

static ssize_t patched_show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", to_object(kobj)->patched);
}

static struct kobj_attribute patched_attr = __ATTR_RO(patched);
static struct attribute *object_attrs[] = { &patched_attr.attr, NULL };
ATTRIBUTE_GROUPS(object);

/* The kobjects live in the patch module's memory, freed with it: nothing to
 * release here (remove_sysfs() waits for the last reference). */
static void kobj_release(struct kobject *kobj)
{
}

static struct kobj_type patch_ktype = {
	.release = kobj_release,
	.sysfs_ops = &kobj_sysfs_ops,
	.default_groups = patch_groups,
};

static struct kobj_type object_ktype = {
	.release = kobj_release,
	.sysfs_ops = &kobj_sysfs_ops,
	.default_groups = object_groups,
};

int klpkit_sysfs_add(struct klpkit_core_patch *patch)
{
	struct klpkit_core_object *obj;
	int ret;

	ret = kobject_init_and_add(&patch->kobj, &patch_ktype, root_kobj, "%s",
				   patch_name(patch));
	patch->kobj_added = true;
	if (ret)
		goto fail;
	for_each_obj(patch, obj) {
		ret = kobject_init_and_add(&obj->kobj, &object_ktype, &patch->kobj, "%s",
					   obj_name(obj));
		obj->kobj_added = true;
		if (ret)
			goto fail;
	}
	return 0;
fail:
	klpkit_sysfs_remove(patch);
	return ret;
}

void klpkit_sysfs_remove(struct klpkit_core_patch *patch)
{
	struct klpkit_core_object *obj;

	for_each_obj(patch, obj) {
		if (obj->kobj_added)
			kobject_put(&obj->kobj);
		obj->kobj_added = false;
	}
	if (patch->kobj_added)
		kobject_put(&patch->kobj);
	patch->kobj_added = false;
}

int klpkit_sysfs_init(void)
{
	root_kobj = kobject_create_and_add("klpkit", kernel_kobj);
	return root_kobj ? 0 : -ENOMEM;
}

void klpkit_sysfs_exit(void)
{
	kobject_put(root_kobj);
}
