// Counting a symbol's sympos in its object's kallsyms order, and checking that the
// count holds in every kallsyms view the kernel might use. Choosing which duplicate
// is meant is pick_duplicate.cc's job.
#include "ksym/sympos.h"

namespace klp::ksym {
namespace {

const char *view_name(uint8_t view)
{
	switch (view) {
	case view_coming:
		return "while the module loads (or with CONFIG_KALLSYMS_ALL)";
	case view_live:
		return "once the module is live (init and non-alloc symbols dropped)";
	default:
		return "with CONFIG_KALLSYMS_ALL=n (text only)";
	}
}

// The `pos`-th symbol of `name` that view `view` lists, or null if it lists fewer.
const KernelSymbol *nth_in_view(const KernelObject &obj, std::string_view name, uint8_t view,
				uint64_t pos)
{
	for (const KernelSymbol *s = obj.first(name); s; s = s->next_same_name)
		if ((s->views & view) && --pos == 0)
			return s;
	return nullptr;
}

SymposResult ambiguous(const KernelSymbol &sym, std::string reason)
{
	SymposResult r;
	r.status = SymposStatus::ambiguous;
	r.reason = std::move(reason);
	r.candidates = list_candidates(*sym.object, sym.name);
	return r;
}

} // namespace

std::vector<SymposCandidate> list_candidates(const KernelObject &obj, std::string_view name)
{
	std::vector<SymposCandidate> candidates;
	uint64_t pos = 0;
	for (const KernelSymbol *s = obj.first(name); s; s = s->next_same_name) {
		SymposCandidate &c = candidates.emplace_back();
		c.objname = obj.name;
		c.position = ++pos;
		c.address = s->address;
		c.letter = s->letter;
		c.file = s->file ? *s->file : std::string();
	}
	return candidates;
}

SymposResult sympos_of(const KernelSymbol &sym)
{
	const KernelObject &obj = *sym.object;
	if (obj.count(sym.name) == 1) {
		SymposResult r;
		r.status = SymposStatus::found;
		r.symbol = &sym;
		r.evidence = "unique";
		r.candidates = list_candidates(obj, sym.name);
		return r;
	}
	if (!obj.order_problem.empty())
		return ambiguous(sym, fmt::format("{}: {} has {} definitions and their order is "
						  "unknown: {}",
						  obj.name, sym.name, obj.count(sym.name),
						  obj.order_problem));

	// The position among all symbols of the name; every loaded symbol is in the
	// most inclusive view (view_coming).
	uint64_t pos = 1;
	for (const KernelSymbol *s = obj.first(sym.name); s != &sym; s = s->next_same_name)
		pos++;

	// The kernel counts in whichever view is current when the relocation is
	// resolved. A view that lists fewer than `pos` symbols of the name makes the
	// patch fail to load (loud, acceptable); one whose `pos`-th is another symbol
	// would patch that one silently. E.g. a module's symtab holding, in order,
	// `probe` (.init.text, __init), ours (.text) and a third `probe` (.text): while
	// the module loads, `probe,2` is ours; once it is live the init one is gone and
	// `probe,2` is the third. Refused.
	for (uint8_t view : {view_live, view_text}) {
		const KernelSymbol *nth = nth_in_view(obj, sym.name, view, pos);
		if (nth && nth != &sym)
			return ambiguous(sym, fmt::format("{}: {},{} is not the same symbol {}: "
							  "there it is the one at {:#x}",
							  obj.name, sym.name, pos, view_name(view),
							  nth->address));
	}
	SymposResult r;
	r.status = SymposStatus::found;
	r.sympos = pos;
	r.symbol = &sym;
	r.evidence = "given";
	r.candidates = list_candidates(obj, sym.name);
	return r;
}

Error SymposResult::error() const
{
	if (status != SymposStatus::ambiguous)
		return Error(reason);
	std::string list;
	for (const SymposCandidate &c : candidates) {
		list += fmt::format("{}{} #{} at {:#x} ({}{}{})", list.empty() ? "" : ", ",
				    c.objname, c.position, c.address, c.letter,
				    c.file.empty() ? "" : ", ", c.file);
		if (c.anchors)
			list += fmt::format(" {} anchors", c.anchors);
	}
	return make_error("ambiguous: {}; candidates: {}", reason, list);
}

} // namespace klp::ksym
