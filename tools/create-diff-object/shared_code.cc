// Jumps into shared code (.altinstr_aux) compared by what they reach, not by the
// offset they reach it at: static_cpu_has() leaves one block per use in the file's
// single .altinstr_aux, so a use added to an earlier function moves the blocks of
// every later one (`jmp .altinstr_aux+0x20` becomes `+0x44`) without changing them.
#include "shared_code.h"

#include "line_changes.h"

#include <algorithm>

namespace klp::cdo {
namespace {

// The offset in its section of the place `r` designates: `jmp 6f` into
// .altinstr_aux is R_X86_64_PC32 .altinstr_aux+0x1c, the block at 0x20.
int64_t designated_offset(const DiffContext &ctx, const elf::Relocation &r)
{
	return int64_t(r.sym->is_section() ? 0 : r.sym->value) + ctx.arch->target_offset(r);
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

} // namespace klp::cdo
