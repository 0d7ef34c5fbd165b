// Decides what changed: every function and data object of the patched object is
// new, changed (and why), unchanged or ignored. Code that differs only in a
// `__LINE__` immediate is unchanged. Refusing is check_refusals()'s job.
#include "bug_entries.h"
#include "diff.h"
#include "line_changes.h"
#include "names.h"
#include "shared_code.h"

#include <algorithm>
#include <cstring>

namespace klp::cdo {
namespace {

using elf::Relocation;
using elf::Section;
using elf::Symbol;

std::string_view string_at(const Section *sec, int64_t off)
{
	if (off < 0 || uint64_t(off) >= sec->data.size())
		return {};
	auto *start = reinterpret_cast<const char *>(sec->data.data()) + off;
	return {start, strnlen(start, sec->data.size() - uint64_t(off))};
}

std::string_view constant_at(const Section *sec, int64_t off)
{
	uint64_t size = sec->entsize ? sec->entsize : 1;
	if (off < 0 || uint64_t(off) + size > sec->data.size())
		return {};
	return {reinterpret_cast<const char *>(sec->data.data()) + off, size};
}

// Do relocation `p` of the patched object and `o` of the original designate the
// same thing?
bool same_target(const DiffContext &ctx, const Relocation &p, const Relocation &o)
{
	if (!p.sym || !o.sym)
		return !p.sym && !o.sym && p.addend == o.addend;
	const Symbol *ps = p.sym, *os = o.sym;
	// String literals are compared by content, not offset: a new string placed
	// before `"hello"` in .rodata.str1.1 moves it without changing the function.
	if (is_string_literal(ps) && is_string_literal(os)) {
		int64_t poff = ctx.arch->target_offset(p) + int64_t(ps->is_section() ? 0 : ps->value);
		int64_t ooff = ctx.arch->target_offset(o) + int64_t(os->is_section() ? 0 : os->value);
		if (strip_suffix(ps->sec->name) != strip_suffix(os->sec->name))
			return false;
		// `.rodata.cst16`: fixed-size constants, not NUL-terminated strings.
		if (!(ps->sec->flags & SHF_STRINGS) && ps->sec->entsize &&
		    ps->sec->name.rfind(".rodata.str", 0) != 0)
			return constant_at(ps->sec, poff) == constant_at(os->sec, ooff);
		return string_at(ps->sec, poff) == string_at(os->sec, ooff);
	}
	// static_cpu_has()'s block in .altinstr_aux moves when an earlier one is added.
	if (is_shared_code(ctx, ps) && is_shared_code(ctx, os))
		return same_shared_code(ctx, p, o, [&](const Relocation &a, const Relocation &b) {
			return same_target(ctx, a, b);
		});
	if (p.addend != o.addend)
		return false;
	if (ps->twin == os)
		return true;
	// `__warned.5` and `__warned.9` are fresh per use site: same kind and same
	// initial contents are the same thing (but `CSWTCH.3`, a switch's lookup table,
	// with other values is a change).
	if (is_special_static(ps->name) && is_special_static(os->name))
		return strip_suffix(ps->name) == strip_suffix(os->name) && same_contents(ps, os);
	if (ps->is_undefined() && os->is_undefined())
		return ps->name == os->name;
	// Anonymous constants (`.rodata.cst16`, a switch table in `.rodata`): same
	// section name and the same bytes.
	if (ps->is_section() && os->is_section() && ps->sec && os->sec &&
	    ps->sec->name == os->sec->name)
		return ps->sec->data == os->sec->data;
	return false;
}

// Reasons why function or object `p` differs from its twin `o`; empty if equal.
std::set<std::string> differences(const DiffContext &ctx, const Symbol *p, const Symbol *o)
{
	std::set<std::string> reasons;
	if (p->size != o->size) {
		reasons.insert("size");
		if (p->sec->type != SHT_NOBITS)
			reasons.insert("bytes");
	}
	const Section *ps = p->sec, *os = o->sec;
	if (ps->type != SHT_NOBITS && os->type != SHT_NOBITS && p->size == o->size) {
		if (!std::equal(ps->data.begin() + long(p->value),
				ps->data.begin() + long(p->value + p->size),
				os->data.begin() + long(o->value)))
			reasons.insert("bytes");
	} else if (ps->type != os->type) {
		reasons.insert("bytes");
	}
	auto pr = relocs_in(ps, p->value, p->value + std::max<uint64_t>(p->size, 1));
	auto orr = relocs_in(os, o->value, o->value + std::max<uint64_t>(o->size, 1));
	if (pr.size() != orr.size()) {
		reasons.insert("relocations");
	} else {
		for (size_t i = 0; i < pr.size(); i++) {
			if (pr[i].offset - p->value != orr[i].offset - o->value ||
			    pr[i].type != orr[i].type || !same_target(ctx, pr[i], orr[i])) {
				reasons.insert("relocations");
				break;
			}
		}
	}
	return reasons;
}

bool in_ignored_section(const DiffContext &ctx, const Symbol *sym)
{
	return sym->sec && ctx.ignored_sections.count(sym->sec->name);
}

bool is_klpkit_section(const Section *sec)
{
	return sec && sec->name.rfind(".klpkit.", 0) == 0;
}

void compare_function(DiffContext &ctx, Symbol *sym, TrapLines &trap_lines)
{
	FunctionDecision &d = ctx.decisions.functions[sym->name];
	d.name = sym->name;
	if (ctx.ignored_functions.count(sym)) {
		d.status = Status::Ignored;
		d.reasons.insert("KLP_IGNORE_FUNCTION");
		return;
	}
	if (in_ignored_section(ctx, sym)) {
		d.status = Status::Ignored;
		d.reasons.insert("KLP_IGNORE_SECTION");
		return;
	}
	if (!sym->twin) {
		d.status = Status::New;
		return;
	}
	d.reasons = differences(ctx, sym, sym->twin);
	if (d.reasons.empty())
		return;
	// Only the bytes differ: maybe only a line number passed to __might_sleep().
	if (d.reasons == std::set<std::string>{"bytes"} && sym->size == sym->sec->size() &&
	    sym->twin->size == sym->twin->sec->size()) {
		auto same = [&](const Relocation &o, const Relocation &p) {
			return same_target(ctx, p, o);
		};
		auto trap_line = [&](const Section &sec, uint64_t off) {
			return trap_lines.at(sec, off);
		};
		auto lines = line_only_changes(*ctx.orig, *sym->twin->sec, *ctx.patched, *sym->sec,
					       same, trap_line);
		if (lines && !lines->empty()) {
			for (const LineChange &c : *lines)
				ctx.decisions.line_changes.push_back(
					{sym->name, c.offset, c.before + " -> " + c.after});
			d.reasons.clear();
			return;
		}
	}
	d.status = Status::Changed;
}

void compare_object(DiffContext &ctx, Symbol *sym)
{
	if (is_special_static(sym->name) || is_klpkit_section(sym->sec) ||
	    in_ignored_section(ctx, sym))
		return;
	DataDecision &d = ctx.decisions.data[sym->name];
	d.name = sym->name;
	if (!sym->twin || !sym->twin->sec) {
		d.status = Status::New;
		return;
	}
	d.reasons = differences(ctx, sym, sym->twin);
	d.status = d.reasons.empty() ? Status::Unchanged : Status::Changed;
}

} // namespace

void compare(DiffContext &ctx)
{
	// ASSERT_RTNL()'s __LINE__ passed to __warn_printk is checked against its ud2's.
	TrapLines trap_lines(ctx);
	for (auto &sym : ctx.patched->symbols) {
		if (sym->removed || !sym->sec || sym->sec->removed)
			continue;
		if (sym->is_func() && !is_klpkit_section(sym->sec))
			compare_function(ctx, sym.get(), trap_lines);
		else if (sym->is_object())
			compare_object(ctx, sym.get());
	}
	// A change in `foo.cold` (the unlikely part GCC split off) is a change of `foo`:
	// foo jumps into it, and only foo can be patched through ftrace.
	for (auto &[name, d] : ctx.decisions.functions) {
		if (d.status != Status::Changed && d.status != Status::New)
			continue;
		std::string parent = cold_parent_name(name);
		if (parent.empty())
			continue;
		auto it = ctx.decisions.functions.find(parent);
		if (it != ctx.decisions.functions.end() && it->second.status == Status::Unchanged) {
			it->second.status = Status::Changed;
			it->second.reasons.insert("cold-child");
		}
	}
}

} // namespace klp::cdo
