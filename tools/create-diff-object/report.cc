// The JSON report (docs/json-report.md) and the lines printed on stderr. Lists are
// sorted so that the report, like the object, does not depend on hash order.
#include "cdo.h"
#include "elf/file_io.h"
#include "livepatch/exit_codes.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <fstream>

namespace klp::cdo {

int exit_code(Outcome o)
{
	switch (o) {
	case Outcome::Written:
		return kExitOk;
	case Outcome::Refused:
		return kExitRefused;
	case Outcome::NoChange:
		return kExitNoChange;
	}
	return kExitError;
}

const char *outcome_name(Outcome o)
{
	switch (o) {
	case Outcome::Written:
		return "written";
	case Outcome::Refused:
		return "refused";
	case Outcome::NoChange:
		return "no-change";
	}
	return "?";
}

namespace {

// Decisions by name, then in .symtab order where a name repeats (the static
// `helper`s of two files linked into one object).
template <typename T>
std::vector<const T *> by_name(const SymbolMap<T> &decisions)
{
	std::vector<const T *> list;
	for (const auto &[sym, d] : decisions)
		list.push_back(&d);
	std::stable_sort(list.begin(), list.end(),
			 [](const T *a, const T *b) { return a->name < b->name; });
	return list;
}

nlohmann::json functions_json(const Decisions &d)
{
	auto list = nlohmann::json::array();
	for (const FunctionDecision *fp : by_name(d.functions)) {
		const FunctionDecision &f = *fp;
		nlohmann::json j = {{"name", f.name}, {"status", status_name(f.status)}};
		if (!f.reasons.empty())
			j["reasons"] = f.reasons;
		if (f.status == Status::Changed)
			j["sympos"] = f.sympos;
		list.push_back(std::move(j));
	}
	return list;
}

nlohmann::json data_json(const Decisions &d)
{
	auto list = nlohmann::json::array();
	for (const DataDecision *op : by_name(d.data)) {
		const DataDecision &o = *op;
		nlohmann::json j = {{"name", o.name}, {"status", status_name(o.status)}};
		if (!o.reasons.empty())
			j["reasons"] = o.reasons;
		list.push_back(std::move(j));
	}
	return list;
}

template <typename T, typename Key>
std::vector<T> sorted(std::vector<T> v, Key key)
{
	std::stable_sort(v.begin(), v.end(), [&](const T &a, const T &b) { return key(a) < key(b); });
	return v;
}

} // namespace

Expected<void> write_report(const DiffContext &ctx, const std::string &result, int exit_code)
{
	const Decisions &d = ctx.decisions;
	nlohmann::json j;
	j["tool"] = "create-diff-object";
	j["original"] = ctx.opts.orig_path;
	j["patched"] = ctx.opts.patched_path;
	j["parent"] = ctx.opts.parent;
	j["patch_name"] = ctx.opts.patch_name;
	j["result"] = result;
	j["exit_code"] = exit_code;
	j["functions"] = functions_json(d);
	j["data"] = data_json(d);
	j["ignored_line_changes"] = nlohmann::json::array();
	for (const auto &c : sorted(d.line_changes, [](auto &c) {
		     return std::make_pair(c.function, c.offset);
	     }))
		j["ignored_line_changes"].push_back(
			{{"function", c.function}, {"offset", c.offset}, {"detail", c.detail}});
	j["included"] = nlohmann::json::array();
	for (const auto &i : sorted(d.included, [](auto &i) {
		     return std::make_pair(i.section, i.symbol);
	     }))
		j["included"].push_back({{"symbol", i.symbol}, {"section", i.section}, {"why", i.why}});
	j["refusals"] = nlohmann::json::array();
	for (const auto &r : sorted(d.refusals, [](auto &r) {
		     return std::make_tuple(r.kind, r.symbol, r.reason);
	     }))
		j["refusals"].push_back({{"kind", r.kind},
					 {"symbol", r.symbol},
					 {"section", r.section},
					 {"reason", r.reason}});
	j["klp_relocations"] = nlohmann::json::array();
	for (const auto &k : sorted(d.klp_relocations, [](auto &k) {
		     return std::make_pair(k.section, k.offset);
	     }))
		j["klp_relocations"].push_back({{"section", k.section},
						{"offset", k.offset},
						{"type", k.type},
						{"symbol", k.symbol},
						{"objname", k.objname},
						{"sec_objname", k.sec_objname},
						{"sympos", k.sympos},
						{"addend", k.addend},
						{"why", k.why}});
	j["special_sections"] = nlohmann::json::array();
	for (const auto &s : sorted(d.special_sections, [](auto &s) { return s.name; }))
		j["special_sections"].push_back(
			{{"name", s.name}, {"entries_kept", s.kept}, {"entries_total", s.total}});
	j["warnings"] = d.warnings;

	// Symbol names are bytes, not always UTF-8: replace what JSON cannot hold.
	return write_file_atomically(
		ctx.opts.json_path,
		j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
}

void print_summary(const DiffContext &ctx, Outcome o)
{
	const Decisions &d = ctx.decisions;
	for (const auto &r : d.refusals)
		fmt::print(stderr, "create-diff-object: refused: {}: {}{}\n", ctx.opts.patched_path,
			   r.reason, r.section.empty() ? "" : fmt::format(" [{}]", r.section));
	for (const auto &w : d.warnings)
		fmt::print(stderr, "create-diff-object: warning: {}\n", w);
	size_t changed = 0, added = 0;
	for (const FunctionDecision *fp : by_name(d.functions)) {
		const FunctionDecision &f = *fp;
		changed += f.status == Status::Changed;
		added += f.status == Status::New;
		if (ctx.opts.debug && f.status != Status::Unchanged)
			fmt::print(stderr, "create-diff-object: {} {} {}\n", status_name(f.status), f.name,
				   fmt::join(f.reasons, ","));
	}
	if (ctx.opts.debug) {
		for (const auto &k : d.klp_relocations)
			fmt::print(stderr, "create-diff-object: klp reloc {}+{:#x} {} -> {}.{},{} in "
					   ".klp.rela.{} ({})\n",
				   k.section, k.offset, k.type, k.objname, k.symbol, k.sympos,
				   k.sec_objname, k.why);
	}
	fmt::print(stderr, "create-diff-object: {}: {} changed, {} new function(s), {} livepatch "
			   "relocation(s): {}\n",
		   ctx.opts.patched_path, changed, added, d.klp_relocations.size(), outcome_name(o));
}

} // namespace klp::cdo
