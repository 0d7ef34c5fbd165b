// create-diff-object's top level: the passes in order, and the result they lead to.
// Each pass is in a file of its own; this file only sequences them.
#include "diff.h"

#include "cdo.h"

#include <cstdio>

namespace klp::cdo {

const char *status_name(Status s)
{
	switch (s) {
	case Status::Unchanged:
		return "unchanged";
	case Status::Changed:
		return "changed";
	case Status::New:
		return "new";
	case Status::Ignored:
		return "ignored";
	}
	return "?";
}

void DiffContext::refuse(std::string kind, const elf::Symbol *sym, std::string reason)
{
	decisions.refusals.push_back({std::move(kind), sym ? sym->name : "",
				      sym && sym->sec ? sym->sec->name : "", std::move(reason)});
}

FunctionDecision &Decisions::function(elf::Symbol *sym)
{
	FunctionDecision &d = functions[sym];
	d.sym = sym;
	d.name = sym->name;
	return d;
}

DataDecision &Decisions::object(elf::Symbol *sym)
{
	DataDecision &d = data[sym];
	d.sym = sym;
	d.name = sym->name;
	return d;
}

template <typename T>
static const T *first_named(const SymbolMap<T> &decisions, std::string_view name)
{
	for (const auto &[sym, d] : decisions)
		if (d.name == name)
			return &d;
	return nullptr;
}

const FunctionDecision *Decisions::find_function(std::string_view name) const
{
	return first_named(functions, name);
}

const DataDecision *Decisions::find_object(std::string_view name) const
{
	return first_named(data, name);
}

void DiffContext::warn(std::string message) { decisions.warnings.push_back(std::move(message)); }

static bool has_changes(const DiffContext &ctx)
{
	for (const auto &[sym, f] : ctx.decisions.functions)
		if (f.status == Status::Changed || f.status == Status::New)
			return true;
	return false;
}

// Options::exit_after's context: still reachable when the process ends, so never a
// leak to LeakSanitizer. Volatile: a store to a static nothing reads is otherwise
// dropped at -O2, and LeakSanitizer then reports the whole context (it did in CI).
static DiffContext *volatile left_to_exit = nullptr;

Expected<Outcome> create_diff_object(const Options &opts)
{
	auto owned = std::make_unique<DiffContext>();
	DiffContext &ctx = *owned;
	ctx.opts = opts;
	if (opts.exit_after)
		left_to_exit = owned.release();

	KLP_TRY(validate_inputs(ctx));
	KLP_TRY(load_target_symbols(ctx));
	rebase_section_relocations(ctx, *ctx.orig);
	rebase_section_relocations(ctx, *ctx.patched);
	// kpatch-macros.h's callback and ignore sections are klp-macros.h's, renamed.
	adopt_kpatch_markers(ctx);
	adopt_klp_callback_pointers(ctx);
	read_ignore_markers(ctx);
	find_cold_parents(ctx);
	correlate(ctx);
	compare(ctx);
	compare_bug_entries(ctx);
	check_refusals(ctx);
	// Changed code that would run on data laid out the old way.
	if (has_changes(ctx))
		KLP_TRY(check_layouts(ctx));
	include_changes(ctx);
	filter_special_sections(ctx);
	KLP_TRY(classify_relocations(ctx));

	Outcome outcome = Outcome::Written;
	if (!ctx.decisions.refusals.empty())
		outcome = Outcome::Refused;
	else if (!has_changes(ctx))
		outcome = Outcome::NoChange;
	else
		KLP_TRY(build_output(ctx));

	if (!opts.json_path.empty()) {
		if (auto r = write_report(ctx, outcome_name(outcome), exit_code(outcome)); !r) {
			// All or nothing: no object without the report that was asked for.
			if (outcome == Outcome::Written)
				std::remove(opts.output_path.c_str());
			return r.take_error();
		}
	}
	print_summary(ctx, outcome);
	return outcome;
}

} // namespace klp::cdo
