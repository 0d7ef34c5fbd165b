// The SymbolTable's storage and indexes: objects in load order, each object's
// symbols put in kallsyms order and chained by name. Parsing each input format is in
// load_*.cc; what a position means is in sympos.cc.
#include "ksym/symbol_table.h"

#include <algorithm>
#include <cstring>

namespace klp::ksym {

const char *source_name(SymbolSource source)
{
	switch (source) {
	case SymbolSource::elf:
		return "ELF";
	case SymbolSource::readelf:
		return "readelf";
	case SymbolSource::kallsyms:
		return "kallsyms";
	}
	return "?";
}

const KernelSymbol *KernelObject::first(std::string_view name) const
{
	const NameIndex::Entry *e = by_name_.find(name);
	return e ? e->first : nullptr;
}

size_t KernelObject::count(std::string_view name) const
{
	const NameIndex::Entry *e = by_name_.find(name);
	return e ? e->count : 0;
}

bool KernelObject::mixed_views(std::string_view name) const
{
	const NameIndex::Entry *e = by_name_.find(name);
	return e && e->mixed_views;
}

std::vector<const KernelSymbol *> KernelObject::find(std::string_view name) const
{
	std::vector<const KernelSymbol *> found;
	for (const KernelSymbol *sym = first(name); sym; sym = sym->next_same_name)
		found.push_back(sym);
	return found;
}

static const std::string *intern(std::deque<std::string> &store,
				 std::unordered_map<std::string_view, const std::string *> &map,
				 std::string_view name)
{
	auto it = map.find(name);
	if (it != map.end())
		return it->second;
	const std::string *s = &store.emplace_back(name);
	map.emplace(*s, s);
	return s;
}

std::string_view KernelObject::store_name(std::string_view name)
{
	if (name.size() > arena_left_) {
		arena_left_ = std::max<size_t>(name.size(), 1 << 20);
		arena_.push_back(std::make_unique<char[]>(arena_left_));
		arena_next_ = arena_.back().get();
	}
	char *s = arena_next_;
	std::memcpy(s, name.data(), name.size());
	arena_next_ += name.size();
	arena_left_ -= name.size();
	return {s, name.size()};
}

const std::string *KernelObject::intern_file(std::string_view name)
{
	return intern(files_, file_index_, name);
}

const std::string *KernelObject::intern_section(std::string_view name)
{
	return intern(sections_, section_index_, name);
}

Expected<KernelObject *> SymbolTable::begin_object(std::string name, std::string path,
						   SymbolSource source)
{
	if (name.empty())
		return make_error("{}: no object name (pass one, e.g. \"vmlinux\")", path);
	if (auto *prev = object(name))
		return make_error("{}: object {} is already loaded from {}", path, name,
				  prev->path);
	auto obj = std::make_unique<KernelObject>();
	obj->name = std::move(name);
	obj->path = std::move(path);
	obj->source = source;
	KernelObject *raw = obj.get();
	objects_.push_back(std::move(obj));
	by_name_.emplace(raw->name, raw);
	return raw;
}

void SymbolTable::finish_object(KernelObject *obj)
{
	std::vector<KernelSymbol *> order;
	order.reserve(obj->symbols.size());
	for (KernelSymbol &sym : obj->symbols) {
		sym.object = obj;
		order.push_back(&sym);
	}
	// kallsyms iterates vmlinux in address order (scripts/kallsyms sorts the table)
	// and a module in its ELF symtab order (the loader keeps the .ko's symtab). A
	// kallsyms dump already lists both in the kernel's own iteration order: keep it.
	if (obj->is_vmlinux() && obj->source != SymbolSource::kallsyms)
		std::stable_sort(order.begin(), order.end(),
				 [](const KernelSymbol *a, const KernelSymbol *b) {
					 return a->address < b->address;
				 });
	for (size_t i = 0; i < order.size(); i++)
		order[i]->kallsyms_index = i;
	obj->by_name_.build(order);
	obj->kallsyms_order.assign(order.begin(), order.end());
}

const KernelObject *SymbolTable::object(std::string_view objname) const
{
	auto it = by_name_.find(objname);
	return it == by_name_.end() ? nullptr : it->second;
}

std::vector<const KernelSymbol *> SymbolTable::find(std::string_view objname,
						     std::string_view name) const
{
	const KernelObject *obj = object(objname);
	return obj ? obj->find(name) : std::vector<const KernelSymbol *>();
}

std::vector<const KernelSymbol *> SymbolTable::find_any(std::string_view name) const
{
	std::vector<const KernelSymbol *> found;
	for (const auto &obj : objects_)
		for (const KernelSymbol *sym = obj->first(name); sym; sym = sym->next_same_name)
			found.push_back(sym);
	return found;
}

std::string normalize_objname(std::string_view name)
{
	std::string s(name);
	std::replace(s.begin(), s.end(), '-', '_');
	return s;
}

std::string objname_from_path(std::string_view path)
{
	size_t slash = path.rfind('/');
	std::string_view base = slash == std::string_view::npos ? path : path.substr(slash + 1);
	// Distributions ship "vmlinux-6.1.0-13-amd64"; vmlinux.o is vmlinux too.
	if (base == "vmlinux" || base.starts_with("vmlinux-") || base.starts_with("vmlinux."))
		return "vmlinux";
	for (std::string_view suffix : {".ko.xz", ".ko.gz", ".ko.zst", ".ko", ".o"}) {
		if (base.ends_with(suffix)) {
			base.remove_suffix(suffix.size());
			break;
		}
	}
	return normalize_objname(base);
}

char elf_type_letter(uint8_t bind, uint8_t type, uint16_t shndx, uint64_t sec_flags,
		     uint32_t sec_type)
{
	if (shndx == SHN_UNDEF)
		return bind == STB_WEAK ? 'w' : 'U';
	if (bind == STB_WEAK)
		return type == STT_OBJECT ? 'V' : 'W';
	char c;
	if (shndx == SHN_ABS)
		c = 'a';
	else if (shndx == SHN_COMMON)
		c = 'c';
	else if (sec_flags & SHF_EXECINSTR)
		c = 't';
	else if (sec_type == SHT_NOBITS)
		c = 'b';
	else if (!(sec_flags & SHF_ALLOC))
		c = 'n';
	else if (sec_flags & SHF_WRITE)
		c = 'd';
	else
		c = 'r';
	return bind == STB_LOCAL ? c : char(c - 'a' + 'A');
}

} // namespace klp::ksym
