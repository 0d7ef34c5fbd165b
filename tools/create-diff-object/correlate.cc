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

// Locals of one object, grouped by (file, stripped name, type). The file is the
// STT_FILE symbol the local follows in .symtab: a whole vmlinux.o (`ld -r` of every
// translation unit) holds 17 static `type_show`s, each after its own file symbol.
struct LocalKey {
	std::string file;
	std::string name;
	uint8_t type;
	auto operator<=>(const LocalKey &) const = default;
};
using LocalGroups = std::map<LocalKey, std::vector<Symbol *>>;

LocalGroups group_locals(const Object &obj)
{
	LocalGroups groups;
	// arch/x86/events/amd/core.c and .../intel/core.c are both `core.c`: the n-th
	// file symbol of a name is the n-th in the other object too (same link order).
	std::unordered_map<std::string, int> seen;
	std::string file;
	for (auto &sym : obj.symbols) {
		if (sym->is_file())
			file = fmt::format("{}#{}", sym->name, seen[sym->name]++);
		if (is_correlatable(sym.get()) && sym->is_local() && sym->sec &&
		    !is_special_static(sym->name))
			groups[{file, strip_suffix(sym->name), sym->type}].push_back(sym.get());
	}
	return groups;
}

// Static locals that share a name (two functions, each with `static int count`:
// `count.1` and `count.2`, renumbered to `count.3` and `count.4` by the patch) are
// matched through the function using them: if patched `foo` refers to `count.3` and
// original `foo` refers to `count.1`, those two are twins. When `foo` uses several
// (`__flags.3` and `__flags.4` of two trace events' output functions) and kept its
// size, the relocation at the same offset decides.
void correlate_static_locals(const Object &patched, std::vector<Symbol *> &p_group,
			     std::vector<Symbol *> &o_group)
{
	std::unordered_set<const Symbol *> p_members(p_group.begin(), p_group.end());
	std::unordered_set<const Symbol *> o_members(o_group.begin(), o_group.end());
	std::map<Symbol *, std::set<Symbol *>> by_offset, by_use;
	for (auto &sec : patched.sections) {
		if (!sec->is_rela() || !sec->base || !sec->base->is_text())
			continue;
		Symbol *func = section_owner(sec->base);
		if (!func || !func->twin || !func->twin->sec || !func->twin->sec->rela)
			continue;
		const auto &orel = func->twin->sec->rela->relocs;
		bool same_layout = func->size == func->twin->size;
		for (const elf::Relocation &r : sec->relocs) {
			if (!r.sym || !p_members.count(r.sym))
				continue;
			for (const elf::Relocation &o : orel) {
				if (!o.sym || o.sym->twin || !o_members.count(o.sym))
					continue;
				by_use[r.sym].insert(o.sym);
				if (same_layout && o.offset - func->twin->value == r.offset - func->value)
					by_offset[r.sym].insert(o.sym);
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
	// A static that became global or the reverse (`static int foo` -> `int foo`)
	// keeps its identity: match by name across bindings for what is left, where
	// the name is defined once in each object.
	auto defined_once = [](const Object &obj) {
		std::unordered_map<std::string_view, Symbol *> once;
		std::unordered_set<std::string_view> repeated;
		for (auto &sym : obj.symbols) {
			if (!is_correlatable(sym.get()) || !sym->sec || is_special_static(sym->name))
				continue;
			if (!once.try_emplace(sym->name, sym.get()).second)
				repeated.insert(sym->name);
		}
		for (std::string_view name : repeated)
			once.erase(name);
		return once;
	};
	auto orig_unmatched = defined_once(orig);
	auto patched_once = defined_once(patched);

	LocalGroups p_groups = group_locals(patched);
	LocalGroups o_groups = group_locals(orig);
	// Unique names first, so that functions are matched before the statics that are
	// matched through them.
	for (auto &[key, p_group] : p_groups) {
		auto it = o_groups.find(key);
		if (it == o_groups.end())
			continue;
		if (p_group.size() == 1 && it->second.size() == 1)
			pair(p_group.front(), it->second.front());
	}
	for (auto &[key, p_group] : p_groups) {
		auto it = o_groups.find(key);
		if (it == o_groups.end() || (p_group.size() == 1 && it->second.size() == 1))
			continue;
		if (key.type == STT_FUNC)
			correlate_clones(p_group, it->second);
	}
	for (auto &[key, p_group] : p_groups) {
		auto it = o_groups.find(key);
		if (it == o_groups.end() || (p_group.size() == 1 && it->second.size() == 1))
			continue;
		if (key.type != STT_FUNC)
			correlate_static_locals(patched, p_group, it->second);
	}
	for (auto &sym : patched.symbols) {
		if (!is_correlatable(sym.get()) || sym->twin || !sym->sec ||
		    is_special_static(sym->name))
			continue;
		auto it = orig_unmatched.find(sym->name);
		if (it != orig_unmatched.end() && patched_once.count(sym->name) && !it->second->twin &&
		    it->second->type == sym->type)
			pair(sym.get(), it->second);
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
