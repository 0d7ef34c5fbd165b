// Inclusion: which sections of the patched object go into the output. Changed and
// new functions with their `.cold` parts, then, transitively, what they reference
// that only the patch can provide: new functions and data, fresh copies of special
// statics, string literals and anonymous constants. What the running kernel already
// has is referenced, not copied (klp_relocs.cc decides how).
#include "diff.h"
#include "include.h"

#include "names.h"
#include "shared_code.h"

namespace klp::cdo {

using elf::Section;
using elf::Symbol;

bool is_patch_owned(const DiffContext &ctx, const Symbol *sym)
{
	if (!sym || !sym->sec || !ctx.is_included(sym->sec))
		return false;
	if (sym->is_section() || is_string_literal(sym))
		return true;
	if (sym->is_func()) {
		auto it = ctx.decisions.functions.find(sym);
		if (!sym->twin || (it != ctx.decisions.functions.end() &&
				   (it->second.status == Status::Changed ||
				    it->second.status == Status::New)))
			return true;
		// An unchanged `foo.cold` copied with a changed foo: foo's jumps into it
		// must reach the copy, or the new foo runs the old cold block, which
		// jumps back into the old foo.
		return !cold_parent_name(sym->name).empty();
	}
	// Data: new objects and special statics are the patch's own copies; a
	// correlated object is the running kernel's, even if its section was copied.
	return !sym->twin || is_special_static(sym->name) || sym->sec->name.rfind(".klpkit.", 0) == 0;
}

// Why `sym` cannot be copied alone. Each function needs a section of its own. A
// plain `ld -r` of a/core.c and b/core.c, each with a static helper() in
// `.text.helper`, merges both into one `.text.helper` although both were built
// with -ffunction-sections; `ld -r --unique` keeps them apart.
static std::string shared_section_reason(const DiffContext &ctx, const Symbol *sym)
{
	std::vector<std::string> funcs;
	for (const Symbol *s : sym->sec->symbols)
		if (s->is_func() && !s->removed && !is_prefix_symbol(s))
			funcs.push_back(s->name);
	size_t files = 0;
	for (auto &s : ctx.patched->symbols)
		files += s->is_file();
	std::string advice =
		files > 1 && funcs.size() > 1
			? "the object links several files with plain `ld -r`, which merges "
			  "same-named sections: link with `ld -r --unique`, or diff each file's object"
			: "build with -ffunction-sections";
	return fmt::format("{} shares section {} with other code ({}): {}", sym->name,
			   sym->sec->name, fmt::join(funcs, ", "), advice);
}

void include_section(DiffContext &ctx, const Section *sec, const std::string &symbol,
		     const std::string &why)
{
	// One note per symbol: `.data.once` holds several flags, each noted.
	if (ctx.included_notes.insert({sec, symbol}).second)
		ctx.decisions.included.push_back({symbol, sec->name, why});
	if (ctx.included.insert(sec).second)
		ctx.include_order.push_back(sec);
}

// What a relocation of included code needs copied along, if anything.
void include_reference(DiffContext &ctx, const Section *from, const Symbol *t)
{
	if (!t || !t->sec || t->sec->removed)
		return;
	const Section *sec = t->sec;
	if (sec->name.rfind(".discard", 0) == 0)
		return;
	if (const SpecialSection *spec = ctx.arch->find_special(sec->name)) {
		// static_cpu_has() jumps from the function into `.altinstr_aux` and back:
		// that code goes along whole (its jumps into functions the patch does not
		// replace reach the originals). Tables are filtered entry by entry.
		if (spec->kind == SpecialKind::WholeIfUsed)
			include_section(ctx, sec, sec->name, fmt::format("used by {}", from->name));
		return;
	}
	if (t->is_section() || is_string_literal(t)) {
		// A string literal or an anonymous constant: no symbol, the patch keeps
		// its own copy.
		if (!sec->primary_symbol() || is_string_literal(t))
			include_section(ctx, sec, sec->name, fmt::format("referenced by {}", from->name));
		return;
	}
	if (t->is_func()) {
		if (!t->twin)
			include_section(ctx, sec, t->name,
					fmt::format("new function referenced by {}", from->name));
		return;
	}
	if (t->is_object() || t->type == STT_NOTYPE) {
		if (is_special_static(t->name))
			include_section(ctx, sec, t->name,
					fmt::format("fresh copy of special static for {}", from->name));
		else if (!t->twin) {
			include_section(ctx, sec, t->name,
					fmt::format("new data referenced by {}", from->name));
			DataDecision &d = ctx.decisions.object(const_cast<Symbol *>(t));
			d.status = Status::New;
		}
	}
}

void include_references(DiffContext &ctx)
{
	// Code included on the way can enter shared code at new places: repeat until
	// nothing more comes in. Only the used parts of shared code are followed.
	for (size_t before = 0; before != ctx.include_order.size();) {
		before = ctx.include_order.size();
		reach_shared_code(ctx);
		for (size_t i = 0; i < before; i++) {
			const Section *sec = ctx.include_order[i];
			if (!sec->rela)
				continue;
			for (const elf::Relocation &r : sec->rela->relocs)
				if (ctx.reloc_used(sec, r))
					include_reference(ctx, sec, r.sym);
		}
	}
}

void include_changes(DiffContext &ctx)
{
	for (auto &[key, d] : ctx.decisions.functions) {
		if (d.status != Status::Changed && d.status != Status::New)
			continue;
		Symbol *sym = d.sym;
		const std::string &name = d.name;
		if (!sym->sec)
			continue;
		if (section_owner(sym->sec) != sym) {
			ctx.refuse("shared-section", sym, shared_section_reason(ctx, sym));
			continue;
		}
		// `foo.cold` goes in with `foo`, `foo` with a changed `foo.cold`.
		bool cold = !cold_parent_name(name).empty();
		// A new global only another file of the update calls (btrfs's
		// btrfs_cleanup_ordered_bioc_list, whose call here is inlined): in only if
		// included code or another patched object uses it (include_references).
		if (d.status == Status::New && !cold && !sym->is_local() && ctx.patch_references &&
		    !ctx.patch_references->count(name))
			continue;
		if (d.status == Status::Changed && !cold && !d.reasons.count("patched-through-callers"))
			ctx.patched_functions.push_back(sym);
		include_section(ctx, sym->sec, name,
				d.status == Status::New ? "new" : fmt::format("changed ({})",
									 fmt::join(d.reasons, ", ")));
	}
	for (auto &[key, d] : ctx.decisions.functions) {
		const Symbol *parent = ctx.cold_parent(key);
		if (!parent || d.status == Status::Ignored)
			continue;
		if (d.sym->sec && ctx.is_included(parent->sec))
			include_section(ctx, d.sym->sec, d.name,
					fmt::format("cold part of {}", parent->name));
	}
	// The author's callbacks and states are new sections of the patched object.
	for (auto &sec : ctx.patched->sections) {
		if (sec->removed || sec->twin)
			continue;
		if (sec->name.rfind(".klpkit.callbacks.", 0) == 0 || sec->name == ".klpkit.states" ||
		    sec->name == ".klpkit.immediate")
			include_section(ctx, sec.get(), sec->name, "livepatch callbacks and states");
	}
	include_references(ctx);
	// New code nothing in the patch reaches: not part of it.
	for (auto &[key, d] : ctx.decisions.functions)
		if (d.status == Status::New && d.sym->sec && !ctx.is_included(d.sym->sec)) {
			d.status = Status::Ignored;
			d.reasons.insert("unreferenced-new");
		}
}

} // namespace klp::cdo
