// Correlation: sets `twin` on every symbol and section of the patched object that
// has a counterpart in the original, and on the counterpart. Globals match by name;
// locals by name without compiler suffixes, then through the functions that use
// them. Special statics are never matched. What stays unmatched is new.
#include "diff.h"
#include "names.h"

#include <algorithm>
#include <map>

namespace klp::cdo {
namespace {

using elf::Object;
using elf::Section;
using elf::Symbol;

void pair(Symbol *a, Symbol *b)
{
	a->twin = b;
	b->twin = a;
}

// String literals are compared by content, never matched: `.LC0` of one build is
// not `.LC0` of the other.
bool is_correlatable(const Symbol *sym)
{
	return !sym->removed && !sym->is_section() && !sym->is_file() && !sym->name.empty() &&
	       !is_string_literal(sym);
}

// Whether each symbol of an object (by .symtab position) is a special static
// (names.h), for the correlatable ones that have a section: asked once, not in each
// of the steps below.
std::vector<uint8_t> special_statics(const Object &obj)
{
	std::vector<uint8_t> special(obj.symbols.size());
	for (size_t i = 0; i < obj.symbols.size(); i++) {
		const Symbol *sym = obj.symbols[i].get();
		special[i] = is_correlatable(sym) && sym->sec && is_special_static(sym->name);
	}
	return special;
}

// Locals of one object, grouped by (file, stripped name, type). The file is the
// STT_FILE symbol the local follows in .symtab: a whole vmlinux.o (`ld -r` of every
// translation unit) holds 17 static `type_show`s, each after its own file symbol.
// Files are numbered in a dictionary both objects share.
struct LocalKey {
	uint32_t file;
	std::string name;
	uint8_t type;
	bool operator==(const LocalKey &) const = default;
};
struct LocalKeyHash {
	size_t operator()(const LocalKey &k) const
	{
		return std::hash<std::string>()(k.name) ^ (size_t(k.file) * 0x9e3779b97f4a7c15ull) ^ k.type;
	}
};
using FileIds = std::unordered_map<std::string, uint32_t>;
// The groups in the order of their first member in .symtab (never in hash order),
// and their index by key.
struct LocalGroups {
	std::vector<std::pair<LocalKey, std::vector<Symbol *>>> groups;
	std::unordered_map<LocalKey, size_t, LocalKeyHash> index;

	std::vector<Symbol *> *find(const LocalKey &key)
	{
		auto it = index.find(key);
		return it == index.end() ? nullptr : &groups[it->second].second;
	}
};

LocalGroups group_locals(const Object &obj, const std::vector<uint8_t> &special, FileIds &files)
{
	LocalGroups out;
	// arch/x86/events/amd/core.c and .../intel/core.c are both `core.c`: the n-th
	// file symbol of a name is the n-th in the other object too (same link order).
	std::unordered_map<std::string, int> seen;
	uint32_t file = files.try_emplace("", uint32_t(files.size())).first->second;
	for (size_t i = 0; i < obj.symbols.size(); i++) {
		const auto &sym = obj.symbols[i];
		if (sym->is_file())
			file = files.try_emplace(fmt::format("{}#{}", sym->name, seen[sym->name]++),
						 uint32_t(files.size()))
				       .first->second;
		if (is_correlatable(sym.get()) && sym->is_local() && sym->sec && !special[i]) {
			LocalKey key{file, strip_suffix(sym->name), sym->type};
			auto [it, fresh] = out.index.try_emplace(key, out.groups.size());
			if (fresh)
				out.groups.emplace_back(std::move(key), std::vector<Symbol *>());
			out.groups[it->second].second.push_back(sym.get());
		}
	}
	return out;
}

// Where the statics of the groups below are used: each patched static's references
// from functions, and each original relocation section's references to them,
// built once for every group (the groups of a whole vmlinux.o number in the
// thousands; scanning every relocation section per group was quadratic).
struct StaticUses {
	struct Use {
		Symbol *func; // the patched function referring to the static (its twin
			      // is looked at when the group is, as matching goes on)
		const elf::Relocation *r;
	};
	std::unordered_map<const Symbol *, std::vector<Use>> patched; // static -> uses
	// (original relocation section, group) -> its references to the group's statics
	std::map<std::pair<const Section *, size_t>, std::vector<const elf::Relocation *>> orig;
	std::unordered_map<const Symbol *, size_t> orig_group; // static -> its group
};

StaticUses index_static_uses(const Object &orig, const Object &patched,
			     const std::vector<std::pair<std::vector<Symbol *> *, std::vector<Symbol *> *>> &groups)
{
	StaticUses uses;
	std::unordered_set<const Symbol *> p_members;
	for (size_t g = 0; g < groups.size(); g++) {
		p_members.insert(groups[g].first->begin(), groups[g].first->end());
		for (const Symbol *o : *groups[g].second)
			uses.orig_group.emplace(o, g);
	}
	for (auto &sec : patched.sections) {
		if (!sec->is_rela() || !sec->base || !sec->base->is_text())
			continue;
		Symbol *func = section_owner(sec->base);
		if (!func)
			continue;
		for (const elf::Relocation &r : sec->relocs)
			if (r.sym && p_members.count(r.sym))
				uses.patched[r.sym].push_back({func, &r});
	}
	for (auto &sec : orig.sections) {
		if (!sec->is_rela())
			continue;
		for (const elf::Relocation &o : sec->relocs) {
			if (!o.sym)
				continue;
			if (auto it = uses.orig_group.find(o.sym); it != uses.orig_group.end())
				uses.orig[{sec.get(), it->second}].push_back(&o);
		}
	}
	return uses;
}

// Static locals that share a name (two functions, each with `static int count`:
// `count.1` and `count.2`, renumbered to `count.3` and `count.4` by the patch) are
// matched through the function using them: if patched `foo` refers to `count.3` and
// original `foo` refers to `count.1`, those two are twins. When `foo` uses several
// (`__flags.3` and `__flags.4` of two trace events' output functions) and kept its
// size, the relocation at the same offset decides. `group` is the pair's index in
// `uses`.
void correlate_static_locals(const StaticUses &uses, size_t group, std::vector<Symbol *> &p_group)
{
	std::map<Symbol *, std::set<Symbol *>> by_offset, by_use;
	for (Symbol *p : p_group) {
		auto used = uses.patched.find(p);
		if (used == uses.patched.end())
			continue;
		for (const StaticUses::Use &use : used->second) {
			const Symbol *func = use.func;
			if (!func->twin || !func->twin->sec || !func->twin->sec->rela)
				continue;
			auto refs = uses.orig.find({func->twin->sec->rela, group});
			if (refs == uses.orig.end())
				continue;
			bool same_layout = func->size == func->twin->size;
			for (const elf::Relocation *o : refs->second) {
				if (o->sym->twin)
					continue;
				by_use[p].insert(o->sym);
				if (same_layout && o->offset - func->twin->value == use.r->offset - func->value)
					by_offset[p].insert(o->sym);
			}
		}
	}
	for (auto *candidates : {&by_offset, &by_use})
		for (auto &[p, cands] : *candidates)
			if (cands.size() == 1 && !p->twin && !(*cands.begin())->twin)
				pair(p, *cands.begin());
}

// Several clones of one function (`foo.constprop.0` and `foo.constprop.1`): the same
// full name first (the clone order of an unchanged caller set is stable), then
// identical bytes when that is unique.
void correlate_clones(std::vector<Symbol *> &p_group, std::vector<Symbol *> &o_group)
{
	for (Symbol *p : p_group)
		for (Symbol *o : o_group)
			if (!p->twin && !o->twin && p->name == o->name)
				pair(p, o);
	for (Symbol *p : p_group) {
		if (p->twin)
			continue;
		Symbol *match = nullptr;
		int count = 0;
		for (Symbol *o : o_group)
			if (!o->twin && same_contents(p, o)) {
				match = o;
				count++;
			}
		if (count == 1)
			pair(p, match);
	}
}

void correlate_symbols(Object &orig, Object &patched)
{
	// Globals and undefined symbols: by exact name.
	std::unordered_map<std::string_view, Symbol *> orig_globals;
	for (auto &sym : orig.symbols)
		if (is_correlatable(sym.get()) && !sym->is_local())
			orig_globals.try_emplace(sym->name, sym.get());
	for (auto &sym : patched.symbols) {
		if (!is_correlatable(sym.get()) || sym->is_local())
			continue;
		if (auto it = orig_globals.find(sym->name); it != orig_globals.end())
			pair(sym.get(), it->second);
	}
	std::vector<uint8_t> orig_special = special_statics(orig);
	std::vector<uint8_t> patched_special = special_statics(patched);
	// A static that became global or the reverse (`static int foo` -> `int foo`)
	// keeps its identity: match by name across bindings for what is left, where
	// the name is defined once in each object.
	auto defined_once = [](const Object &obj, const std::vector<uint8_t> &special) {
		std::unordered_map<std::string_view, Symbol *> once;
		std::unordered_set<std::string_view> repeated;
		for (size_t i = 0; i < obj.symbols.size(); i++) {
			Symbol *sym = obj.symbols[i].get();
			if (!is_correlatable(sym) || !sym->sec || special[i])
				continue;
			if (!once.try_emplace(sym->name, sym).second)
				repeated.insert(sym->name);
		}
		for (std::string_view name : repeated)
			once.erase(name);
		return once;
	};
	auto orig_unmatched = defined_once(orig, orig_special);
	auto patched_once = defined_once(patched, patched_special);

	FileIds files;
	LocalGroups p_groups = group_locals(patched, patched_special, files);
	LocalGroups o_groups = group_locals(orig, orig_special, files);
	// The groups both objects have, in the patched object's order.
	std::vector<std::pair<std::vector<Symbol *> *, std::vector<Symbol *> *>> both;
	std::vector<uint8_t> both_type;
	for (auto &[key, p_group] : p_groups.groups)
		if (std::vector<Symbol *> *o_group = o_groups.find(key)) {
			both.emplace_back(&p_group, o_group);
			both_type.push_back(key.type);
		}
	// Unique names first, so that functions are matched before the statics that are
	// matched through them.
	for (auto &[p_group, o_group] : both)
		if (p_group->size() == 1 && o_group->size() == 1)
			pair(p_group->front(), o_group->front());
	std::vector<std::pair<std::vector<Symbol *> *, std::vector<Symbol *> *>> static_groups;
	for (size_t g = 0; g < both.size(); g++) {
		auto [p_group, o_group] = both[g];
		if (p_group->size() == 1 && o_group->size() == 1)
			continue;
		if (both_type[g] == STT_FUNC)
			correlate_clones(*p_group, *o_group);
		else
			static_groups.emplace_back(p_group, o_group);
	}
	StaticUses uses = index_static_uses(orig, patched, static_groups);
	for (size_t g = 0; g < static_groups.size(); g++)
		correlate_static_locals(uses, g, *static_groups[g].first);
	for (size_t i = 0; i < patched.symbols.size(); i++) {
		Symbol *sym = patched.symbols[i].get();
		if (!is_correlatable(sym) || sym->twin || !sym->sec || patched_special[i])
			continue;
		auto it = orig_unmatched.find(sym->name);
		if (it != orig_unmatched.end() && patched_once.count(sym->name) && !it->second->twin &&
		    it->second->type == sym->type)
			pair(sym, it->second);
	}
}

void correlate_sections(Object &orig, Object &patched)
{
	// Sections of one name in file order: an `ld -r --unique` of a.c and b.c has
	// two `.rodata.str1.1` and two `__bug_table`s, the n-th of each object being
	// the same file's.
	std::unordered_map<std::string_view, std::vector<Section *>> orig_by_name;
	for (auto &sec : orig.sections)
		if (!sec->removed && !sec->is_rela())
			orig_by_name[sec->name].push_back(sec.get());
	std::unordered_map<std::string_view, size_t> seen;
	for (auto &sec : patched.sections) {
		if (sec->removed || sec->is_rela())
			continue;
		Symbol *primary = section_owner(sec.get());
		Section *twin = nullptr;
		if (primary) {
			if (primary->twin && primary->twin->sec &&
			    section_owner(primary->twin->sec) == primary->twin)
				twin = primary->twin->sec;
		} else if (!sec->secsym || !is_special_static(sec->name)) {
			// Sections without a function or object: `.rodata.str1.1`,
			// `__bug_table`, `.modinfo`: by name and ordinal.
			size_t n = seen[sec->name]++;
			auto it = orig_by_name.find(sec->name);
			twin = it != orig_by_name.end() && n < it->second.size() ? it->second[n] : nullptr;
			if (twin && twin->primary_symbol())
				twin = nullptr;
			if (sec->primary_symbol())
				twin = nullptr;
		}
		if (!twin || twin->twin)
			continue;
		sec->twin = twin;
		twin->twin = sec.get();
		if (sec->rela && twin->rela) {
			sec->rela->twin = twin->rela;
			twin->rela->twin = sec->rela;
		}
		if (sec->secsym && twin->secsym)
			pair(sec->secsym, twin->secsym);
	}
}

} // namespace

void correlate(DiffContext &ctx)
{
	correlate_symbols(*ctx.orig, *ctx.patched);
	correlate_sections(*ctx.orig, *ctx.patched);
}

} // namespace klp::cdo
