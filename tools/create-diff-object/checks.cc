// Refusals of what a livepatch cannot do safely: changed data, changed init code,
// COMDAT groups, functions without an ftrace hook, symbols that changed section,
// structs whose layout changed.
// Each refusal names the symbol and section. Static keys are judged with the
// special sections (special_sections.cc), where their entries are read.
#include "diff.h"
#include "layouts.h"
#include "names.h"

#include <algorithm>

namespace klp::cdo {

std::optional<uint64_t> ftrace_site(DiffContext &ctx, const elf::Symbol *func)
{
	if (!func->sec)
		return std::nullopt;
	if (ctx.arch->ftrace == arch::FtraceEntry::FentryCall) {
		// The call ftrace patches. x86 records it in __mcount_loc whatever else the
		// function has: __patchable_function_entries (CONFIG_CALL_PADDING's 16
		// bytes of padding) lists notrace functions too, kernel/trace/*'s among
		// them.
		uint64_t at = ctx.arch->fentry_reloc_at(*func->sec, func->value);
		for (const elf::Relocation &r : relocs_in(func->sec, at, at + 1))
			if (r.sym && r.sym->name == ctx.arch->fentry_symbol)
				return at - ctx.arch->fentry_reloc_offset;
		return std::nullopt;
	}
	// -fpatchable-function-entry: GCC lists every traceable function's NOPs in
	// __patchable_function_entries (one section per object before GCC 13, one per
	// function section after); notrace functions have neither NOPs nor a record.
	if (!ctx.patchable_sites) {
		ctx.patchable_sites.emplace();
		for (const auto &sec : ctx.patched->sections)
			if (!sec->removed && sec->name == ctx.arch->ftrace_section && sec->rela)
				for (const elf::Relocation &r : sec->rela->relocs)
					if (r.sym && r.sym->sec && r.type == ctx.arch->reloc_abs64)
						ctx.patchable_sites->insert(
							{r.sym->sec,
							 uint64_t(int64_t(r.sym->is_section() ? 0 : r.sym->value) +
								  r.addend)});
	}
	auto first = ctx.patchable_sites->lower_bound({func->sec, 0});
	for (auto it = first; it != ctx.patchable_sites->end() && it->first == func->sec; ++it)
		if (ctx.arch->is_patchable_site(*func->sec, func->value, it->second))
			return it->second;
	return std::nullopt;
}

namespace {

using elf::Section;
using elf::Symbol;

bool has_fentry(DiffContext &ctx, const Symbol *func) { return ftrace_site(ctx, func).has_value(); }

// `void __sched foo()` moves foo from .text.foo into .sched.text even when its code
// is equal: the running kernel's foo is elsewhere than the patch expects (wchan,
// stack checks). Moves within .text (.text.foo -> .text.unlikely.foo) are fine.
void check_moved(DiffContext &ctx, const Symbol *sym)
{
	if (sym->twin && sym->twin->sec &&
	    section_family(sym->sec->name) != section_family(sym->twin->sec->name))
		ctx.refuse("moved-section", sym,
			   fmt::format("{} moved from {} to {}", sym->name, sym->twin->sec->name,
				       sym->sec->name));
}

// `static inline` is notrace in the kernel (compiler_types.h), so a changed
// __do_sys_newuname(), the out-of-line body of SYSCALL_DEFINE1(newuname), has no
// ftrace entry; its one caller __x64_sys_newuname has. A static function reached
// only by direct calls from traceable functions is replaced by patching those
// callers, which then call the patch's copy. Its address taken anywhere: refused.
bool patch_through_callers(DiffContext &ctx, Symbol *func)
{
	if (!func->is_local())
		return false;
	std::set<Symbol *> callers;
	for (auto &rela : ctx.patched->sections) {
		if (!rela->is_rela() || rela->removed || !rela->base)
			continue;
		const Section *from = rela->base;
		// Tables that describe the function's own code are not callers, and
		// neither is debug information (not loaded).
		if (!from->is_alloc() || ctx.arch->find_special(from->name) || from->name == "__mcount_loc" ||
		    from->name == "__patchable_function_entries" ||
		    from->name.rfind(".discard", 0) == 0)
			continue;
		for (const elf::Relocation &r : rela->relocs) {
			if (r.sym != func)
				continue;
			if (from == func->sec)
				continue; // recursion
			if (!from->is_text() || !ctx.arch->is_branch(*from, r))
				return false;
			Symbol *caller = ctx.patched->symbol_at(from, r.offset);
			if (!caller)
				return false;
			if (!cold_parent_name(caller->name).empty())
				caller = ctx.cold_parent(caller);
			if (!caller || !caller->twin || !has_fentry(ctx, caller))
				return false;
			callers.insert(caller);
		}
	}
	if (callers.empty())
		return false;
	for (Symbol *caller : callers) {
		FunctionDecision &c = ctx.decisions.function(caller);
		if (c.status == Status::Unchanged)
			c.status = Status::Changed;
		c.reasons.insert("calls-notrace-change");
	}
	ctx.decisions.function(func).reasons.insert("patched-through-callers");
	return true;
}

void check_functions(DiffContext &ctx)
{
	for (auto &[key, d] : ctx.decisions.functions) {
		Symbol *sym = d.sym;
		const std::string &name = d.name;
		if (!sym->sec)
			continue;
		if (d.status != Status::Ignored)
			check_moved(ctx, sym);
		if (d.status != Status::Changed && d.status != Status::New)
			continue;
		const std::string &sec = sym->sec->name;
		if (sec.rfind(".init.", 0) == 0) {
			ctx.refuse("changed-init", sym,
				   fmt::format("{} function {} in {}: init code has run and is gone",
					       status_name(d.status), name, sec));
			continue;
		}
		if (sec.rfind(".exit.", 0) == 0) {
			ctx.warn(fmt::format("{}: exit code in {} is not patched", name, sec));
			d.status = Status::Ignored;
			d.reasons.insert("exit-section");
			continue;
		}
		if (d.status == Status::Changed && !has_fentry(ctx, sym) &&
		    !cold_parent_name(name).size() && !patch_through_callers(ctx, sym))
			ctx.refuse("no-fentry", sym,
				   fmt::format("changed function {} has no ftrace entry (notrace, or "
					       "no {} record for it): it cannot be patched",
					       name, ctx.arch->ftrace_section));
	}
}

void check_data(DiffContext &ctx)
{
	for (auto &[key, d] : ctx.decisions.data) {
		Symbol *sym = d.sym;
		const std::string &name = d.name;
		if (!sym->sec)
			continue;
		if (d.status == Status::Changed) {
			std::string detail =
				d.reasons.count("size")
					? fmt::format("size {} -> {}", sym->twin->size, sym->size)
					: fmt::format("{} differ", fmt::join(d.reasons, " and "));
			ctx.refuse("changed-data", sym,
				   fmt::format("data object {} in {} changed ({}): the running "
					       "kernel's copy keeps its old contents; use a shadow "
					       "variable or a callback",
					       name, sym->sec->name, detail));
		} else {
			check_moved(ctx, sym);
		}
	}
}

std::vector<uint8_t> member_bytes(const Section *group)
{
	std::vector<uint8_t> all;
	for (const Section *m : group->group_members)
		if (!m->is_rela())
			all.insert(all.end(), m->data.begin(), m->data.end());
	return all;
}

void check_groups(DiffContext &ctx)
{
	// COMDAT groups are deduplicated by the final link across the whole kernel: a
	// patch cannot tell which copy runs.
	std::unordered_map<std::string, const Section *> orig_groups;
	for (auto &sec : ctx.orig->sections)
		if (sec->is_group() && sec->group_signature)
			orig_groups[sec->group_signature->name] = sec.get();
	for (auto &sec : ctx.patched->sections) {
		if (!sec->is_group() || !sec->group_signature || !(sec->group_flags & GRP_COMDAT))
			continue;
		const std::string &sig = sec->group_signature->name;
		auto it = orig_groups.find(sig);
		if (it == orig_groups.end()) {
			ctx.refuse("new-group", sec->group_signature,
				   fmt::format("new COMDAT group {} ({})", sig, sec->name));
		} else if (member_bytes(sec.get()) != member_bytes(it->second)) {
			ctx.refuse("changed-group", sec->group_signature,
				   fmt::format("COMDAT group {} ({}) changed", sig, sec->name));
		}
	}
}

} // namespace

void check_refusals(DiffContext &ctx)
{
	check_functions(ctx);
	check_data(ctx);
	check_groups(ctx);
}

// An object's DWARF for compare_layouts(): .debug_info with the value of each
// relocation (S + A) written into it, as a debugger's reader does, and the sections
// its entries point into. Not usable by the fast reader when a section is
// compressed or repeated, or a relocation is not a plain absolute one: LLVM then
// reads the file.
DebugSections debug_sections(const elf::Object &obj, const Arch &arch)
{
	DebugSections out;
	const Section *info = nullptr, *abbrev = nullptr, *str = nullptr, *line_str = nullptr;
	out.usable = obj.data_encoding == ELFDATA2LSB;
	std::set<std::string_view> relocated;
	for (const auto &sec : obj.sections) {
		// LLVM records the relocations of every section its DWARF reader maps, by
		// section name, and fails on three at one offset: -g3's many COMDAT
		// .debug_macro sections (objtool's libsubcmd) have them. Two at one offset,
		// or two sections of one name, and LLVM decides.
		if (sec->is_rela() && sec->base && !sec->is_livepatch_rela() &&
		    (sec->base->name.starts_with(".debug_") || sec->base->name.starts_with(".zdebug_") ||
		     sec->base->name == ".eh_frame") &&
		    (!relocated.insert(sec->base->name).second ||
		     std::adjacent_find(sec->relocs.begin(), sec->relocs.end(),
					[](const elf::Relocation &a, const elf::Relocation &b) {
						return a.offset >= b.offset;
					}) != sec->relocs.end()))
			out.usable = false;
		const Section **slot = sec->name == ".debug_info"	 ? &info
				       : sec->name == ".debug_abbrev"	 ? &abbrev
				       : sec->name == ".debug_str"	 ? &str
				       : sec->name == ".debug_line_str" ? &line_str
									 : nullptr;
		if (!slot)
			continue;
		if (*slot || (sec->flags & SHF_COMPRESSED) || sec->contents_skipped ||
		    (sec->rela && slot != &info))
			out.usable = false;
		*slot = sec.get();
	}
	out.present = info != nullptr;
	if (!out.present || !out.usable)
		return out;
	out.info = info->data;
	for (auto [sec, to] : {std::pair{abbrev, &out.abbrev}, {str, &out.str}, {line_str, &out.line_str}})
		if (sec)
			*to = sec->data;
	if (!info->rela)
		return out;
	uint64_t last = 0;
	for (const elf::Relocation &r : info->rela->relocs) {
		if (r.type == arch.reloc_none)
			continue;
		bool abs64 = r.type == arch.reloc_abs64;
		unsigned size = abs64 ? 8 : 4;
		// Two at one offset, or out of order: LLVM's rules for that are its own.
		bool abs32 = std::find(arch.abs32.begin(), arch.abs32.end(), r.type) != arch.abs32.end();
		if ((!abs64 && !abs32) || r.offset > out.info.size() || out.info.size() - r.offset < size ||
		    (last && r.offset < last)) {
			out.usable = false;
			return out;
		}
		last = r.offset + size;
		uint64_t value = (r.sym ? r.sym->value : 0) + uint64_t(r.addend);
		for (unsigned i = 0; i < size; i++)
			out.info[r.offset + i] = uint8_t(value >> (8 * i));
	}
	return out;
}

Expected<void> check_layouts(DiffContext &ctx)
{
	auto layouts = compare_layouts(ctx.opts.orig_path, debug_sections(*ctx.orig, *ctx.arch),
				       ctx.opts.patched_path, debug_sections(*ctx.patched, *ctx.arch));
	if (!layouts)
		return layouts.error();
	if (layouts->one_sided)
		ctx.warn("only one of the objects has DWARF: data layouts not compared");
	for (const std::string &change : layouts->prototype_changes)
		ctx.refuse("changed-prototype", nullptr,
			   fmt::format("{}; the running kernel's callers and definition of a global "
				       "function keep the old one: keep the prototype (a new function "
				       "with the new one, called from the patched code, is fine)",
				       change));
	for (const std::string &change : layouts->changes)
		ctx.refuse("changed-layout", nullptr,
			   fmt::format("{}; the running kernel's data keeps the old layout, which the "
				       "patched code would misread. Keep the layout: new fields go in a "
				       "shadow variable (klp_shadow_*), or in a new type when only the "
				       "patch allocates its objects",
				       change));
	return success();
}

} // namespace klp::cdo
