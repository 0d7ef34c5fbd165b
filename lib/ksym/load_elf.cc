// Loads a SymbolTable object from an ELF file (vmlinux, a .ko, or a relocatable .o)
// through klp::elf::Object: every defined symbol that kallsyms could list, with its
// STT_FILE, section and the kallsyms views it appears in. No sympos logic here.
#include "elf/object.h"
#include "ksym/symbol_table.h"

#include <cstring>

namespace klp::ksym {
namespace {

// The module name modpost recorded: `.modinfo` holds "name=foo_bar" since ~4.x
// (MODULE_INFO(name, KBUILD_MODNAME) in foo-bar.mod.c); more reliable than the path.
std::string modinfo_name(const elf::Object &obj)
{
	const elf::Section *sec = obj.find_section(".modinfo");
	if (!sec)
		return {};
	std::string_view data(reinterpret_cast<const char *>(sec->data.data()), sec->data.size());
	while (!data.empty()) {
		size_t end = data.find('\0');
		std::string_view entry = data.substr(0, end);
		if (entry.starts_with("name="))
			return std::string(entry.substr(5));
		if (end == std::string_view::npos)
			break;
		data.remove_prefix(end + 1);
	}
	return {};
}

// Which kallsyms views list `sym` (see symbol_table.h). For a module this follows
// the loader: the whole symtab while the module comes up, then only symbols of
// allocated non-init sections (and with CONFIG_KALLSYMS_ALL=n only text). E.g. a
// `static int __init setup(void)` in .init.text is listed while the module loads
// and gone once it is live.
uint8_t elf_views(const elf::Symbol &sym, bool vmlinux)
{
	const elf::Section *sec = sym.sec;
	bool exec = sec && (sec->flags & SHF_EXECINSTR);
	if (vmlinux)
		return view_coming | view_live | (exec ? view_text : 0);
	uint8_t views = view_coming;
	if (sec && (sec->flags & SHF_ALLOC) && !sec->name.starts_with(".init")) {
		views |= view_live;
		if (exec)
			views |= view_text;
	}
	return views;
}

} // namespace

Expected<void> SymbolTable::add_elf(const std::string &path, const std::string &objname)
{
	auto obj = elf::Object::read(path, {.skip_debug_contents = true});
	if (!obj)
		return obj.take_error();
	return add_elf(**obj, objname);
}

Expected<void> SymbolTable::add_elf(const elf::Object &elf, const std::string &objname)
{
	if (machine_ && elf.machine != machine_)
		return make_error("{}: machine {} differs from {}'s {}", elf.path, elf.machine,
				  machine_path_, machine_);
	if (!machine_) {
		machine_ = elf.machine;
		machine_path_ = elf.path;
	}
	std::string name = normalize_objname(objname.empty() ? modinfo_name(elf) : objname);
	if (name.empty())
		name = objname_from_path(elf.path);
	auto begun = begin_object(std::move(name), elf.path, SymbolSource::elf);
	if (!begun)
		return begun.take_error();
	KernelObject *obj = *begun;
	bool vmlinux = obj->is_vmlinux();
	if (vmlinux && elf.elf_type == ET_REL)
		obj->order_problem = fmt::format(
			"{}: a relocatable object: symbol values are section offsets, not the "
			"addresses kallsyms sorts by; use the linked vmlinux or a kallsyms dump",
			elf.path);

	obj->symbols.reserve(elf.symbols.size());
	// Section names interned once per section, not once per symbol.
	std::vector<const std::string *> section_names(elf.sections.size() + 1);
	for (const auto &sec : elf.sections)
		if (sec->index < section_names.size())
			section_names[sec->index] = obj->intern_section(sec->name);
	const std::string *file = nullptr;
	for (size_t i = 1; i < elf.symbols.size(); i++) {
		const elf::Symbol &sym = *elf.symbols[i];
		if (sym.removed)
			continue;
		if (sym.is_file()) {
			file = sym.name.empty() ? nullptr : obj->intern_file(sym.name);
			continue;
		}
		// kallsyms lists neither section symbols nor undefined ones, nor the
		// SHN_LIVEPATCH symbols of a patch module (the livepatch core resolves them).
		if (sym.is_section() || sym.is_undefined() || sym.name.empty() ||
		    sym.shndx == elf::SHN_LIVEPATCH)
			continue;
		KernelSymbol &ks = obj->symbols.emplace_back();
		ks.name = obj->store_name(sym.name);
		ks.address = sym.value;
		ks.size = sym.size;
		ks.bind = sym.bind;
		ks.type = sym.type;
		if (sym.sec)
			ks.letter = elf_type_letter(sym.bind, sym.type, 1 /* a real section */,
						    sym.sec->flags, sym.sec->type);
		else
			ks.letter = elf_type_letter(sym.bind, sym.type, sym.shndx, 0, SHT_NULL);
		ks.views = elf_views(sym, vmlinux);
		ks.section = sym.sec && sym.sec->index < section_names.size()
				     ? section_names[sym.sec->index]
				     : nullptr;
		// STT_FILE precedes the locals of its file; globals belong to no file.
		ks.file = sym.is_local() ? file : nullptr;
		ks.order = sym.index;
	}
	finish_object(obj);
	return success();
}

} // namespace klp::ksym
