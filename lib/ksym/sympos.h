// sympos: which occurrence of a name in an object a livepatch relocation or klp_func
// means (`.klp.sym.<obj>.<name>,<sympos>`), and picking the right duplicate for a
// translation unit's local symbol. Strict: when the evidence does not single out one
// symbol, the answer is "ambiguous", never a guess.
#pragma once

#include "ksym/symbol_table.h"

#include <optional>

namespace klp::elf {
class Object;
}

namespace klp::ksym {

// What the caller knows of the translation unit that defines the symbol (its orig.o).
struct TuSymbol {
	std::string name;
	// The TU's section of the symbol (".text.type_show", ".text.unlikely.foo",
	// ".init.text"); empty when unknown.
	std::string section;
	// STB_LOCAL for a static, STB_GLOBAL/STB_WEAK otherwise; unset when unknown.
	std::optional<uint8_t> bind;
};

struct TranslationUnit {
	std::string file; // the STT_FILE name ("core.c" or "drivers/base/core.c"); may be empty
	std::vector<TuSymbol> symbols; // the functions and objects the TU defines

	// The defined, named functions and objects of a relocatable object (orig.o),
	// with their sections and binding, and its first STT_FILE name.
	static TranslationUnit from_object(const elf::Object &obj);
	// One per STT_FILE block of an object that links several translation units
	// (a whole vmlinux.o): each local belongs to the file symbol it follows.
	// `file_of[i]` is the index of the unit of obj.symbols[i] (SIZE_MAX: a global
	// or a symbol before any file symbol).
	static std::vector<TranslationUnit> per_file(const elf::Object &obj,
						     std::vector<size_t> &file_of);
	const TuSymbol *find(std::string_view name) const;
};

enum class SymposStatus { found, not_found, ambiguous };

struct SymposCandidate {
	std::string objname;
	uint64_t position = 0; // 1-based, in the object's kallsyms order
	uint64_t address = 0;
	char letter = '?';
	std::string file; // empty when unknown
	size_t anchors = 0; // neighbourhood evidence (see pick_duplicate.cc)
};

struct SymposResult {
	SymposStatus status = SymposStatus::not_found;
	uint64_t sympos = 0; // found: 0 when the name is unique in the object
	const KernelSymbol *symbol = nullptr; // found
	std::string evidence; // found: "unique", "file core.c", "neighbourhood: ..."
	std::string reason; // not found or ambiguous: why, one line
	// Every symbol of the name, kallsyms order: for ambiguous results and from
	// resolve_sympos; left empty when sympos_of succeeds (a bulk path).
	std::vector<SymposCandidate> candidates;

	explicit operator bool() const { return status == SymposStatus::found; }
	// One line naming the object, the symbol and, when ambiguous, every candidate.
	Error error() const;
};

// The sympos of a symbol already singled out: 0 if its name is unique in its object,
// else its 1-based position in kallsyms order. Ambiguous when the object's order is
// unknown or the position would differ between kallsyms views (see symbol_table.h).
SymposResult sympos_of(const KernelSymbol &sym);

// The sympos of `name`, defined by translation unit `tu`, in object `objname`: unique
// -> 0; several -> the one whose STT_FILE matches the TU, else/then the one whose
// neighbourhood holds the TU's other symbols; anything less -> ambiguous.
SymposResult resolve_sympos(const SymbolTable &table, std::string_view objname,
			    std::string_view name, const TranslationUnit &tu);

// Every symbol of `name` in `obj` as candidates (kallsyms order, 1-based positions).
std::vector<SymposCandidate> list_candidates(const KernelObject &obj, std::string_view name);

} // namespace klp::ksym
