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
	SymposResult r;
	r.status = SymposStatus::found;
	r.symbol = &sym;
	if (obj.count(sym.name) == 1) {
		r.evidence = "unique";
		return r;
	}
	if (!obj.order_problem.empty())
		return ambiguous(sym, fmt::format("{}: {} has {} definitions and their order is "
						  "unknown: {}",
						  obj.name, sym.name, obj.count(sym.name),
						  obj.order_problem));

	// The kernel counts in whichever view is current when the relocation is
	// resolved; `position` is the count in the most inclusive one. A view that
	// lists fewer symbols of the name makes the patch fail to load (loud,
	// acceptable); one whose position-th is another symbol would patch that one
	// silently. E.g. a module's symtab holding, in order, `probe` (.init.text,
	// __init), ours (.text) and a third `probe` (.text): while the module loads,
	// `probe,2` is ours; once it is live the init one is gone and `probe,2` is the
	// third. Refused.
	if (obj.mixed_views(sym.name)) {
		for (uint8_t view : {view_live, view_text}) {
			const KernelSymbol *nth = nth_in_view(obj, sym.name, view, sym.position);
			if (nth && nth != &sym)
				return ambiguous(sym, fmt::format("{}: {},{} is not the same symbol "
								  "{}: there it is the one at {:#x}",
								  obj.name, sym.name, sym.position,
								  view_name(view), nth->address));
		}
	}
	r.sympos = sym.position;
	r.evidence = "given";
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
