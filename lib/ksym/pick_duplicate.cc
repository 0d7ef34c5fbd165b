// Picks which of several same-named symbols of a kernel object a translation unit's
// symbol is: by binding, by STT_FILE, then by neighbourhood; returns its sympos. It
// refuses (ambiguous) rather than guesses; counting positions is sympos.cc's job.
#include "ksym/sympos.h"

#include <algorithm>

namespace klp::ksym {
namespace {

std::string_view base_name(std::string_view path)
{
	size_t slash = path.rfind('/');
	return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

// Where the linker puts a section of the TU in vmlinux. The TU's functions sit
// together only within one region: `.text.type_show` and `.text.name_show` land side
// by side in .text, while `.text.unlikely.type_show` (gcc chose to make it cold) or
// `.init.text` land far away. With -ffunction-sections the symbol's own name is a
// suffix to drop: ".text.unlikely.foo" -> ".text.unlikely", ".data.bar" -> ".data".
// Kernel sections with ".." (".data..percpu", ".text..refcount") are their own region.
std::string_view region_of(std::string_view section)
{
	static constexpr std::string_view grouped[] = {
		".text.unlikely", ".text.hot", ".text.unknown", ".text.startup", ".text",
		".rodata",	  ".data.rel.ro", ".data",	".bss",
	};
	for (std::string_view prefix : grouped) {
		if (section == prefix)
			return prefix;
		if (section.starts_with(prefix) && section.size() > prefix.size() + 1 &&
		    section[prefix.size()] == '.' && section[prefix.size() + 1] != '.')
			return prefix;
	}
	return section;
}

// Neighbourhood evidence for kallsyms dumps (no files) and for files shared by
// several candidates. The idea: a TU's symbols are laid out together, so the right
// candidate sits among the TU's other symbols; and a name that occurs once in the
// whole object and is defined by the TU *is* the TU's symbol: an anchor that proves
// where the TU lies. E.g. two `t type_show` in a 6.1 kallsyms (addresses and
// neighbours illustrative):
//
//   ffffffff811c2a10 t nr_addr_filters_show        kernel/events/core.c
//   ffffffff811c2a60 t type_show                   candidate #1
//   ffffffff811c2ab0 t perf_event_mux_interval_ms_show
//   ...
//   ffffffff81a4b0e0 t mode_show                   drivers/thermal/thermal_sysfs.c
//   ffffffff81a4b160 t type_show                   candidate #2
//   ffffffff81a4b1c0 t trip_point_type_show
//
// For thermal_sysfs.o (which defines mode_show, type_show, trip_point_type_show, ...)
// walk outwards from each candidate over consecutive symbols whose names the TU
// defines; count the anchors met. #1 meets nr_addr_filters_show, which the TU does
// not define: run over, 0 anchors. #2 walks over mode_show (defined by many files:
// not an anchor, but the walk goes on) and trip_point_type_show (unique in vmlinux:
// anchor) and further: 1 or more. #2 wins.
//
// Why this cannot pick a wrong one (assuming the TU's symbols of one region are
// contiguous, which the linker gives us): the walk stops before any other symbol of
// the same name, and the TU defines the name once, so the true candidate's run holds
// the TU's whole block; a wrong candidate can only reach the anchors on one side of
// the true one, so it scores at most as much. Equal scores are a real ambiguity:
// `type_show` ending the previous file right before the TU's block, whose last
// symbol is the other `type_show`; names alone cannot tell these apart, so a tie
// (or no anchor at all) is refused. Regions matter: were the TU's own `type_show` in
// .text.unlikely, a foreign `type_show` just before the TU's .text block would win;
// so only anchors of the target's region count, when the TU's sections are known.
class Neighbourhood {
public:
	Neighbourhood(const KernelObject &obj, std::string_view name, const TranslationUnit &tu)
		: obj_(obj), name_(name)
	{
		tu_names_.reserve(tu.symbols.size());
		for (const TuSymbol &sym : tu.symbols)
			tu_names_.emplace(sym.name, &sym);
		const TuSymbol *target = tu.find(name);
		// Address order (vmlinux) separates regions; a module's symtab order
		// groups a TU's locals whatever their sections.
		if (obj.is_vmlinux() && target && !target->section.empty())
			target_region_ = region_of(target->section);
	}

	size_t anchors_around(const KernelSymbol &candidate) const
	{
		const auto &order = obj_.kallsyms_order;
		size_t anchors = 0;
		for (size_t i = candidate.kallsyms_index; i-- > 0;) {
			if (!in_run(*order[i]))
				break;
			anchors += is_anchor(*order[i]);
		}
		for (size_t i = candidate.kallsyms_index + 1; i < order.size(); i++) {
			if (!in_run(*order[i]))
				break;
			anchors += is_anchor(*order[i]);
		}
		return anchors;
	}

private:
	// The TU defines the name; also the padding symbols objtool or the compiler add
	// in front of a function in the final link: `__pfx_type_show` (6.2+
	// CALL_PADDING), `__cfi_type_show` (kCFI), which orig.o may not carry.
	bool in_run(const KernelSymbol &sym) const
	{
		std::string_view n = sym.name;
		if (n == name_)
			return false;
		if (tu_names_.count(n))
			return true;
		for (std::string_view prefix : {"__pfx_", "__cfi_"})
			if (n.starts_with(prefix) && tu_names_.count(n.substr(prefix.size())))
				return true;
		return false;
	}

	bool is_anchor(const KernelSymbol &sym) const
	{
		auto it = tu_names_.find(sym.name);
		if (it == tu_names_.end() || obj_.count(sym.name) != 1)
			return false;
		const TuSymbol &tu_sym = *it->second;
		return target_region_.empty() || tu_sym.section.empty() ||
		       region_of(tu_sym.section) == target_region_;
	}

	const KernelObject &obj_;
	std::string_view name_;
	std::unordered_map<std::string_view, const TuSymbol *> tu_names_;
	std::string_view target_region_;
};

using Scores = std::vector<std::pair<const KernelSymbol *, size_t>>;

// Copies neighbourhood scores onto the candidate list (both in kallsyms order).
void annotate(std::vector<SymposCandidate> &candidates, const KernelObject &obj,
	      std::string_view name, const Scores &scores)
{
	size_t k = 0;
	for (const KernelSymbol *s = obj.first(name); s; s = s->next_same_name, k++)
		for (const auto &[sym, anchors] : scores)
			if (sym == s)
				candidates[k].anchors = anchors;
}

SymposResult not_found(std::string reason)
{
	SymposResult r;
	r.status = SymposStatus::not_found;
	r.reason = std::move(reason);
	return r;
}

SymposResult refuse(const KernelObject &obj, std::string_view name, std::string reason,
		    const Scores &scores = {})
{
	SymposResult r;
	r.status = SymposStatus::ambiguous;
	r.reason = fmt::format("{}: {}: {}", obj.name, name, reason);
	r.candidates = list_candidates(obj, name);
	annotate(r.candidates, obj, name, scores);
	return r;
}

// The winner's sympos (sympos_of may still refuse), with the evidence that chose it.
SymposResult pick(const KernelSymbol &winner, std::string evidence, const Scores &scores = {})
{
	SymposResult r = sympos_of(winner);
	if (r.status == SymposStatus::found && r.evidence != "unique")
		r.evidence = std::move(evidence);
	if (r.candidates.empty())
		r.candidates = list_candidates(*winner.object, winner.name);
	annotate(r.candidates, *winner.object, winner.name, scores);
	return r;
}

SymposResult by_neighbourhood(const KernelObject &obj, std::string_view name,
			      const TranslationUnit &tu,
			      const std::vector<const KernelSymbol *> &candidates)
{
	Neighbourhood hood(obj, name, tu);
	Scores scores;
	size_t best = 0, runner_up = 0;
	const KernelSymbol *winner = nullptr;
	for (const KernelSymbol *c : candidates) {
		size_t anchors = hood.anchors_around(*c);
		scores.emplace_back(c, anchors);
		if (anchors > best) {
			runner_up = best;
			best = anchors;
			winner = c;
		} else if (anchors > runner_up) {
			runner_up = anchors;
		}
	}
	if (best == 0)
		return refuse(obj, name,
			      fmt::format("{} candidates and no neighbourhood evidence (none sits "
					  "next to a symbol only the TU defines)",
					  candidates.size()),
			      scores);
	if (best == runner_up)
		return refuse(obj, name,
			      fmt::format("{} candidates; the neighbourhoods tie at {} anchors",
					  candidates.size(), best),
			      scores);
	return pick(*winner,
		    fmt::format("neighbourhood: {} anchors next to it, at most {} next to the "
				"others",
				best, runner_up),
		    scores);
}

} // namespace

SymposResult resolve_sympos(const SymbolTable &table, std::string_view objname,
			    std::string_view name, const TranslationUnit &tu)
{
	const KernelObject *obj = table.object(objname);
	if (!obj)
		return not_found(fmt::format("{}: object not loaded (no symbols given for it)",
					     objname));
	std::vector<const KernelSymbol *> all = obj->find(name);
	if (all.empty())
		return not_found(fmt::format("{}: no symbol {} (in {})", obj->name, name, obj->path));

	// A static of the TU is a local in the object, an extern a global: e.g. the
	// TU's `static int debug` is not the global `debug` another file exports. A
	// symbol of unknown binding stays a candidate either way: arch/x86/kernel/apic/
	// vector.c's static per-cpu `cleanup_list` is `A cleanup_list` in kallsyms;
	// taken as global, net_namespace.c's `b cleanup_list` would be the only local.
	std::vector<const KernelSymbol *> candidates = all;
	const TuSymbol *target = tu.find(name);
	if (target && target->bind) {
		bool want_local = *target->bind == STB_LOCAL;
		std::erase_if(candidates, [&](const KernelSymbol *s) {
			return want_local ? !s->may_be_local() : !s->may_be_global();
		});
		if (candidates.empty())
			return not_found(fmt::format("{}: no {} symbol {} ({} {} one{})", obj->name,
						     want_local ? "local" : "global", name,
						     all.size(), want_local ? "global" : "local",
						     all.size() == 1 ? "" : "s"));
	}
	if (candidates.size() == 1)
		return pick(*candidates[0], all.size() == 1 ? "unique" : "the only one of its binding");

	// x86_64 kallsyms prints per-cpu symbols, offsets into the per-cpu area, as
	// absolute (`A cleanup_list` of vector.c's DEFINE_PER_CPU), and hardly
	// anything else: a `.data..percpu` symbol of the TU is one of the `A`/`a`
	// ones, any other is not (`b cleanup_list` of net_namespace.c). Where the
	// table has no absolute candidate (an ELF table, another arch) nothing changes.
	if (target && !target->section.empty()) {
		bool percpu = target->section.starts_with(".data..percpu");
		std::vector<const KernelSymbol *> kind;
		for (const KernelSymbol *s : candidates)
			if ((s->letter == 'A' || s->letter == 'a') == percpu)
				kind.push_back(s);
		if (!kind.empty() && kind.size() < candidates.size()) {
			if (kind.size() == 1)
				return pick(*kind[0], percpu ? "the only per-cpu (absolute) one"
							     : "the only one not per-cpu");
			candidates = std::move(kind);
		}
	}

	// STT_FILE names the source file of each local ("core.c"; compare base names,
	// since a compiler may record "drivers/base/core.c"). Several files share a base
	// name (core.c, main.c, sysfs.c): then the neighbourhood decides among them.
	bool have_files = std::any_of(candidates.begin(), candidates.end(),
				      [](const KernelSymbol *s) { return s->file; });
	if (!tu.file.empty() && have_files) {
		std::vector<const KernelSymbol *> matches;
		for (const KernelSymbol *s : candidates)
			if (s->file && base_name(*s->file) == base_name(tu.file))
				matches.push_back(s);
		if (matches.empty())
			return refuse(*obj, name,
				      fmt::format("{} candidates and none from file {}",
						  candidates.size(), tu.file));
		if (matches.size() == 1)
			return pick(*matches[0], fmt::format("file {}", *matches[0]->file));
		candidates = std::move(matches);
	}
	return by_neighbourhood(*obj, name, tu, candidates);
}

} // namespace klp::ksym
