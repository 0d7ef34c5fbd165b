// Decides, for a hand-written livepatch module, which undefined references become
// livepatch relocations and what they designate: an annotation says so outright (and
// the map, when given, must agree); otherwise the map must know exactly one symbol
// of that name. Exported names stay ordinary undefined symbols for the loader.
#include "convert.h"
#include "symbol_map.h"

#include <unordered_set>

namespace klp::convert {

namespace {

std::string describe_candidate(const SymbolMap &map, const KlpSymbol &cand)
{
	std::string text = fmt::format("{},{}", cand.objname, cand.sympos);
	for (const MapSymbol *sym : map.object(cand.objname)->find(cand.name))
		if (sym->sympos == cand.sympos && !sym->file.empty())
			return fmt::format("{} ({})", text, sym->file);
	return text;
}

} // namespace

Expected<std::vector<Conversion>> resolve_references(const elf::Object &obj,
						     const Annotations &annotations,
						     const SymbolMap *map)
{
	std::unordered_set<const elf::Symbol *> referenced; // lookups only
	for (const auto &sec : obj.sections)
		if (!sec->removed && sec->is_rela() && !sec->is_livepatch_rela())
			for (const elf::Relocation &r : sec->relocs)
				if (r.sym && r.sym->is_undefined())
					referenced.insert(r.sym);

	std::vector<Conversion> out;
	for (const auto &owned : obj.symbols) {
		elf::Symbol *sym = owned.get();
		if (sym->removed || !sym->is_undefined() || sym->name.empty())
			continue;
		if (auto it = annotations.by_symbol.find(sym); it != annotations.by_symbol.end()) {
			const Annotation &ann = it->second;
			if (map) {
				const MapObject *target = map->object(ann.to.objname);
				if (!target)
					return make_error("{}: {}: KLP_SYMPOS() in {} names object {}, "
							  "which the symbol map does not hold",
							  obj.path, describe(*sym), ann.section->name,
							  ann.to.objname);
				if (auto problem = target->check_position(sym->name, ann.to.sympos))
					return make_error("{}: {}: KLP_SYMPOS({}, {}) in {}: {}",
							  obj.path, describe(*sym), sym->name,
							  ann.to.sympos, ann.section->name, *problem);
			}
			// The section is the symbol's object: a hand-written module does not
			// say which object's code refers to it.
			out.push_back({sym, ann.to, ann.to.objname});
			continue;
		}
		if (!map || !referenced.count(sym))
			continue;
		// printk, kmalloc: the module loader resolves exports by itself.
		if (map->exporter(sym->name))
			continue;
		if (auto problem = check_symname(sym->name))
			return make_error("{}: {}: {}", obj.path, describe(*sym), *problem);
		std::vector<KlpSymbol> cands = map->candidates(sym->name);
		if (cands.empty())
			return make_error("{}: {}: '{}' is neither exported nor a symbol of any "
					  "object in the symbol map",
					  obj.path, describe(*sym), sym->name);
		if (cands.size() > 1) {
			std::string list;
			for (const KlpSymbol &cand : cands)
				list += (list.empty() ? "" : ", ") + describe_candidate(*map, cand);
			return make_error("{}: {}: '{}' is ambiguous: {}; say which with "
					  "KLP_SYMPOS({}, <pos>) in KLP_MODULE_RELOC(<object>)",
					  obj.path, describe(*sym), sym->name, list, sym->name);
		}
		out.push_back({sym, cands.front(), cands.front().objname});
	}
	return out;
}

} // namespace klp::convert
