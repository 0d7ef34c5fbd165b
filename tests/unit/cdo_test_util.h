// Helpers for create-diff-object's pass tests: compile an original and a patched
// translation unit with kernel flags, build a DiffContext by hand and run the passes
// in diff.cc's order up to the one under test.
#pragma once

#include "create-diff-object/diff.h"
#include "create-diff-object/names.h"
#include "test_util.h"

#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace klp::test {

// The last pass to run; each includes every pass before it, as diff.cc orders them.
enum class Through {
	Inputs,	   // validate_inputs, load_target_symbols
	Rebase,	   // + rebase_section_relocations (both objects), adopt_kpatch_markers,
		   //   read_ignore_markers
	Correlate, // + correlate
	Compare,   // + compare, compare_bug_entries
	Checks,	   // + check_refusals
	Include,   // + include_changes
	Special,   // + filter_special_sections
	Classify,  // + classify_relocations
	Output,	   // + build_output (writes dir/out.o)
};

struct CdoCase {
	CdoCase(std::string orig_, std::string patched_, std::string cflags_ = "")
		: orig(std::move(orig_)), patched(std::move(patched_)), cflags(std::move(cflags_))
	{
	}
	std::string orig;    // C source before the patch
	std::string patched; // after
	std::string cflags;  // extra compiler flags for both
	std::string parent = "vmlinux";
	std::string symtab;  // the parent's symbols as text; empty: orig.o itself
	std::string symvers; // Module.symvers text; empty: nothing exported
};

struct CdoRun {
	TempDir dir;
	cdo::DiffContext ctx;

	elf::Object &orig() { return *ctx.orig; }
	elf::Object &patched() { return *ctx.patched; }
	elf::Symbol *osym(std::string_view name) { return ctx.orig->find_symbol(name); }
	elf::Symbol *psym(std::string_view name) { return ctx.patched->find_symbol(name); }
	std::string out_path() const { return dir.file("out.o"); }
};

// Compiles both sides as `unit.c` in their own directories (so the STT_FILE symbol
// and __FILE__ agree, as in a rebuild) and runs the passes through `last`. Returns
// null (after recording a failure) if compiling or a pass that can fail failed.
inline std::unique_ptr<CdoRun> run_cdo(const CdoCase &c, Through last)
{
	auto run = std::make_unique<CdoRun>();
	std::filesystem::create_directories(run->dir.path() / "orig");
	std::filesystem::create_directories(run->dir.path() / "patched");
	std::string o = compile_c(run->dir, "orig/unit", c.orig, c.cflags);
	std::string p = compile_c(run->dir, "patched/unit", c.patched, c.cflags);
	if (!std::filesystem::exists(o) || !std::filesystem::exists(p)) {
		ADD_FAILURE() << "compiling the case failed";
		return nullptr;
	}
	cdo::Options &opts = run->ctx.opts;
	opts.orig_path = o;
	opts.patched_path = p;
	opts.parent = c.parent;
	opts.patch_name = "livepatch-test";
	opts.output_path = run->out_path();
	opts.symtab_path = o;
	if (!c.symtab.empty()) {
		opts.symtab_path = run->dir.file("symtab");
		write_file(opts.symtab_path, c.symtab);
	}
	opts.symvers_path = run->dir.file("Module.symvers");
	write_file(opts.symvers_path, c.symvers);

	cdo::DiffContext &ctx = run->ctx;
	auto check = [](const Expected<void> &r, const char *pass) {
		if (!r)
			ADD_FAILURE() << pass << ": " << r.error().message();
		return bool(r);
	};
	if (!check(cdo::validate_inputs(ctx), "validate_inputs") ||
	    !check(cdo::load_target_symbols(ctx), "load_target_symbols"))
		return nullptr;
	if (last == Through::Inputs)
		return run;
	cdo::rebase_section_relocations(ctx, *ctx.orig);
	cdo::rebase_section_relocations(ctx, *ctx.patched);
	cdo::adopt_kpatch_markers(ctx);
	cdo::read_ignore_markers(ctx);
	cdo::find_cold_parents(ctx);
	if (last == Through::Rebase)
		return run;
	cdo::correlate(ctx);
	if (last == Through::Correlate)
		return run;
	cdo::compare(ctx);
	cdo::compare_bug_entries(ctx);
	if (last == Through::Compare)
		return run;
	cdo::check_refusals(ctx);
	if (last == Through::Checks)
		return run;
	cdo::include_changes(ctx);
	if (last == Through::Include)
		return run;
	cdo::filter_special_sections(ctx);
	if (last == Through::Special)
		return run;
	if (!check(cdo::classify_relocations(ctx), "classify_relocations"))
		return nullptr;
	if (last == Through::Classify)
		return run;
	// diff.cc writes an object only when nothing was refused.
	for (const cdo::Refusal &r : ctx.decisions.refusals)
		ADD_FAILURE() << "refused before build_output: " << r.kind << " " << r.symbol << ": "
			      << r.reason;
	if (!ctx.decisions.refusals.empty())
		return nullptr;
	if (!check(cdo::build_output(ctx), "build_output"))
		return nullptr;
	return run;
}

// The relocations of the section that holds function or object `name`.
inline std::vector<const elf::Relocation *> relocs_of(const elf::Object &obj,
						      std::string_view name)
{
	std::vector<const elf::Relocation *> out;
	const elf::Symbol *sym = obj.find_symbol(name);
	if (!sym || !sym->sec || !sym->sec->rela)
		return out;
	for (const elf::Relocation &r : sym->sec->rela->relocs)
		out.push_back(&r);
	return out;
}

// The relocation of function `name` at `offset` (from the function's start).
inline const elf::Relocation *reloc_at(const elf::Object &obj, std::string_view name,
				       uint64_t offset)
{
	for (const elf::Relocation *r : relocs_of(obj, name))
		if (r->offset == offset)
			return r;
	return nullptr;
}

// The targets of function `name`'s relocations whose name, without compiler
// suffixes, is `base` (`count` finds `count.3`).
inline std::set<elf::Symbol *> targets_named(const elf::Object &obj, std::string_view func,
					     std::string_view base)
{
	std::set<elf::Symbol *> out;
	for (const elf::Relocation *r : relocs_of(obj, func))
		if (r->sym && !r->sym->is_section() && cdo::strip_suffix(r->sym->name) == base)
			out.insert(r->sym);
	return out;
}

// The one target of `func` named `base` after suffix stripping; null if not one.
inline elf::Symbol *target_named(const elf::Object &obj, std::string_view func,
				 std::string_view base)
{
	auto all = targets_named(obj, func, base);
	return all.size() == 1 ? *all.begin() : nullptr;
}

inline std::string name_of(const elf::Symbol *sym) { return sym ? sym->name : "(null)"; }

// The decision for the first function (object) of that name; fails the test if
// there is none.
inline const cdo::FunctionDecision &fn(const CdoRun &run, std::string_view name)
{
	static const cdo::FunctionDecision none{nullptr, "(none)", cdo::Status::Unchanged, {}, 0};
	const cdo::FunctionDecision *d = run.ctx.decisions.find_function(name);
	EXPECT_NE(d, nullptr) << "no decision for " << name;
	return d ? *d : none;
}

inline const cdo::DataDecision &data(const CdoRun &run, std::string_view name)
{
	static const cdo::DataDecision none{nullptr, "(none)", cdo::Status::Unchanged, {}};
	const cdo::DataDecision *d = run.ctx.decisions.find_object(name);
	EXPECT_NE(d, nullptr) << "no decision for " << name;
	return d ? *d : none;
}

} // namespace klp::test
