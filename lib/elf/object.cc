// Editing operations of the ELF object model: lookups by name and address, adding
// and removing sections and symbols. Reading is in reader.cc, writing in writer.cc.
#include "elf/object.h"

#include <algorithm>

namespace klp::elf {

Symbol *Section::primary_symbol() const
{
	// With -ffunction-sections, `.text.foo` holds `foo` at offset 0 (and maybe a
	// local alias); prefer the function or object that spans the whole section.
	Symbol *best = nullptr;
	for (Symbol *sym : symbols) {
		if (sym->value != 0 || sym->is_section())
			continue;
		if (!sym->is_func() && !sym->is_object())
			continue;
		if (!best || (best->is_local() && !sym->is_local()) || sym->size > best->size)
			best = sym;
	}
	return best;
}

std::unique_ptr<Object> Object::create(uint16_t machine, uint8_t data_encoding,
				       uint8_t osabi)
{
	auto obj = std::make_unique<Object>();
	obj->machine = machine;
	obj->data_encoding = data_encoding;
	obj->osabi = osabi;
	obj->symbols.push_back(std::make_unique<Symbol>());
	Section *strtab = obj->add_section(".strtab", SHT_STRTAB, 0);
	obj->symtab = obj->add_section(".symtab", SHT_SYMTAB, 0, 8);
	obj->symtab->entsize = sizeof(Elf64_Sym);
	obj->symtab->link = strtab;
	return obj;
}

Section *Object::find_section(std::string_view name) const
{
	auto it = section_by_name_.find(name);
	if (it == section_by_name_.end() || it->second->removed)
		return nullptr;
	return it->second;
}

Symbol *Object::find_symbol(std::string_view name) const
{
	auto it = symbol_by_name_.find(name);
	if (it == symbol_by_name_.end() || it->second->removed)
		return nullptr;
	return it->second;
}

Symbol *Object::symbol_at(const Section *sec, uint64_t offset) const
{
	// sec->symbols is sorted by value; walk back from the last symbol starting at
	// or before `offset` to find one that covers it.
	auto it = std::upper_bound(sec->symbols.begin(), sec->symbols.end(), offset,
				   [](uint64_t off, const Symbol *s) { return off < s->value; });
	Symbol *fallback = nullptr;
	while (it != sec->symbols.begin()) {
		Symbol *sym = *--it;
		if (sym->removed || sym->is_section())
			continue;
		if ((sym->is_func() || sym->is_object()) && sym->contains(offset))
			return sym;
		if (!fallback && sym->value == offset)
			fallback = sym;
	}
	return fallback;
}

Section *Object::add_section(std::string name, uint32_t type, uint64_t flags,
			     uint64_t addralign)
{
	auto sec = std::make_unique<Section>();
	sec->name = std::move(name);
	sec->type = type;
	sec->flags = flags;
	sec->addralign = addralign;
	sec->index = sections.size() + 1;
	Section *raw = sec.get();
	sections.push_back(std::move(sec));
	section_by_name_.try_emplace(raw->name, raw);
	return raw;
}

Section *Object::add_rela_section(Section *base)
{
	if (base->rela && !base->rela->removed)
		return base->rela;
	Section *rela = add_section(".rela" + base->name, SHT_RELA, SHF_INFO_LINK, 8);
	rela->entsize = sizeof(Elf64_Rela);
	rela->link = symtab;
	rela->info_section = base;
	rela->base = base;
	if (base->group) {
		rela->group = base->group;
		base->group->group_members.push_back(rela);
	}
	base->rela = rela;
	return rela;
}

Symbol *Object::add_symbol(std::string name, uint8_t bind, uint8_t type, Section *sec,
			   uint64_t value, uint64_t size)
{
	auto sym = std::make_unique<Symbol>();
	sym->name = std::move(name);
	sym->bind = bind;
	sym->type = type;
	sym->sec = sec;
	sym->value = value;
	sym->size = size;
	sym->index = symbols.size();
	Symbol *raw = sym.get();
	symbols.push_back(std::move(sym));
	if (!raw->name.empty() && !raw->is_section())
		symbol_by_name_.try_emplace(raw->name, raw);
	if (sec) {
		auto pos = std::upper_bound(sec->symbols.begin(), sec->symbols.end(), raw,
					    [](const Symbol *a, const Symbol *b) {
						    return a->value < b->value;
					    });
		sec->symbols.insert(pos, raw);
	}
	return raw;
}

Symbol *Object::section_symbol(Section *sec)
{
	if (sec->secsym && !sec->secsym->removed)
		return sec->secsym;
	Symbol *sym = add_symbol(sec->name, STB_LOCAL, STT_SECTION, sec);
	sec->secsym = sym;
	return sym;
}

void Object::remove_section(Section *sec)
{
	sec->removed = true;
	if (sec->rela)
		sec->rela->removed = true;
	if (sec->secsym)
		sec->secsym->removed = true;
}

void Object::remove_symbol(Symbol *sym) { sym->removed = true; }

void Object::reindex()
{
	section_by_name_.clear();
	symbol_by_name_.clear();
	section_by_name_.reserve(sections.size());
	symbol_by_name_.reserve(symbols.size());
	for (auto &sec : sections) {
		sec->symbols.clear();
		if (!sec->removed)
			section_by_name_.try_emplace(sec->name, sec.get());
	}
	for (auto &sym : symbols) {
		if (sym->removed)
			continue;
		if (!sym->name.empty() && !sym->is_section())
			symbol_by_name_.try_emplace(sym->name, sym.get());
		if (sym->sec)
			sym->sec->symbols.push_back(sym.get());
	}
	auto by_place = [](const Symbol *a, const Symbol *b) {
		if (a->value != b->value)
			return a->value < b->value;
		return a->size > b->size;
	};
	// Most sections hold one symbol or a sorted few (-ffunction-sections): checking
	// spares a sort and its buffer per section.
	for (auto &sec : sections)
		if (!std::is_sorted(sec->symbols.begin(), sec->symbols.end(), by_place))
			std::stable_sort(sec->symbols.begin(), sec->symbols.end(), by_place);
}

} // namespace klp::elf
