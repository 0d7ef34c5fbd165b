// Jumps into shared code (.altinstr_aux) compared by what they reach, not by the
// offset they reach it at: static_cpu_has() leaves one block per use in the file's
// single .altinstr_aux, so a use added to an earlier function moves the blocks of
// every later one (`jmp .altinstr_aux+0x20` becomes `+0x44`) without changing them.
#include "shared_code.h"

#include "line_changes.h"

#include <algorithm>
#include <optional>
#include <set>
#include <unordered_map>

namespace klp::cdo {
namespace {

// The offset in its section of the place `r` designates: `jmp 6f` into
// .altinstr_aux is R_X86_64_PC32 .altinstr_aux+0x1c, the block at 0x20.
int64_t designated_offset(const DiffContext &ctx, const elf::Relocation &r)
{
	return int64_t(r.sym->is_section() ? 0 : r.sym->value) + ctx.arch->target_offset(r);
}

// The offset in shared code section `r.sym->sec` that relocation `r` of `from`
// enters at: a jump's target (code), or the place an entry names (`.long 6641f - .`
// in .altinstructions, no bias: the field itself is the place).
int64_t entry_offset(const DiffContext &ctx, const elf::Section *from, const elf::Relocation &r)
{
	if (from->is_text())
		return designated_offset(ctx, r);
	return int64_t(r.sym->is_section() ? 0 : r.sym->value) + r.addend;
}

} // namespace

bool is_shared_code(const DiffContext &ctx, const elf::Symbol *sym)
{
	if (!sym || !sym->sec || !sym->sec->is_text())
		return false;
	const SpecialSection *spec = ctx.arch->find_special(sym->sec->name);
	return spec && spec->kind == SpecialKind::WholeIfUsed;
}

bool same_shared_code(
	const DiffContext &ctx, const elf::Relocation &p, const elf::Relocation &o,
	const std::function<bool(const elf::Relocation &, const elf::Relocation &)> &same_target)
{
	const elf::Section *ps = p.sym->sec, *os = o.sym->sec;
	if (p.type != o.type || ps->name != os->name)
		return false;
	int64_t pstart = designated_offset(ctx, p), ostart = designated_offset(ctx, o);
	if (pstart < 0 || ostart < 0)
		return false;
	auto pend = straight_line_end(ctx.patched->machine, *ps, uint64_t(pstart));
	auto oend = straight_line_end(ctx.orig->machine, *os, uint64_t(ostart));
	if (!pend || !oend || *pend - uint64_t(pstart) != *oend - uint64_t(ostart))
		return false;
	if (!std::equal(ps->data.begin() + pstart, ps->data.begin() + long(*pend),
			os->data.begin() + ostart))
		return false;
	auto prel = relocs_in(ps, uint64_t(pstart), *pend);
	auto orel = relocs_in(os, uint64_t(ostart), *oend);
	if (prel.size() != orel.size())
		return false;
	for (size_t i = 0; i < prel.size(); i++) {
		const elf::Relocation &a = prel[i], &b = orel[i];
		// A block that jumps into shared code again would send this comparison in
		// circles; no kernel block does, so such a pair counts as different.
		if (a.offset - uint64_t(pstart) != b.offset - uint64_t(ostart) || a.type != b.type ||
		    !a.sym || !b.sym || is_shared_code(ctx, a.sym) || is_shared_code(ctx, b.sym) ||
		    !same_target(a, b))
			return false;
	}
	return true;
}

void reach_shared_code(DiffContext &ctx)
{
	// Where each shared code section is entered anywhere in the object: the start
	// of every part, so a part ends where the next begins.
	// The object does not change: read once, however often inclusion grows.
	auto &starts = ctx.shared_starts;
	if (!starts) {
		starts.emplace();
		for (const auto &sec : ctx.patched->sections)
			if (!sec->removed && sec->rela)
				for (const elf::Relocation &r : sec->rela->relocs)
					if (is_shared_code(ctx, r.sym))
						if (int64_t off = entry_offset(ctx, sec.get(), r); off >= 0)
							(*starts)[r.sym->sec].insert(uint64_t(off));
	}

	ctx.shared_reached.clear();
	struct Entry {
		const elf::Section *from;
		const elf::Relocation *r;
		std::optional<uint64_t> length; // of the part, where an entry says it
	};
	std::vector<Entry> todo;
	auto enter_from = [&](const elf::Section *from, std::span<const elf::Relocation> relocs,
			      std::optional<uint64_t> length = std::nullopt) {
		for (const elf::Relocation &r : relocs)
			if (is_shared_code(ctx, r.sym) && ctx.is_included(r.sym->sec))
				todo.push_back({from, &r, length});
	};
	for (const elf::Section *sec : ctx.include_order)
		if (!is_shared_code(ctx, sec->secsym) && sec->rela)
			enter_from(sec, sec->rela->relocs);
	for (const auto &plan : ctx.special_plans) {
		// An empty replacement starts where the next one does: only its entry's
		// length tells that it reaches nothing.
		auto len_at = plan.sec->name == ".altinstructions" && ctx.patched->machine == EM_X86_64
				      ? arch::x86_alt_replacement_length_offset(plan.entry_size)
				      : std::nullopt;
		for (uint64_t off : plan.kept) {
			std::optional<uint64_t> length;
			if (len_at && off + *len_at < plan.sec->size())
				length = plan.sec->data[off + *len_at];
			enter_from(plan.sec, relocs_in(plan.sec, off, off + plan.entry_size), length);
		}
	}
	while (!todo.empty()) {
		auto [from, r, length] = todo.back();
		todo.pop_back();
		const elf::Section *sec = r->sym->sec;
		int64_t start = entry_offset(ctx, from, *r);
		if (start < 0 || uint64_t(start) >= sec->size() || length == 0u)
			continue;
		const auto &known = (*starts)[sec];
		auto next = known.upper_bound(uint64_t(start));
		uint64_t end = next == known.end() ? sec->size() : *next;
		if (length)
			end = std::min(sec->size(), uint64_t(start) + *length);
		std::pair<uint64_t, uint64_t> part{uint64_t(start), end};
		auto &parts = ctx.shared_reached[sec];
		if (std::find(parts.begin(), parts.end(), part) != parts.end())
			continue;
		parts.push_back(part);
		// Code there may enter shared code again.
		enter_from(sec, relocs_in(sec, part.first, part.second));
	}
	for (auto &[sec, parts] : ctx.shared_reached)
		std::sort(parts.begin(), parts.end());
}

bool DiffContext::reloc_used(const elf::Section *sec, const elf::Relocation &r) const
{
	const SpecialSection *spec = arch->find_special(sec->name);
	if (!spec || spec->kind != SpecialKind::WholeIfUsed)
		return true;
	auto it = shared_reached.find(sec);
	if (it == shared_reached.end())
		return false;
	for (const auto &[start, end] : it->second)
		if (r.offset >= start && r.offset < end)
			return true;
	return false;
}

} // namespace klp::cdo
