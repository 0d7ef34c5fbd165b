// SPDX-License-Identifier: GPL-2.0
/*
 * symbols.c: the kernel internals the core needs but the kernel does not
 * export, symbol resolution with the livepatch core's rules, and the
 * relocations of .klpkit.relocs.
 *
 * Finding kallsyms_lookup_name (unexported since 5.7): a kprobe registered
 * on it by name is given its address by the kprobes core (which may move it
 * past an ENDBR, so sprint_symbol() says how far into the function the
 * probe point is and that is taken off). Every other internal is then
 * looked up by name and checked to be a function of that name.
 */
#define pr_fmt(fmt) "klpkit-core: " fmt

#include "internal.h"

#include <linux/elf.h>
#include <linux/kallsyms.h>
#include <linux/kprobes.h>
#include <linux/moduleloader.h>
#include <linux/stacktrace.h>
#include <linux/string.h>

typedef unsigned long (*lookup_name_t)(const char *name);

#if KLPKIT_KALLSYMS_EACH_HAS_MOD
typedef int (*each_fn_t)(void *data, const char *name, struct module *mod,
			 unsigned long addr);
#else
typedef int (*each_fn_t)(void *data, const char *name, unsigned long addr);
#endif
typedef int (*each_symbol_t)(each_fn_t fn, void *data);
typedef struct module *(*find_module_t)(const char *name);
typedef bool (*size_offset_t)(unsigned long addr, unsigned long *size,
			      unsigned long *offset);
typedef int (*relocate_t)(Elf64_Shdr *sechdrs, const char *strtab,
			  unsigned int symindex, unsigned int relsec,
			  struct module *me);
typedef void (*clear_relocate_t)(Elf64_Shdr *sechdrs, const char *strtab,
				 unsigned int symindex, unsigned int relsec,
				 struct module *me);
typedef unsigned int (*save_stack_t)(struct task_struct *task, unsigned long *store,
				     unsigned int size, unsigned int skipnr);

static struct {
	lookup_name_t lookup_name;
	each_symbol_t each_symbol;
	find_module_t find_module;
	size_offset_t size_offset;
	relocate_t apply_relocate_add;
	clear_relocate_t clear_relocate_add;	/* 6.0+; NULL before */
	save_stack_t save_stack_tsk;
	unsigned long (*ftrace_location)(unsigned long ip);
#ifdef CONFIG_X86_64
	/* Clearing a relocation before clear_relocate_add(): text_poke(). */
	void *(*text_poke)(void *addr, const void *opcode, size_t len);
	void (*text_poke_sync)(void);
	struct mutex *text_mutex;
#endif
} ks;

/* "name+0x4/0x50" or "name+0x4/0x50 [mod]": the offset if the name is name. */
static bool parse_offset(const char *buf, const char *name, unsigned long *offset)
{
	size_t len = strlen(name);
	char num[24];
	const char *p, *slash;

	if (strncmp(buf, name, len) || buf[len] != '+')
		return false;
	p = buf + len + 1;
	slash = strchr(p, '/');
	if (!slash || slash - p >= (long)sizeof(num))
		return false;
	memcpy(num, p, slash - p);
	num[slash - p] = '\0';
	return !kstrtoul(num, 0, offset);
}

static int find_lookup_name(void)
{
	struct kprobe kp = { .symbol_name = "kallsyms_lookup_name" };
	char buf[KSYM_SYMBOL_LEN];
	unsigned long addr, offset;
	int ret;

	ret = register_kprobe(&kp);
	if (ret) {
		pr_err("cannot find kallsyms_lookup_name: a kprobe on it failed (%d)\n", ret);
		return ret;
	}
	addr = (unsigned long)kp.addr;
	unregister_kprobe(&kp);
	sprint_symbol(buf, addr);
	if (!parse_offset(buf, "kallsyms_lookup_name", &offset)) {
		pr_err("cannot find kallsyms_lookup_name: the kprobe landed in %s\n", buf);
		return -ENOENT;
	}
	ks.lookup_name = (lookup_name_t)(addr - offset);
	return 0;
}

/* A function of the kernel by name; checked to start at a symbol of that name. */
void *klpkit_find_internal(const char *name, bool required)
{
	char buf[KSYM_SYMBOL_LEN];
	unsigned long addr, offset;

	addr = ks.lookup_name(name);
	if (addr) {
		sprint_symbol(buf, addr);
		if (parse_offset(buf, name, &offset) && !offset)
			return (void *)addr;
		pr_err("kallsyms gives %s for %s\n", buf, name);
		return NULL;
	}
	if (required)
		pr_err("this kernel has no %s, which the bundled core needs\n", name);
	return NULL;
}

int klpkit_symbols_init(void)
{
	int ret = find_lookup_name();

	if (ret)
		return ret;
	ks.each_symbol = klpkit_find_internal("kallsyms_on_each_symbol", true);
	ks.find_module = klpkit_find_internal("find_module", true);
	ks.size_offset = klpkit_find_internal("kallsyms_lookup_size_offset", true);
	ks.save_stack_tsk = klpkit_find_internal("stack_trace_save_tsk", true);
	ks.ftrace_location = klpkit_find_internal("ftrace_location", true);
	if (!ks.each_symbol || !ks.find_module || !ks.size_offset || !ks.save_stack_tsk ||
	    !ks.ftrace_location)
		return -ENOENT;
#ifdef CONFIG_ARM64
	/* arm64.c writes arm64's relocations itself. */
	return klpkit_arch_init();
#else
	ks.apply_relocate_add = klpkit_find_internal("apply_relocate_add", true);
	ks.clear_relocate_add = klpkit_find_internal("clear_relocate_add", false);
# ifdef CONFIG_X86_64
	if (!ks.clear_relocate_add) {
		ks.text_poke = klpkit_find_internal("text_poke", false);
		ks.text_poke_sync = klpkit_find_internal("text_poke_sync", false);
		ks.text_mutex = klpkit_find_internal("text_mutex", false);
	}
# endif
	return ks.apply_relocate_add ? 0 : -ENOENT;
#endif
}

bool klpkit_symbol_size(unsigned long addr, unsigned long *size, unsigned long *offset)
{
	return ks.size_offset(addr, size, offset);
}

unsigned long klpkit_ftrace_location(unsigned long ip)
{
	return ks.ftrace_location(ip);
}

unsigned int klpkit_save_stack(struct task_struct *task, unsigned long *store,
			       unsigned int size)
{
	return ks.save_stack_tsk(task, store, size, 0);
}

struct module *klpkit_get_module(const char *name)
{
	struct module *mod;

	/* find_module() walks the RCU list of modules: preemption off is
	 * enough, and try_module_get() refuses a module that is going. */
	preempt_disable();
	mod = ks.find_module(name);
	if (mod && !try_module_get(mod))
		mod = NULL;
	preempt_enable();
	return mod;
}

/* ---- symbol resolution: kernel/livepatch/core.c's rules ---- */

struct find_arg {
	const char *name;
	unsigned long sympos;
	unsigned long count;
	unsigned long addr;
};

static int find_callback(struct find_arg *arg, const char *name, unsigned long addr)
{
	if (strcmp(arg->name, name))
		return 0;
	arg->count++;
	arg->addr = addr;
	/* The sympos-th one: done. Unique (sympos 0): go on to count them all. */
	return arg->sympos && arg->count == arg->sympos;
}

#if KLPKIT_KALLSYMS_EACH_HAS_MOD
static int vmlinux_callback(void *data, const char *name, struct module *mod,
			    unsigned long addr)
{
	/* 5.10's walk goes on into the modules. */
	if (mod)
		return 0;
	return find_callback(data, name, addr);
}
#else
static int vmlinux_callback(void *data, const char *name, unsigned long addr)
{
	return find_callback(data, name, addr);
}
#endif

/*
 * A module's symbols in its own table (the order module_kallsyms_on_each_symbol()
 * and so the kernel's livepatch core count them in); the caller holds a
 * reference on mod.
 */
static void find_in_module(struct module *mod, struct find_arg *arg)
{
	struct mod_kallsyms *kallsyms;
	unsigned int i;

	preempt_disable();
	kallsyms = rcu_dereference_sched(mod->kallsyms);
	for (i = 0; i < kallsyms->num_symtab; i++) {
		const Elf_Sym *sym = &kallsyms->symtab[i];

		if (sym->st_shndx == SHN_UNDEF)
			continue;
		if (find_callback(arg, kallsyms->strtab + sym->st_name,
				  kallsyms_symbol_value(sym)))
			break;
	}
	preempt_enable();
}

int klpkit_find_symbol(const char *objname, const char *name, unsigned long sympos,
		       unsigned long *addr)
{
	struct find_arg arg = { .name = name, .sympos = sympos };
	const char *where = objname ? objname : "vmlinux";

	if (objname) {
		struct module *mod = klpkit_get_module(objname);

		if (!mod) {
			pr_err("symbol %s: module %s is not loaded\n", name, objname);
			return -ENOENT;
		}
		find_in_module(mod, &arg);
		module_put(mod);
	} else {
		ks.each_symbol(vmlinux_callback, &arg);
	}

	if (!arg.addr || (sympos && arg.count != sympos)) {
		if (sympos)
			pr_err("symbol %s,%lu not found in %s (%lu of that name)\n",
			       name, sympos, where, arg.count);
		else
			pr_err("symbol %s not found in %s\n", name, where);
		return -EINVAL;
	}
	if (!sympos && arg.count > 1) {
		pr_err("symbol %s is ambiguous in %s: %lu of that name and no position\n",
		       name, where, arg.count);
		return -EINVAL;
	}
	*addr = arg.addr;
	return 0;
}

/* ---- .klpkit.relocs ---- */

static const struct klpkit_reloc *reloc_entry(struct klpkit_core_patch *patch, u32 i)
{
	const struct klpkit_reloc *entries = (const void *)(patch->relocs + 1);

	return &entries[i];
}

static const char *reloc_string(struct klpkit_core_patch *patch, u32 offset)
{
	return (const char *)patch->relocs + offset;
}

/* Strings inside the table and NUL-terminated there. */
static bool string_ok(struct klpkit_core_patch *patch, u32 offset)
{
	const struct klpkit_relocs_header *h = patch->relocs;
	u32 strings = sizeof(*h) + h->count * sizeof(struct klpkit_reloc);

	return offset >= strings && offset < h->size &&
	       memchr((const char *)h + offset, 0, h->size - offset);
}

int klpkit_check_relocs(struct klpkit_core_patch *patch)
{
	const struct klpkit_relocs_header *h = patch->relocs;
	u32 i;

	if (!h)
		return 0;
	if (h->magic != KLPKIT_RELOCS_MAGIC || h->version != KLPKIT_RELOCS_VERSION ||
	    h->entry_size != sizeof(struct klpkit_reloc)) {
		pr_err("%s: .klpkit.relocs: magic %#x version %u entry size %u; expected %#x, %u, %zu\n",
		       patch->mod->name, h->magic, h->version, h->entry_size,
		       KLPKIT_RELOCS_MAGIC, KLPKIT_RELOCS_VERSION,
		       sizeof(struct klpkit_reloc));
		return -EINVAL;
	}
	if (h->size < sizeof(*h) ||
	    (h->size - sizeof(*h)) / sizeof(struct klpkit_reloc) < h->count) {
		pr_err("%s: .klpkit.relocs: %u entries do not fit in %u bytes\n",
		       patch->mod->name, h->count, h->size);
		return -EINVAL;
	}
	for (i = 0; i < h->count; i++) {
		const struct klpkit_reloc *r = reloc_entry(patch, i);

		if (!string_ok(patch, r->name) || !string_ok(patch, r->objname) ||
		    !string_ok(patch, r->sec_objname)) {
			pr_err("%s: .klpkit.relocs entry %u: a string offset is out of the table\n",
			       patch->mod->name, i);
			return -EINVAL;
		}
	}
	return 0;
}

/* "vmlinux" is NULL for klpkit_find_symbol() and the objects. */
static const char *object_arg(const char *objname)
{
	return strcmp(objname, "vmlinux") ? objname : NULL;
}

static bool same_object(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

/*
 * Zeroing a relocated place on kernels without clear_relocate_add() (before
 * 6.2 on x86), so that apply_relocate_add(), which refuses a place that is
 * not zero, can apply it again when the module comes back.
 */
#ifdef CONFIG_X86_64
static int arch_clear(const struct klpkit_reloc *r)
{
	static const u64 zero;
	size_t size;

	switch (r->type) {
	case R_X86_64_64:
	case R_X86_64_PC64:
		size = 8;
		break;
	case R_X86_64_32:
	case R_X86_64_32S:
	case R_X86_64_PC32:
	case R_X86_64_PLT32:
		size = 4;
		break;
	default:
		return -EINVAL;
	}
	if (!ks.text_poke || !ks.text_poke_sync || !ks.text_mutex)
		return -EOPNOTSUPP;
	mutex_lock(ks.text_mutex);
	ks.text_poke((void *)(unsigned long)r->loc, &zero, size);
	ks.text_poke_sync();
	mutex_unlock(ks.text_mutex);
	return 0;
}
#else
static int arch_clear(const struct klpkit_reloc *r)
{
	return -EOPNOTSUPP;
}
#endif

/*
 * One relocation through the kernel's own apply_relocate_add() (or
 * clear_relocate_add()), given an ELF image of one symbol and one entry:
 * the arch code computes, range-checks and writes it with its text-patching
 * routine, the module's text being read-only by now. The target section's
 * address is 0 and the entry's offset the absolute place.
 */
static int __maybe_unused kernel_write_reloc(struct klpkit_core_patch *patch,
					     const struct klpkit_reloc *r,
					     unsigned long value, bool clear)
{
	const char *name = reloc_string(patch, r->name);
	Elf64_Shdr sechdrs[4] = {};
	Elf64_Sym syms[2] = {};	/* symbol 0 is the null symbol */
	Elf64_Sym *sym = &syms[1];
	Elf64_Rela rela = {};
	char strtab[KSYM_NAME_LEN + 2] = "";

	strscpy(strtab + 1, name, sizeof(strtab) - 1);
	sym->st_name = 1;
	sym->st_value = value;
	sym->st_info = (STB_GLOBAL << 4) | (r->sym_type & 0xf);
	sym->st_shndx = SHN_ABS;
	rela.r_offset = r->loc;
	rela.r_info = (1ULL << 32) | r->type;
	rela.r_addend = r->addend;

	sechdrs[1].sh_type = SHT_SYMTAB;
	sechdrs[1].sh_addr = (unsigned long)syms;
	sechdrs[1].sh_size = sizeof(syms);
	sechdrs[1].sh_entsize = sizeof(*sym);
	sechdrs[2].sh_type = SHT_PROGBITS;
	sechdrs[2].sh_addr = 0;
	sechdrs[3].sh_type = SHT_RELA;
	sechdrs[3].sh_addr = (unsigned long)&rela;
	sechdrs[3].sh_size = sizeof(rela);
	sechdrs[3].sh_entsize = sizeof(rela);
	sechdrs[3].sh_info = 2;
	sechdrs[3].sh_link = 1;

	if (clear) {
		if (ks.clear_relocate_add) {
			ks.clear_relocate_add(sechdrs, strtab, 1, 3, patch->mod);
			return 0;
		}
		return arch_clear(r);
	}
	return ks.apply_relocate_add(sechdrs, strtab, 1, 3, patch->mod);
}

static int write_reloc(struct klpkit_core_patch *patch, const struct klpkit_reloc *r,
		       unsigned long value, bool clear)
{
#ifdef CONFIG_ARM64
	/* arm64's stores into read-only text and has no PLT for this (arm64.c). */
	return klpkit_arch_write_reloc(r, value, clear);
#else
	return kernel_write_reloc(patch, r, value, clear);
#endif
}

int klpkit_apply_relocs(struct klpkit_core_patch *patch, const char *objname)
{
	const struct klpkit_relocs_header *h = patch->relocs;
	u32 i;
	int ret;

	if (!h)
		return 0;
	for (i = 0; i < h->count; i++) {
		const struct klpkit_reloc *r = reloc_entry(patch, i);
		const char *name = reloc_string(patch, r->name);
		unsigned long value;

		if (!same_object(object_arg(reloc_string(patch, r->sec_objname)), objname))
			continue;
		ret = klpkit_find_symbol(object_arg(reloc_string(patch, r->objname)),
					 name, r->sympos, &value);
		if (!ret)
			ret = write_reloc(patch, r, value, false);
		if (ret) {
			pr_err("%s: relocation %u (type %u at %pS) against %s:%s,%u failed (%d)\n",
			       patch->mod->name, i, r->type, (void *)(unsigned long)r->loc,
			       reloc_string(patch, r->objname), name, r->sympos, ret);
			/* Nothing half-applied for this object. */
			while (i--) {
				r = reloc_entry(patch, i);
				if (same_object(object_arg(reloc_string(patch, r->sec_objname)),
						objname))
					write_reloc(patch, r, 0, true);
			}
			return ret;
		}
	}
	return 0;
}

void klpkit_clear_relocs(struct klpkit_core_patch *patch, const char *objname)
{
	const struct klpkit_relocs_header *h = patch->relocs;
	u32 i;

	if (!h)
		return;
	for (i = 0; i < h->count; i++) {
		const struct klpkit_reloc *r = reloc_entry(patch, i);

		if (same_object(object_arg(reloc_string(patch, r->sec_objname)), objname) &&
		    write_reloc(patch, r, 0, true))
			pr_warn("%s: cannot clear relocation %u; %s cannot be patched again if it comes back\n",
				patch->mod->name, i, objname);
	}
}
