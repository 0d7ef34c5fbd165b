// funcs_table.h: `.klpkit.funcs` entries from a linked module's bytes and relocations.
#include "livepatch/funcs_table.h"

#include "livepatch/tables.h"

#include <algorithm>

namespace klp::livepatch {

std::optional<std::string> string_at(const elf::Symbol *sym, int64_t addend)
{
	if (!sym || !sym->sec || sym->sec->type == SHT_NOBITS)
		return std::nullopt;
	const std::vector<uint8_t> &data = sym->sec->data;
	uint64_t start = sym->value + uint64_t(addend);
	if (start >= data.size())
		return std::nullopt;
	auto end = std::find(data.begin() + long(start), data.end(), 0);
	if (end == data.end())
		return std::nullopt;
	return std::string(data.begin() + long(start), end);
}

std::optional<std::vector<FuncsEntry>> read_funcs_table(const elf::Object &obj)
{
	const elf::Section *funcs = obj.find_section(funcs_section);
	if (!funcs || funcs->removed)
		return std::nullopt;
	std::vector<FuncsEntry> entries(funcs->size() / KlpkitFunc::size);
	for (size_t i = 0; i < entries.size(); i++) {
		uint64_t sympos = 0;
		size_t at = i * KlpkitFunc::size + KlpkitFunc::sympos;
		if (at + 8 <= funcs->data.size())
			for (int b = 7; b >= 0; b--)
				sympos = sympos << 8 | funcs->data[at + size_t(b)];
		entries[i].sympos = sympos;
	}
	if (funcs->rela) {
		for (const elf::Relocation &r : funcs->rela->relocs) {
			size_t i = r.offset / KlpkitFunc::size;
			if (i >= entries.size())
				continue;
			switch (r.offset % KlpkitFunc::size) {
			case KlpkitFunc::new_func:
				entries[i].new_func = &r;
				break;
			case KlpkitFunc::old_name:
				entries[i].old_name = string_at(r.sym, r.addend);
				break;
			case KlpkitFunc::objname:
				entries[i].objname = string_at(r.sym, r.addend);
				break;
			}
		}
	}
	return entries;
}

} // namespace klp::livepatch
