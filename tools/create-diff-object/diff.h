// The state create-diff-object's passes share: both input objects, the options, the
// target's symbols, the decisions taken (which become the report), and the output.
// diff.cc runs the passes in order; each pass lives in a file of its own.
#pragma once

#include "arch/arch.h"
#include "elf/object.h"
#include "layouts.h"
#include "ksym/symbol_table.h"
#include "ksym/symvers.h"

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>


namespace klp::cdo {

// Architecture facts come from the one table (lib/arch).
using arch::Arch;
using arch::SpecialKind;
using arch::SpecialSection;

struct Options {
	std::string orig_path;
	std::string patched_path;
	std::string parent = "vmlinux"; // the object the TU belongs to: vmlinux or a module
	std::string symtab_path;	// the parent's symbols (ELF, readelf text, kallsyms)
	std::string symvers_path;	// Module.symvers
	std::string patch_name;
	std::string output_path;
	std::string json_path;
	// Global symbols that the patch's other diff objects define anew, one name a
	// line (klp-build writes it): a reference to one links within the module.
	std::string patch_symbols_path;
	// --patch-references: names the patch's patched objects leave undefined (klp-build
	// lists them for all of its objects). Given, a new global function that neither
	// this object's included code nor another patched object uses is left out.
	std::string patch_references_path;
	bool debug = false;
	// --kallsyms-text-only: the target kernel's kallsyms lists text only (no
	// CONFIG_KALLSYMS_ALL), which is all the bundled core can look symbols up in: a
	// livepatch relocation to data is refused.
	bool kallsyms_text_only = false;
	// Special-section entry sizes given on the command line, by section name.
	std::map<std::string, uint64_t> entry_sizes;
	// The caller exits right after (main): the two object models are left to the
	// end of the process instead of freed node by node, as clang's -disable-free
	// does (a tenth of a typical run).
	bool exit_after = false;
};

enum class Status { Unchanged, Changed, New, Ignored };
const char *status_name(Status s);

// A decision is kept on the patched object's symbol itself, never found again by
// name: a whole vmlinux.o (or any `ld -r` of several translation units) holds 17
// static `type_show`s, and a decision about the second one must not land on the
// first. The name is there for the report.
struct FunctionDecision {
	elf::Symbol *sym = nullptr;
	std::string name;
	Status status = Status::Unchanged;
	std::set<std::string> reasons;
	unsigned long sympos = 0;
};

struct DataDecision {
	elf::Symbol *sym = nullptr;
	std::string name;
	Status status = Status::Unchanged;
	std::set<std::string> reasons;
};

// Symbols of one object in .symtab order: decisions iterate deterministically.
struct BySymtabOrder {
	bool operator()(const elf::Symbol *a, const elf::Symbol *b) const
	{
		return a->index < b->index;
	}
};
template <typename T>
using SymbolMap = std::map<const elf::Symbol *, T, BySymtabOrder>;

struct LineChangeNote {
	std::string function;
	uint64_t offset;
	std::string detail;
};

struct Inclusion {
	std::string symbol;
	std::string section;
	std::string why;
};

struct Refusal {
	std::string kind;
	std::string symbol;
	std::string section;
	std::string reason;
};

struct KlpRelocNote {
	std::string section;
	uint64_t offset;
	std::string type;
	std::string symbol;
	std::string objname; // the symbol's object: `.klp.sym.<objname>.`
	std::string sec_objname; // whose `.klp.rela.<sec_objname>.` section holds it
	unsigned long sympos;
	int64_t addend;
	std::string why;
};

struct SpecialNote {
	std::string name;
	size_t kept = 0;
	size_t total = 0;
};

// Everything the report says; filled by the passes, sorted when written.
struct Decisions {
	SymbolMap<FunctionDecision> functions;
	SymbolMap<DataDecision> data;
	std::vector<LineChangeNote> line_changes;
	std::vector<Inclusion> included;
	std::vector<Refusal> refusals;
	std::vector<KlpRelocNote> klp_relocations;
	std::vector<SpecialNote> special_sections;
	std::vector<std::string> warnings;

	// The decision about `sym`, created on first use.
	FunctionDecision &function(elf::Symbol *sym);
	DataDecision &object(elf::Symbol *sym);
	// The decision of the first function of that name, or null: for tests and
	// tools that name a function, never for the passes.
	const FunctionDecision *find_function(std::string_view name) const;
	const DataDecision *find_object(std::string_view name) const;
};

// How a relocation of included code reaches its target.
enum class RelocClass {
	Internal,	  // to something the patch itself contains
	Normal,		  // to a symbol the module loader resolves (a vmlinux export)
	Livepatch,	  // resolved by the livepatch core: a .klp.sym placeholder
};

struct DiffContext {
	Options opts;
	const Arch *arch = nullptr;
	std::unique_ptr<elf::Object> orig;
	std::unique_ptr<elf::Object> patched;
	std::unique_ptr<elf::Object> out;
	std::unique_ptr<ksym::SymbolTable> parent_symbols;
	std::unique_ptr<ksym::Symvers> symvers;
	std::unordered_set<std::string> patch_symbols;
	std::optional<std::unordered_set<std::string>> patch_references;
	Decisions decisions;

	// Sections of the patched object that go into the output, in inclusion order.
	std::unordered_set<const elf::Section *> included;
	std::vector<const elf::Section *> include_order;
	std::set<std::pair<const elf::Section *, std::string>> included_notes;
	// Special sections: the entries (offsets into the patched section) to keep.
	struct SpecialPlan {
		const elf::Section *sec;
		uint64_t entry_size;
		std::vector<uint64_t> kept;
	};
	std::vector<SpecialPlan> special_plans;
	// The places __patchable_function_entries records name (arm64), read on first
	// use by ftrace_site().
	std::optional<std::set<std::pair<const elf::Section *, uint64_t>>> patchable_sites;
	// Shared code sections (.altinstr_replacement, .altinstr_aux, .fixup): the
	// [start, end) ranges the output uses (shared_code.cc). Their relocations
	// elsewhere are dead code's and are left out.
	std::unordered_map<const elf::Section *, std::vector<std::pair<uint64_t, uint64_t>>>
		shared_reached;
	// Where any relocation of the patched object enters each shared code section.
	std::optional<std::unordered_map<const elf::Section *, std::set<uint64_t>>> shared_starts;
	// How each relocation of included code reaches its target (klp_relocs.cc).
	struct RelocTarget {
		RelocClass cls;
		std::string name; // Normal: the symbol name; Livepatch: the placeholder name
		uint8_t type = STT_NOTYPE;
	};
	std::unordered_map<const elf::Relocation *, RelocTarget> reloc_targets;
	// Functions of the patched object that replace an original (-> .klpkit.funcs).
	std::vector<elf::Symbol *> patched_functions;
	// Instruction ends of the text sections rebase_section_relocations() decoded,
	// by a hash of their bytes: the original's and the patched copy of an unchanged
	// section (all but a few of a vmlinux.o's) are decoded once.
	struct DecodedText {
		const elf::Section *sec;
		std::optional<std::vector<uint64_t>> ends;
	};
	std::unordered_map<uint64_t, std::deque<DecodedText>> decoded_text; // stable entries
	// Functions the author asked to leave alone, and sections to ignore.
	std::unordered_set<const elf::Symbol *> ignored_functions;
	std::unordered_set<std::string> ignored_sections;
	// Names of the translation unit's own symbols, for picking duplicates.
	std::vector<std::string> tu_symbol_names;
	std::string tu_file_name;
	// `foo.cold` -> `foo` of the same translation unit (prepare.cc).
	std::unordered_map<const elf::Symbol *, elf::Symbol *> cold_parents;

	elf::Symbol *cold_parent(const elf::Symbol *sym) const
	{
		auto it = cold_parents.find(sym);
		return it == cold_parents.end() ? nullptr : it->second;
	}

	bool is_included(const elf::Section *sec) const { return sec && included.count(sec); }
	// Whether relocation `r` of included `sec` goes into the output: every one
	// but those of unused parts of a shared code section.
	bool reloc_used(const elf::Section *sec, const elf::Relocation &r) const;
	void refuse(std::string kind, const elf::Symbol *sym, std::string reason);
	void warn(std::string message);
};

// An anonymous constant: a string literal or a mergeable constant, through the
// section symbol of `.rodata.str1.1` / `.rodata.cst16`, or a label gas kept
// (`.LC0`, when `.long %c0 - .` names __FILE__ in a BUG() entry; `.LC6` in
// .rodata.cst2). Compared by content, never matched by name, copied along.
inline bool is_string_literal(const elf::Symbol *sym)
{
	return sym->sec && ((sym->sec->flags & SHF_MERGE) ||
			    sym->sec->name.rfind(".rodata.str", 0) == 0 ||
			    (sym->name.rfind(".L", 0) == 0 && !sym->is_func()));
}

// objtool's `__pfx_foo` (16 bytes of padding before foo with CALL_PADDING, 6.2+)
// and `__cfi_foo` (kCFI) sit in foo's section and belong to foo.
inline bool is_prefix_symbol(const elf::Symbol *sym)
{
	return sym->name.rfind("__pfx_", 0) == 0 || sym->name.rfind("__cfi_", 0) == 0;
}

// Same size and bytes (a NOBITS object: same size).
bool same_contents(const elf::Symbol *a, const elf::Symbol *b);

// The function or object a -ffunction-sections/-fdata-sections section holds (after
// its prefix symbols, if any), or null if it holds several or none.
elf::Symbol *section_owner(const elf::Section *sec);

// The relocations of `sec` (sorted by rebase_section_relocations) within
// [start, end): one function's relocations when a section holds several.
std::span<const elf::Relocation> relocs_in(const elf::Section *sec, uint64_t start,
					   uint64_t end);

// Where ftrace patches `func` of the patched object, as an offset in its section: the
// `call __fentry__` (x86_64) or the first NOP a __patchable_function_entries record
// names (arm64). Nothing for a function ftrace cannot patch (notrace, inline).
std::optional<uint64_t> ftrace_site(DiffContext &ctx, const elf::Symbol *func);

// The passes, in the order diff.cc runs them.
Expected<void> validate_inputs(DiffContext &ctx);
Expected<void> load_target_symbols(DiffContext &ctx);
void rebase_section_relocations(DiffContext &ctx, elf::Object &obj);
void adopt_kpatch_markers(DiffContext &ctx);
// The kernel's klp-build callbacks (<linux/livepatch_helpers.h>): each pointer in
// .discard.klp_callback_ptrs becomes a klpkit callback record.
void adopt_klp_callback_pointers(DiffContext &ctx);
void read_ignore_markers(DiffContext &ctx);
void find_cold_parents(DiffContext &ctx);
void correlate(DiffContext &ctx);
void compare(DiffContext &ctx);
void compare_bug_entries(DiffContext &ctx);
void check_refusals(DiffContext &ctx);
// A struct or union whose layout the patch changes (from both objects' DWARF).
Expected<void> check_layouts(DiffContext &ctx);
// An object's DWARF as check_layouts() hands it to compare_layouts(): .debug_info
// with its relocations applied (checks.cc).
DebugSections debug_sections(const elf::Object &obj, const Arch &arch);
void include_changes(DiffContext &ctx);
void filter_special_sections(DiffContext &ctx);
Expected<void> classify_relocations(DiffContext &ctx);
Expected<void> build_output(DiffContext &ctx);
Expected<void> write_report(const DiffContext &ctx, const std::string &result, int exit_code);

} // namespace klp::cdo
