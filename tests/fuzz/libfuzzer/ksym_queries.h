// What the tools ask of a loaded symbol table, asked of every symbol: its sympos
// (sympos.cc) and, for each duplicated name, which one a translation unit means
// (pick_duplicate.cc). Shared by the lib/ksym fuzz targets; the oracles here hold
// for any table a loader accepted.
#pragma once

#include "support.h"

#include "ksym/sympos.h"

namespace klp::fuzz {

// A translation unit standing for the object's first half in kallsyms order: the
// symbols laid out together, as one file's are, so that the neighbourhood walk of
// pick_duplicate.cc has something to find. Its file is the first STT_FILE seen.
inline ksym::TranslationUnit first_half_as_tu(const ksym::KernelObject &obj)
{
	ksym::TranslationUnit tu;
	size_t half = (obj.kallsyms_order.size() + 1) / 2;
	for (size_t i = 0; i < half; i++) {
		const ksym::KernelSymbol &sym = *obj.kallsyms_order[i];
		if (tu.file.empty() && sym.file)
			tu.file = *sym.file;
		ksym::TuSymbol &s = tu.symbols.emplace_back();
		s.name = sym.name;
		s.section = sym.section ? *sym.section : std::string();
		if (sym.bind_known)
			s.bind = sym.bind;
	}
	return tu;
}

inline void query_every_symbol(const ksym::SymbolTable &table)
{
	// Picking a duplicate walks its neighbourhood: bounded, so that a large input
	// costs linear time.
	size_t resolves_left = 64;
	for (const auto &obj : table.objects()) {
		if (table.object(obj->name) != obj.get())
			fail("an object is not found by its name", obj->name);
		ksym::TranslationUnit tu = first_half_as_tu(*obj);
		for (const ksym::KernelSymbol *sym : obj->kallsyms_order) {
			std::vector<const ksym::KernelSymbol *> same = obj->find(sym->name);
			if (sym->position < 1 || sym->position > same.size() ||
			    same[sym->position - 1] != sym)
				fail("a symbol is not at its position among its name's", sym->name);
			ksym::SymposResult r = ksym::sympos_of(*sym);
			if (!r)
				check_error(r.error());
			else if (r.sympos != 0 && r.sympos != sym->position)
				fail("sympos_of names another position", sym->name);
			if (same.size() > 1 && sym->position == 1 && resolves_left > 0) {
				resolves_left--;
				ksym::SymposResult picked =
					ksym::resolve_sympos(table, obj->name, sym->name, tu);
				if (!picked)
					check_error(picked.error());
			}
		}
	}
}

} // namespace klp::fuzz
