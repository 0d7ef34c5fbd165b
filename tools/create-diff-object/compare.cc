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

bool same_target(const DiffContext &ctx, const Relocation &p, const Relocation &o, int depth = 0);

// `struct _ddebug` {modname, function, filename, format; lineno:18, class_id:6,
// flags:8; key}: `lineno` is __LINE__ of the pr_debug(). Three lines inserted
// above aio_free_ring() move every descriptor below it in fs/aio.c; that alone
// changes nothing (the patch's copy registers its own descriptors).
constexpr uint64_t ddebug_lineno_offset = 32;
constexpr uint32_t ddebug_lineno_bits = 18;

void mask_ddebug_lineno(std::vector<uint8_t> &bytes, bool big_endian)
{
	if (bytes.size() < ddebug_lineno_offset + 4)
		return;
	// A bitfield is allocated from the low bits on little-endian targets and from
	// the high bits on big-endian ones (s390x).
	uint8_t *f = bytes.data() + ddebug_lineno_offset;
	uint32_t v = big_endian ? uint32_t(f[0]) << 24 | f[1] << 16 | f[2] << 8 | f[3]
				: uint32_t(f[3]) << 24 | f[2] << 16 | f[1] << 8 | f[0];
	uint32_t mask = (1u << ddebug_lineno_bits) - 1;
	v &= big_endian ? ~(mask << (32 - ddebug_lineno_bits)) : ~mask;
	for (int i = 0; i < 4; i++)
		f[i] = uint8_t(big_endian ? v >> (24 - 8 * i) : v >> (8 * i));
}

// Two per-site statics of the same kind (`__warned.5` and `__warned.9`, two
// descriptors, two `CSWTCH` tables) are the same thing when their contents are:
// the bytes (a descriptor's without its line) and what their relocations point
// to. `CSWTCH.3`, a switch's table of string pointers, is all zeros but for its
// relocations: a changed string in it is a change.
bool same_static(const DiffContext &ctx, const Symbol *p, const Symbol *o, int depth)
{
	if (strip_suffix(p->name) != strip_suffix(o->name) &&
	    !(is_dyndbg_descriptor(p->name) && is_dyndbg_descriptor(o->name)))
		return false;
	if (!same_contents(p, o)) {
		if (!is_dyndbg_descriptor(p->name) || p->size != o->size || !p->sec || !o->sec ||
		    p->sec->type == SHT_NOBITS || p->sec->type != o->sec->type ||
		    p->value + p->size > p->sec->data.size() ||
		    o->value + o->size > o->sec->data.size())
			return false;
		std::vector<uint8_t> pb(p->sec->data.begin() + long(p->value),
					p->sec->data.begin() + long(p->value + p->size));
		std::vector<uint8_t> ob(o->sec->data.begin() + long(o->value),
					o->sec->data.begin() + long(o->value + o->size));
		bool big = ctx.patched->data_encoding == ELFDATA2MSB;
		mask_ddebug_lineno(pb, big);
		mask_ddebug_lineno(ob, big);
		if (pb != ob)
			return false;
	}
	if (!p->sec || !o->sec || depth > 4)
		return true;
	auto pr = relocs_in(p->sec, p->value, p->value + p->size);
	auto orr = relocs_in(o->sec, o->value, o->value + o->size);
	if (pr.size() != orr.size())
		return false;
	for (size_t i = 0; i < pr.size(); i++) {
		if (pr[i].offset - p->value != orr[i].offset - o->value || pr[i].type != orr[i].type)
			return false;
		// A descriptor's static key points back into the descriptor itself.
		if (pr[i].sym && orr[i].sym && pr[i].sym->sec == p->sec && orr[i].sym->sec == o->sec &&
		    pr[i].addend == orr[i].addend)
			continue;
		if (!same_target(ctx, pr[i], orr[i], depth + 1))
			return false;
	}
	return true;
}

// Does a reference to section symbol `ps` + `poff` designate the same thing as one
// to `os` + `ooff`? The entry there decides, never the whole section: `__dyndbg`
// holds every descriptor of the file, `.rodata` a switch table beside a changed
// constant. A symbol covering the offset on both sides is compared as a symbol;
// otherwise the bytes from the offset to the next symbol (or the section's end).
bool same_section_entry(const DiffContext &ctx, const Symbol *ps, int64_t poff, const Symbol *os,
			int64_t ooff, int depth)
{
	const Section *psec = ps->sec, *osec = os->sec;
	if (psec->name != osec->name && strip_suffix(psec->name) != strip_suffix(osec->name))
		return false;
	if (poff < 0 || ooff < 0 || uint64_t(poff) > psec->size() || uint64_t(ooff) > osec->size())
		return poff == ooff && psec->data == osec->data;
	const Symbol *pt = ctx.patched->symbol_at(psec, uint64_t(poff));
	const Symbol *ot = ctx.orig->symbol_at(osec, uint64_t(ooff));
	if (pt && ot && (pt->is_object() || pt->is_func()) && (ot->is_object() || ot->is_func())) {
		if (poff - int64_t(pt->value) != ooff - int64_t(ot->value))
			return false;
		if (pt->twin == ot)
			return true;
		return is_special_static(pt->name) && is_special_static(ot->name) &&
		       same_static(ctx, pt, ot, depth);
	}
	if (pt || ot)
		return false;
	auto entry_end = [](const Section *sec, uint64_t off) {
		uint64_t end = sec->size();
		for (const Symbol *s : sec->symbols)
			if (!s->is_section() && s->value > off)
				end = std::min(end, s->value);
		return end;
	};
	if (psec->type == SHT_NOBITS || osec->type == SHT_NOBITS)
		return psec->type == osec->type;
	uint64_t pend = entry_end(psec, uint64_t(poff)), oend = entry_end(osec, uint64_t(ooff));
	return pend - uint64_t(poff) == oend - uint64_t(ooff) &&
	       std::equal(psec->data.begin() + poff, psec->data.begin() + long(pend),
			  osec->data.begin() + ooff);
}

// Do relocation `p` of the patched object and `o` of the original designate the
// same thing?
bool same_target(const DiffContext &ctx, const Relocation &p, const Relocation &o, int depth)
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
			return same_target(ctx, a, b, depth + 1);
		});
	// A section symbol the rebase could not resolve to a symbol (`__dyndbg+0x17a`
	// from a `__jump_table` entry, a switch table in `.rodata`): the entry there.
	if (ps->is_section() && os->is_section() && ps->sec && os->sec)
		return same_section_entry(ctx, ps, ctx.arch->target_offset(p), os,
					  ctx.arch->target_offset(o), depth);
	if (p.addend != o.addend)
		return false;
	if (ps->twin == os)
		return true;
	// Per-site statics are fresh copies, compared by what they hold.
	if (is_special_static(ps->name) && is_special_static(os->name))
		return same_static(ctx, ps, os, depth);
	if (ps->is_undefined() && os->is_undefined())
		return ps->name == os->name;
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
	FunctionDecision &d = ctx.decisions.function(sym);
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
	// A twin without a section is the original's undefined reference: the patch
	// defines here what another file defined (`extern int helper(int);` called in
	// orig.c, `int helper(int x) { ... }` in patched.c).
	if (!sym->twin || !sym->twin->sec) {
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

// `.modinfo` is the module's metadata for modpost and the loader (a changed
// MODULE_DESCRIPTION(), a new MODULE_AUTHOR()), never data the running code
// reads: not a data change. The entries the livepatch needs (import_ns=) are
// carried by build_output.
bool is_module_metadata(const Symbol *sym)
{
	return sym->sec && sym->sec->name == ".modinfo";
}

void compare_object(DiffContext &ctx, Symbol *sym)
{
	if (is_special_static(sym->name) || is_klpkit_section(sym->sec) ||
	    in_ignored_section(ctx, sym) || is_module_metadata(sym))
		return;
	DataDecision &d = ctx.decisions.object(sym);
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
		// `__pfx_foo` is foo's padding, no function of its own: a new foo's
		// would be a second new function in foo's section.
		if (sym->is_func() && !is_klpkit_section(sym->sec) && !is_prefix_symbol(sym.get()))
			compare_function(ctx, sym.get(), trap_lines);
		else if (sym->is_object())
			compare_object(ctx, sym.get());
	}
	// A change in `foo.cold` (the unlikely part GCC split off) is a change of `foo`:
	// foo jumps into it, and only foo can be patched through ftrace.
	for (auto &[sym, d] : ctx.decisions.functions) {
		if (d.status != Status::Changed && d.status != Status::New)
			continue;
		const Symbol *parent = ctx.cold_parent(sym);
		if (!parent)
			continue;
		auto it = ctx.decisions.functions.find(parent);
		if (it != ctx.decisions.functions.end() && it->second.status == Status::Unchanged) {
			it->second.status = Status::Changed;
			it->second.reasons.insert("cold-child");
		}
	}
}

} // namespace klp::cdo
