// Describes a translation unit for duplicate resolution from its relocatable object
// (orig.o): its file name and the functions and objects it defines. It does not
// look at any kernel object.
#include "elf/object.h"
#include "ksym/sympos.h"

#include <cstdint>

namespace klp::ksym {

TranslationUnit TranslationUnit::from_object(const elf::Object &obj)
{
	TranslationUnit tu;
	for (size_t i = 1; i < obj.symbols.size(); i++) {
		const elf::Symbol &sym = *obj.symbols[i];
		if (sym.removed || sym.name.empty())
			continue;
		if (sym.is_file()) {
			if (tu.file.empty())
				tu.file = sym.name;
			continue;
		}
		if (!sym.sec || !(sym.is_func() || sym.is_object()))
			continue;
		tu.symbols.push_back({sym.name, sym.sec->name, sym.bind});
	}
	return tu;
}

std::vector<TranslationUnit> TranslationUnit::per_file(const elf::Object &obj,
						      std::vector<size_t> &file_of)
{
	std::vector<TranslationUnit> units;
	file_of.assign(obj.symbols.size(), SIZE_MAX);
	for (size_t i = 1; i < obj.symbols.size(); i++) {
		const elf::Symbol &sym = *obj.symbols[i];
		if (sym.removed || sym.name.empty())
			continue;
		if (sym.is_file()) {
			units.emplace_back().file = sym.name;
			continue;
		}
		if (units.empty() || !sym.is_local() || !sym.sec ||
		    !(sym.is_func() || sym.is_object()))
			continue;
		units.back().symbols.push_back({sym.name, sym.sec->name, sym.bind});
		file_of[i] = units.size() - 1;
	}
	// `ld -r` lists every global after all locals, so a global's file is told by
	// its code: show_b() of a/core.c uses a/core.c's `__flags.0`. A global whose
	// relocations reach statics of exactly one file belongs to that file.
	for (size_t i = 1; i < obj.symbols.size() && units.size() > 1; i++) {
		const elf::Symbol &sym = *obj.symbols[i];
		if (sym.removed || sym.is_local() || !sym.sec || !sym.sec->rela ||
		    !(sym.is_func() || sym.is_object()))
			continue;
		size_t unit = SIZE_MAX;
		bool several = false;
		for (const elf::Relocation &r : sym.sec->rela->relocs) {
			if (!r.sym || r.sym->index >= file_of.size() ||
			    obj.symbols[r.sym->index].get() != r.sym)
				continue;
			size_t u = file_of[r.sym->index];
			if (u == SIZE_MAX)
				continue;
			several |= unit != SIZE_MAX && u != unit;
			unit = u;
		}
		if (unit == SIZE_MAX || several)
			continue;
		units[unit].symbols.push_back({sym.name, sym.sec->name, sym.bind});
		file_of[i] = unit;
	}
	return units;
}

const TuSymbol *TranslationUnit::find(std::string_view name) const
{
	for (const TuSymbol &sym : symbols)
		if (sym.name == name)
			return &sym;
	return nullptr;
}

} // namespace klp::ksym
