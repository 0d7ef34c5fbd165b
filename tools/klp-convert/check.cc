// klp-convert --check: verifies a finished livepatch module against the kernel's
// rules and the target's symbols, one line per problem: a module for the kernel's
// core by its `.klp.rela` sections and `.klp.sym.` symbols, a module for klpkit's
// bundled core by its `.klpkit.relocs` table. It never changes the module; a file it
// cannot read is an error, a rule the module breaks is a problem.
#include "arch/arch.h"
#include "arch/arch.h"
#include "code_objects.h"
#include "convert.h"
#include "ksym/symbol_table.h"
#include "livepatch/tables.h"
#include "relocs_table.h"
#include "target.h"

#include <optional>
#include <set>

namespace klp::convert {

namespace {

class Checker {
public:
	Checker(const elf::Object &obj, const SymbolMap &target, const arch::Arch &arch)
		: obj_(obj), target_(target), arch_(arch)
	{
	}
	std::vector<std::string> run();

private:
	template <typename... Args>
	void problem(fmt::format_string<Args...> format, Args &&...args)
	{
		problems_.push_back(obj_.path + ": " +
				    fmt::format(format, std::forward<Args>(args)...));
	}
	void check_modinfo();
	void check_symtab_order();
	void check_leftovers();
	void check_klp_relas();
	void check_klp_rela_entry(const elf::Section &sec, const std::string &objname, size_t i);
	void check_code_object(const elf::Section &base, uint64_t offset,
			       const std::string &objname, const KlpSymbol *target,
			       const std::string &where, bool table_entry);
	void check_klp_symbols();
	void check_target_symbol(const std::string &where, const KlpSymbol &target,
				 std::string_view unchecked);
	void check_no_klp_format();
	void check_relocs_table();
	void check_relocs_entry(const TableEntry &e, size_t i);
	void check_plain_relas();
	void check_undefined();

	const elf::Object &obj_;
	const SymbolMap &target_;
	const arch::Arch &arch_;
	// A module for the bundled core: its `.klpkit.relocs` table; null for the kernel's.
	const elf::Section *table_ = nullptr;
	std::vector<std::string> problems_;
	std::optional<CodeObjects> code_;
	std::set<std::string> unknown_objects_; // objects already reported as not given
};

std::vector<std::string> Checker::run()
{
	table_ = obj_.find_section(livepatch::relocs_section);
	check_modinfo();
	check_symtab_order();
	check_leftovers();
	// Whose code is whose, from .klpkit.funcs: what a module's section may hold.
	code_.emplace(obj_, problems_);
	if (table_) {
		// The bundled core applies its table; the kernel has no livepatch core.
		check_no_klp_format();
		check_relocs_table();
	} else {
		check_klp_relas();
		check_klp_symbols();
	}
	check_plain_relas();
	check_undefined();
	return std::move(problems_);
}

void Checker::check_modinfo()
{
	auto info = read_modinfo(obj_);
	bool livepatch = false;
	std::string name;
	for (const auto &[key, value] : info) {
		// check_modinfo_livepatch() without CONFIG_LIVEPATCH refuses the module
		// for the key, whatever its value: "module is marked as livepatch module,
		// but livepatch support is disabled".
		if (key == "livepatch" && table_)
			problem(".modinfo has livepatch={}, but the module is for the bundled core "
				"({}): a kernel without CONFIG_LIVEPATCH refuses to load it",
				value, livepatch::relocs_section);
		if (key == "livepatch" && value == "Y")
			livepatch = true;
		if (key == "name")
			name = value;
	}
	// Without it the loader neither keeps the ELF information (copy_module_elf())
	// nor lets klp_enable_patch() accept the module.
	if (!livepatch && !table_)
		problem(".modinfo has no livepatch=Y (MODULE_INFO(livepatch, \"Y\"))");
	if (name.empty())
		name = ksym::objname_from_path(obj_.path);
	if (name.size() > max_objname_len)
		problem("module name '{}' has {} characters; the kernel allows at most {}", name,
			name.size(), max_objname_len);
}

// The writer of a module must keep locals before globals and sh_info at the first
// global (the loader and every ELF reader rely on it).
void Checker::check_symtab_order()
{
	size_t first_global = obj_.symtab->info;
	for (size_t i = 1; i < obj_.symbols.size(); i++) {
		const elf::Symbol &sym = *obj_.symbols[i];
		if (sym.is_local() != (i < first_global)) {
			problem("{}: {} {} sh_info {} of {}", describe(sym),
				sym.is_local() ? "is local but follows" : "is global but precedes",
				"the first global at", first_global, obj_.symtab->name);
			return;
		}
	}
}

void Checker::check_leftovers()
{
	for (const auto &sym : obj_.symbols)
		if (is_placeholder_name(sym->name))
			problem("{}: a create-diff-object placeholder is left; run klp-convert",
				describe(*sym));
	for (const auto &sec : obj_.sections)
		if (sec->name == placeholder_section || sec->name.starts_with(annotation_prefix))
			problem("{}: an intermediate section is left; run klp-convert", describe(*sec));
}

void Checker::check_klp_relas()
{
	for (const auto &owned : obj_.sections) {
		const elf::Section &sec = *owned;
		if (!(sec.flags & elf::SHF_RELA_LIVEPATCH))
			continue;
		if (sec.type != SHT_RELA) {
			problem("{}: SHF_RELA_LIVEPATCH on a section of type {}, not SHT_RELA",
				describe(sec), sec.type);
			continue;
		}
		auto objname = klp_rela_objname(sec.name);
		if (!objname) {
			problem("{}: a livepatch relocation section must be named "
				"{}<object>.<section>",
				describe(sec), klp_rela_prefix);
			continue;
		}
		if (auto bad = check_objname(*objname))
			problem("{}: {}", describe(sec), *bad);
		// Documentation/livepatch/module-elf-format.rst: SHF_ALLOC keeps the
		// relocations in memory until the target object loads.
		if (!(sec.flags & SHF_ALLOC))
			problem("{}: lacks SHF_ALLOC; the loader would free it before the "
				"livepatch core applies it",
				describe(sec));
		if (!(sec.flags & SHF_INFO_LINK))
			problem("{}: lacks SHF_INFO_LINK", describe(sec));
		const elf::Section &base = *sec.base;
		if (base.is_rela() || base.type == SHT_SYMTAB || base.type == SHT_STRTAB ||
		    base.type == SHT_GROUP || base.type == SHT_NULL) {
			problem("{}: sh_info points to {}, which holds no code or data",
				describe(sec), describe(base));
			continue;
		}
		std::string expected = klp_rela_name(*objname, base.name);
		if (sec.name != expected)
			problem("{}: applies to {}, so it should be named {}", describe(sec),
				describe(base), expected);
		if (!base.is_alloc())
			problem("{}: applies to {}, which is not allocated: it is not in memory "
				"when the livepatch core writes to it",
				describe(sec), describe(base));
		else if (applied_after_init(base.name, *objname))
			problem("{}: applies to init section {}, which is freed before {} may "
				"load",
				describe(sec), base.name, *objname);
		for (size_t i = 0; i < sec.relocs.size(); i++)
			check_klp_rela_entry(sec, *objname, i);
	}
}

void Checker::check_klp_rela_entry(const elf::Section &sec, const std::string &objname,
				   size_t i)
{
	const elf::Relocation &r = sec.relocs[i];
	const elf::Section &base = *sec.base;
	std::string where = fmt::format("{}: relocation {} at {}+{:#x}", describe(sec), i,
					base.name, r.offset);
	// klp_resolve_symbols(): "symbol %s is not marked as a livepatch symbol".
	if (!r.sym || r.sym->sec || r.sym->shndx != elf::SHN_LIVEPATCH) {
		problem("{}: {} is not an SHN_LIVEPATCH symbol", where,
			r.sym ? describe(*r.sym) : "symbol 0");
		return;
	}
	KlpSymbol target;
	bool parsed = !parse_klp_symbol(r.sym->name, klp_sym_prefix, target);
	if (parsed) {
		// Since 5.8: "invalid access to vmlinux symbol '%s' from module-specific
		// livepatch relocation section".
		if (target.objname == "vmlinux" && objname != "vmlinux")
			problem("{}: refers to vmlinux symbol '{}' from a section of module {}; "
				"the kernel refuses that (since 5.8)",
				where, target.name, objname);
		// A module's symbol from another module's section is fine: the kernel
		// resolves it when that module is patched, which needs its dependencies.
		else if (objname == "vmlinux" && target.objname != "vmlinux")
			problem("{}: refers to a symbol of module {} from vmlinux's section, "
				"which is applied when the patch module loads, whether or not {} "
				"is loaded",
				where, target.objname, target.objname);
	}
	if (objname != "vmlinux")
		check_code_object(base, r.offset, objname, parsed ? &target : nullptr, where,
				  false);
	unsigned width = arch_.apply_width(r.type);
	if (width == 0) {
		problem("{}: {} is not a type the kernel's apply_relocate_add() handles", where,
			arch::reloc_type_name(obj_.machine, r.type));
		return;
	}
	if (base.type == SHT_NOBITS)
		return;
	if (r.offset > base.size() || width > base.size() - r.offset) {
		problem("{}: {} bytes there run past the end of {} ({:#x} bytes)", where, width,
			base.name, base.size());
		return;
	}
	if (!arch_.apply_needs_zero)
		return;
	// arch/x86/kernel/module.c: "Invalid relocation target, existing value is
	// nonzero".
	for (unsigned b = 0; b < width; b++) {
		if (base.data[r.offset + b] != 0) {
			problem("{}: the {} bytes there are not zero; the kernel refuses to write "
				"over them",
				where, width);
			return;
		}
	}
}

// klp_apply_object_relocs() applies `.klp.rela.<obj>.*` only when <obj> is patched,
// so a relocation there must be in code that runs as <obj>'s. vfat's vfat_create()
// calling fat's fat_build_inode through `.klp.rela.fat.*` is never relocated unless
// fat is patched too: the call goes through 0. The same holds for a table entry's
// sec_objname (`table_entry`), the object whose loading applies it.
void Checker::check_code_object(const elf::Section &base, uint64_t offset,
				const std::string &objname, const KlpSymbol *target,
				const std::string &where, bool table_entry)
{
	if (!code_->known())
		return;
	std::set<std::string> owners = code_->at(base, offset);
	std::string place = code_->place(base, offset);
	const char *what = table_entry ? "entry" : "section";
	if (owners.empty()) {
		problem("{}: no function of {} reaches {}, so whose code it is is unknown; the "
			"{} is applied only when {} is patched",
			where, livepatch::funcs_section, place, what, objname);
	} else if (!owners.count(objname)) {
		std::string list;
		for (const std::string &owner : owners)
			list += (list.empty() ? "" : ", ") + owner;
		std::optional<std::string> right;
		if (owners.size() == 1 && target)
			if (auto objname = sec_objname_for(*owners.begin(), target->objname))
				right = *objname;
		std::string advice;
		if (right && table_entry)
			advice = fmt::format("; its sec_objname should be {}", *right);
		else if (right)
			advice = fmt::format("; it belongs in {}", klp_rela_name(*right, base.name));
		problem("{}: {} is code of {} ({}), but the {} is applied only when {} is "
			"patched{}",
			where, place, list, livepatch::funcs_section, what, objname, advice);
	}
}

void Checker::check_klp_symbols()
{
	for (const auto &owned : obj_.symbols) {
		const elf::Symbol &sym = *owned;
		bool livepatch = !sym.sec && sym.shndx == elf::SHN_LIVEPATCH;
		if (!livepatch) {
			if (sym.name.starts_with(klp_sym_prefix))
				problem("{}: a {} symbol must have st_shndx SHN_LIVEPATCH",
					describe(sym), klp_sym_prefix);
			continue;
		}
		KlpSymbol target;
		if (auto bad = parse_klp_symbol(sym.name, klp_sym_prefix, target)) {
			problem("{}: {}", describe(sym), *bad);
			continue;
		}
		check_target_symbol(describe(sym), target, ".klp.sym symbols");
	}
}

// The target has exactly the symbol a livepatch symbol or table entry designates.
void Checker::check_target_symbol(const std::string &where, const KlpSymbol &target,
				  std::string_view unchecked)
{
	const MapObject *object = target_.object(target.objname);
	if (!object) {
		if (unknown_objects_.insert(target.objname).second)
			problem("{}: no symbols of {} were given (--module {}=FILE.ko, --kallsyms "
				"or --symbols), so its {} are unchecked",
				where, target.objname, target.objname, unchecked);
		return;
	}
	if (auto bad = object->check_position(target.name, target.sympos))
		problem("{}: {}", where, *bad);
}

// Without CONFIG_LIVEPATCH, klp_apply_section_relocs() is a stub: `.klp.rela`
// sections are never applied and their SHN_LIVEPATCH symbols never resolved.
void Checker::check_no_klp_format()
{
	for (const auto &sec : obj_.sections)
		if ((sec->flags & elf::SHF_RELA_LIVEPATCH) ||
		    sec->name.starts_with(klp_rela_prefix))
			problem("{}: a livepatch relocation section in a module for the bundled "
				"core ({}); a kernel without CONFIG_LIVEPATCH never applies it",
				describe(*sec), livepatch::relocs_section);
	for (const auto &sym : obj_.symbols)
		if ((!sym->sec && sym->shndx == elf::SHN_LIVEPATCH) ||
		    sym->name.starts_with(klp_sym_prefix))
			problem("{}: a livepatch symbol in a module for the bundled core ({}); "
				"nothing resolves it without CONFIG_LIVEPATCH",
				describe(*sym), livepatch::relocs_section);
}

void Checker::check_relocs_table()
{
	std::vector<TableEntry> entries = read_relocs_table(obj_, *table_, arch_, problems_);
	std::set<KlpSymbol> checked;
	for (size_t i = 0; i < entries.size(); i++) {
		check_relocs_entry(entries[i], i);
		// One line per symbol, however many entries use it.
		if (checked.insert(entries[i].sym).second)
			check_target_symbol(fmt::format("{}: {} symbol '{}',{}", describe(*table_),
							entries[i].sym.objname, entries[i].sym.name,
							entries[i].sym.sympos),
					    entries[i].sym, "table entries");
	}
}

// An entry holds what a `.klp.rela.<sec_objname>.*` relocation against
// `.klp.sym.<objname>.<name>,<sympos>` would, and the same rules hold.
void Checker::check_relocs_entry(const TableEntry &e, size_t i)
{
	const elf::Section &base = *e.base;
	std::string where = fmt::format("{}: entry {} at {}+{:#x}", describe(*table_), i,
					base.name, e.offset);
	for (const std::string *objname : {&e.sym.objname, &e.sec_objname})
		if (auto bad = check_objname(*objname))
			problem("{}: {}", where, *bad);
	if (auto bad = check_symname(e.sym.name))
		problem("{}: {}", where, *bad);
	if (e.sym_type != STT_FUNC && e.sym_type != STT_OBJECT && e.sym_type != STT_NOTYPE)
		problem("{}: sym_type {} is not STT_FUNC, STT_OBJECT or STT_NOTYPE", where,
			e.sym_type);

	// The place. The bundled core writes each entry with the kernel's
	// apply_relocate_add() (kmod-template/core/symbols.c write_reloc()), or on arm64
	// with its own writer (arm64.c): their types, and on x86_64 the kernel's refusal
	// to write over a nonzero value.
	if (!base.is_alloc()) {
		problem("{}: {} is not allocated: it is not in memory when the core writes to it",
			where, describe(base));
		return;
	}
	unsigned width = arch_.apply_width(e.type);
	if (width == 0 || !arch_.bundled_writes(e.type)) {
		problem("{}: {} is not a type the bundled core writes on {}", where,
			arch::reloc_type_name(obj_.machine, e.type), arch_.kbuild_arch);
		return;
	}
	if (e.offset > base.size() || width > base.size() - e.offset) {
		problem("{}: {} bytes there run past the end of {} ({:#x} bytes)", where, width,
			base.name, base.size());
		return;
	}
	if (base.type != SHT_NOBITS && arch_.apply_needs_zero) {
		for (unsigned b = 0; b < width; b++) {
			if (base.data[e.offset + b] != 0) {
				problem("{}: the {} bytes there are not zero; the kernel refuses to "
					"write over them",
					where, width);
				break;
			}
		}
	}

	// Who applies it. sec_objname_for(): a vmlinux symbol with vmlinux, when the
	// patch module loads; a module's symbol with a module, once that is loaded.
	if (e.sym.objname == "vmlinux" && e.sec_objname != "vmlinux")
		problem("{}: refers to vmlinux symbol '{}' but is applied with module {}; "
			"vmlinux symbols go with vmlinux",
			where, e.sym.name, e.sec_objname);
	else if (e.sec_objname == "vmlinux" && e.sym.objname != "vmlinux")
		problem("{}: refers to a symbol of module {} but is applied with vmlinux, when the "
			"patch module loads, whether or not {} is loaded",
			where, e.sym.objname, e.sym.objname);
	if (applied_after_init(base.name, e.sec_objname))
		problem("{}: in init section {}, which is freed before {} may load", where,
			base.name, e.sec_objname);
	if (e.sec_objname != "vmlinux")
		check_code_object(base, e.offset, e.sec_objname, &e.sym, where, true);
}

// An SHN_LIVEPATCH symbol has value 0 until the livepatch core resolves it: an
// ordinary relocation against it would be applied by the loader with that 0.
void Checker::check_plain_relas()
{
	for (const auto &sec : obj_.sections) {
		if (!sec->is_rela() || sec->is_livepatch_rela())
			continue;
		for (size_t i = 0; i < sec->relocs.size(); i++) {
			const elf::Relocation &r = sec->relocs[i];
			if (r.sym && !r.sym->sec && r.sym->shndx == elf::SHN_LIVEPATCH)
				problem("{}: relocation {} at {}+{:#x} refers to livepatch {}; the "
					"loader would apply it with value 0",
					describe(*sec), i, sec->base->name, r.offset, describe(*r.sym));
		}
	}
}

void Checker::check_undefined()
{
	std::vector<const elf::Symbol *> undefined;
	for (const auto &sym : obj_.symbols)
		if (sym->is_undefined() && !sym->name.empty())
			undefined.push_back(sym.get());
	if (undefined.empty())
		return;
	if (!target_.has_exports()) {
		problem("{} undefined symbols are unchecked: the target's exports are unknown "
			"(give --symvers Module.symvers)",
			undefined.size());
		return;
	}
	for (const elf::Symbol *sym : undefined) {
		if (target_.exporter(sym->name))
			continue;
		// simplify_symbols(): an unresolved weak symbol quietly becomes 0.
		problem("{}: undefined symbol '{}' is not exported by the target kernel{}",
			describe(*sym), sym->name,
			sym->bind == STB_WEAK ? " (weak: it would silently be 0)" : "");
	}
}

} // namespace

Expected<std::vector<std::string>> check_module(const std::string &path, const SymbolMap &target)
{
	auto obj = elf::Object::read(path);
	if (!obj)
		return obj.take_error();
	const elf::Object &module = **obj;
	if (module.elf_type != ET_REL)
		return make_error("{}: ELF type {} is not a relocatable module (ET_REL)", path,
				  module.elf_type);
	const arch::Arch *arch = arch::find(module.machine);
	if (!arch)
		return make_error("{}: machine {} is not supported ({} are)", path, module.machine,
				  arch::supported_names());
	if (!module.symtab)
		return make_error("{}: the module has no symbol table", path);
	return Checker(module, target, *arch).run();
}

} // namespace klp::convert
