// Special sections (`__bug_table`, `__jump_table`, `.altinstructions`, ORC, ...):
// an array of fixed-size entries, each tied by a relocation to a place in code (or,
// for .printk_index, to a record whose format string the code uses). Keeps the
// entries that belong to included functions, and judges static keys and static
// calls of kept entries. The output pass copies the kept entries.
#include "diff.h"
#include "include.h"
#include "names.h"

#include "ksym/symvers.h"

#include <cstdlib>
#include <optional>
#include <set>

namespace klp::cdo {
namespace {

using elf::Section;
using elf::Symbol;

uint64_t entry_size(DiffContext &ctx, const Section *sec, const SpecialSection &spec)
{
	if (auto it = ctx.opts.entry_sizes.find(sec->name); it != ctx.opts.entry_sizes.end())
		return it->second;
	if (sec->entsize)
		return sec->entsize;
	if (!spec.env.empty())
		if (const char *env = std::getenv(std::string(spec.env).c_str()); env && *env)
			return std::strtoull(env, nullptr, 0);
	return spec.default_entry_size;
}

// Whether the section is a whole number of entries, but for a last entry that
// may lack its padding (.parainstructions before Linux 6.2: 16(n-1)+12 bytes).
bool entries_fit(uint64_t sec_size, uint64_t size, const SpecialSection &spec)
{
	uint64_t last = sec_size % size;
	return !last || (spec.min_last_entry && last >= spec.min_last_entry);
}

// An entry belongs to an included function, not merely to code copied along: an
// .altinstructions entry of an unchanged function also points into
// .altinstr_replacement, which another entry already brought in.
bool points_into_included_code(const DiffContext &ctx, const elf::Relocation &r)
{
	return r.sym && r.sym->sec && r.sym->sec->is_text() && ctx.is_included(r.sym->sec) &&
	       !ctx.arch->find_special(r.sym->sec->name) && is_patch_owned(ctx, r.sym);
}

// A place a relocation designates: `mov $.LC3,%rdi` is R_X86_64_32S against
// .rodata.foo.str1.1+0x39, `lea .LC3(%rip),%rdi` R_X86_64_PC32 +0x35: both
// designate (.rodata.foo.str1.1, 0x39).
using Place = std::pair<const Section *, int64_t>;

Place designated_place(const DiffContext &ctx, const elf::Relocation &r)
{
	return {r.sym->sec,
		int64_t(r.sym->is_section() ? 0 : r.sym->value) + ctx.arch->target_offset(r)};
}

// The string literals the included code refers to, among them every format it
// hands to printk.
std::set<Place> strings_used_by_included_code(const DiffContext &ctx)
{
	std::set<Place> used;
	for (const Section *sec : ctx.include_order) {
		if (!sec->is_text() || ctx.arch->find_special(sec->name))
			continue;
		for (const elf::Relocation &r : relocs_in(sec, 0, sec->size()))
			if (r.sym && r.sym->sec && is_string_literal(r.sym))
				used.insert(designated_place(ctx, r));
	}
	return used;
}

// struct pi_entry {const char *fmt; const char *func; ...}: the format comes first
// (5.15 to 6.x).
constexpr int64_t pi_entry_fmt_offset = 0;

// A .printk_index entry is `_entry_ptr.N = &_entry.M`; the record `_entry.M` names
// no code, but its format is the literal the printk call passes. The entry
// belongs to included code that uses that literal, whatever the record's __func__
// says: a pr_warn() in wq_clamp_max_active(), inlined into alloc_workqueue(),
// names wq_clamp_max_active. Two printks of one format share the literal; both
// records then go along, which only lists one format twice in the index.
bool record_format_used(const DiffContext &ctx, const elf::Relocation &r,
			const std::set<Place> &used)
{
	const Symbol *record = r.sym;
	if (!record || !record->sec || record->sec->is_text())
		return false;
	int64_t fmt = int64_t(record->is_section() ? 0 : record->value) + r.addend +
		      pi_entry_fmt_offset;
	if (fmt < 0)
		return false;
	for (const elf::Relocation &f : relocs_in(record->sec, uint64_t(fmt), uint64_t(fmt) + 1))
		if (f.sym && f.sym->sec && is_string_literal(f.sym))
			return used.count(designated_place(ctx, f)) > 0;
	return false;
}

// Where a static key or static call key lives, as far as this patch can tell.
enum class KeyHome { Here, Vmlinux, Module };

KeyHome key_home(const DiffContext &ctx, const Symbol *key)
{
	bool parent_is_module = ctx.opts.parent != "vmlinux";
	// A key the patch itself defines (a new DEFINE_STATIC_KEY_FALSE, or the key
	// inside a pr_debug()'s descriptor, a fresh copy) is the livepatch module's
	// own, whatever the parent: its relocations are resolved when the patch loads.
	if (!key->is_undefined() && (!key->twin || is_special_static(key->name)))
		return KeyHome::Here;
	if (!key->is_undefined())
		return parent_is_module ? KeyHome::Module : KeyHome::Here;
	if (const auto *e = ctx.symvers->find(key->name))
		return e->is_vmlinux() ? KeyHome::Vmlinux : KeyHome::Module;
	return parent_is_module ? KeyHome::Module : KeyHome::Vmlinux;
}

// Tracepoints (`__tracepoint_sched_switch`, `__SCK__tp_func_sched_switch`) and
// dynamic debug (`descriptor.7` holds the key) only enable tracing or pr_debug():
// their entries can be dropped; the site then stays at its default.
bool is_droppable_key(const Symbol *key)
{
	std::string base = strip_suffix(key->name);
	return base.rfind("__tracepoint_", 0) == 0 || base.rfind("__SCK__tp_func_", 0) == 0 ||
	       is_dyndbg_descriptor(key->name);
}

// True if a kept `__jump_table` or `.static_call_sites` entry may stay.
bool judge_key(DiffContext &ctx, const Section *sec, std::span<const elf::Relocation> relocs)
{
	bool jump = sec->name == "__jump_table";
	if (!jump && sec->name != ".static_call_sites")
		return true;
	for (const elf::Relocation &r : relocs) {
		const Symbol *key = r.sym;
		if (!key || (key->sec && key->sec->is_text()))
			continue;
		if (key_home(ctx, key) != KeyHome::Module)
			continue;
		const Symbol *code = nullptr;
		for (const elf::Relocation &c : relocs)
			if (c.sym && c.sym->sec && c.sym->sec->is_text())
				code = c.sym;
		std::string where = code ? code->name : "?";
		if (is_droppable_key(key)) {
			ctx.warn(fmt::format("{}: dropped the {} entry of {} in {}: its key lives in "
					     "a module, so the site stays at its default",
					     ctx.opts.patched_path, sec->name, key->name, where));
			return false;
		}
		ctx.refuse(jump ? "module-static-key" : "module-static-call", key,
			   fmt::format("{} in {} uses {} {}, which lives in a module: livepatch "
				       "relocations for it would be applied too late. Use {} instead",
				       sec->name, where, jump ? "static key" : "static call", key->name,
				       jump ? "static_key_enabled()" : "a plain indirect call"));
		return false;
	}
	return true;
}

} // namespace

void filter_special_sections(DiffContext &ctx)
{
	// Each .orc_unwind_ip with the indexes of its kept entries.
	std::vector<std::pair<const Section *, std::vector<uint64_t>>> orc_ips;
	std::optional<std::set<Place>> used_strings;
	for (auto &owned : ctx.patched->sections) {
		const Section *sec = owned.get();
		const SpecialSection *spec = ctx.arch->find_special(sec->name);
		if (sec->removed || !spec || spec->kind == SpecialKind::WholeIfUsed ||
		    spec->kind == SpecialKind::OrcData)
			continue;
		uint64_t size = entry_size(ctx, sec, *spec);
		if (!size || !entries_fit(sec->size(), size, *spec)) {
			ctx.refuse("unsupported", sec->secsym,
				   fmt::format("{}: size {} is not a multiple of the entry size {}; "
					       "give the right one with --entry-size {}=BYTES",
					       sec->name, sec->size(), size, sec->name));
			continue;
		}
		DiffContext::SpecialPlan plan{sec, size, {}};
		uint64_t total = (sec->size() + size - 1) / size;
		for (uint64_t i = 0; i < total; i++) {
			auto relocs = relocs_in(sec, i * size, (i + 1) * size);
			bool keep = false;
			if (spec->kind == SpecialKind::FormatRecord) {
				if (!used_strings)
					used_strings = strings_used_by_included_code(ctx);
				for (const elf::Relocation &r : relocs)
					keep |= record_format_used(ctx, r, *used_strings);
			} else {
				for (const elf::Relocation &r : relocs)
					keep |= points_into_included_code(ctx, r);
			}
			if (!keep || !judge_key(ctx, sec, relocs))
				continue;
			plan.kept.push_back(i * size);
			for (const elf::Relocation &r : relocs) {
				// `.altinstr_replacement`, `.fixup`: code the entry points to.
				const Section *t = r.sym && r.sym->sec ? r.sym->sec : nullptr;
				if (t && !ctx.is_included(t)) {
					const SpecialSection *ts = ctx.arch->find_special(t->name);
					if (ts && ts->kind == SpecialKind::WholeIfUsed)
						include_section(ctx, t, t->name,
								fmt::format("used by {}", sec->name));
				}
			}
		}
		if (spec->kind == SpecialKind::OrcIp) {
			orc_ips.push_back({sec, {}});
			for (uint64_t off : plan.kept)
				orc_ips.back().second.push_back(off / size);
		}
		ctx.decisions.special_sections.push_back({sec->name, plan.kept.size(), total});
		ctx.special_plans.push_back(std::move(plan));
	}
	// .orc_unwind is parallel to .orc_unwind_ip: entry i describes address i. An
	// `ld -r --unique` of several files keeps one pair per file, in file order: the
	// n-th .orc_unwind_ip goes with the n-th .orc_unwind, never the first by name.
	std::vector<const Section *> orcs;
	for (auto &sec : ctx.patched->sections)
		if (!sec->removed && sec->name == ".orc_unwind")
			orcs.push_back(sec.get());
	if (!orc_ips.empty() && orcs.size() != orc_ips.size()) {
		ctx.refuse("unsupported", orcs.empty() ? nullptr : orcs[0]->secsym,
			   fmt::format("{} .orc_unwind_ip sections but {} .orc_unwind ones: cannot "
				       "pair them",
				       orc_ips.size(), orcs.size()));
		return;
	}
	for (size_t n = 0; n < orc_ips.size(); n++) {
		const Section *orc = orcs[n];
		const SpecialSection *spec = ctx.arch->find_special(".orc_unwind");
		uint64_t size = entry_size(ctx, orc, *spec);
		if (!size || orc->size() % size) {
			ctx.refuse("unsupported", orc->secsym,
				   fmt::format("{}: size {} is not a multiple of the entry size {}; "
					       "give the right one with --entry-size {}=BYTES",
					       orc->name, orc->size(), size, orc->name));
			return;
		}
		DiffContext::SpecialPlan plan{orc, size, {}};
		for (uint64_t i : orc_ips[n].second) {
			// .orc_unwind_ip entry i has no .orc_unwind entry i: not parallel.
			if ((i + 1) * size > orc->size()) {
				ctx.refuse("unsupported", orc->secsym,
					   fmt::format("{} has fewer entries than .orc_unwind_ip",
						       orc->name));
				return;
			}
			plan.kept.push_back(i * size);
		}
		ctx.decisions.special_sections.push_back(
			{orc->name, plan.kept.size(), orc->size() / size});
		ctx.special_plans.push_back(std::move(plan));
	}
	// Kept entries reference strings (a BUG()'s file name) and code copied whole.
	for (const auto &plan : ctx.special_plans)
		for (uint64_t off : plan.kept)
			for (const elf::Relocation &r : relocs_in(plan.sec, off, off + plan.entry_size))
				include_reference(ctx, plan.sec, r.sym);
	include_references(ctx);
}

} // namespace klp::cdo
