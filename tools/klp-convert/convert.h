// klp-convert's passes over a linked livepatch module (.ko) and the data they hand
// each other. convert.cc strings them together; each pass lives in its own file.
#pragma once

#include "arch/arch.h"
#include "elf/error.h"
#include "elf/object.h"
#include "livepatch/names.h"
#include "module_file.h"

#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace klp::convert {

// The livepatch format's names (lib/livepatch) are this tool's vocabulary.
using namespace klp::livepatch;

class SymbolMap;

// Which livepatch runtime applies the module's livepatch relocations: the kernel's
// (CONFIG_LIVEPATCH: `.klp.rela.*` sections) or klpkit's bundled core (klpkit-core.ko
// on a kernel without it: the `.klpkit.relocs` table).
enum class Core { kernel, bundled };

struct ConvertOptions {
	std::string input;
	std::string output;
	std::string symbols; // symbols.klp for hand-written modules; empty: none
	Core core = Core::kernel;
	std::optional<SignOptions> sign;
};

// klp-convert IN.ko OUT.ko: the whole conversion, output written atomically.
Expected<void> convert_module(const ConvertOptions &opts);

// Every relocation against `from` becomes a livepatch relocation in
// `.klp.rela.<sec_objname>.<section>` against the `.klp.sym.` symbol for `to`; `from`
// then goes away. sec_objname is `to.objname` but for a module's code that uses
// another module's symbol (lib/livepatch sec_objname_for()).
struct Conversion {
	elf::Symbol *from = nullptr;
	KlpSymbol to;
	std::string sec_objname;
};

// placeholders.cc: the `.klpkit.from.<code obj>.<obj>.<name>,<pos>` (and older
// `.klpkit.sym.<obj>.<name>,<pos>`) symbols create-diff-object left
// (docs/intermediate-format.md), names checked against the kernel's limits.
Expected<std::vector<Conversion>> find_placeholders(const elf::Object &obj);

// annotations.cc: KLP_MODULE_RELOC(obj) = { KLP_SYMPOS(sym, pos) } records of a
// hand-written module (kmod-template/klp-convert.h), one per annotated symbol.
struct Annotation {
	KlpSymbol to; // name is the symbol's own
	const elf::Section *section = nullptr; // .klp.module_relocs.<obj>
	size_t entry = 0;
};
struct Annotations {
	std::vector<elf::Section *> sections;
	std::unordered_map<const elf::Symbol *, Annotation> by_symbol; // lookups only
};
Expected<Annotations> read_annotations(const elf::Object &obj, const arch::Arch &arch);

// resolve.cc: which undefined references of a hand-written module become livepatch
// relocations, from the annotations and, when given, the target's symbol map.
Expected<std::vector<Conversion>> resolve_references(const elf::Object &obj,
						     const Annotations &annotations,
						     const SymbolMap *map);

// klp_relocs.cc: every relocation against a converted symbol, in the module's order
// (relocation sections, then entries): refused if a module's load would apply it
// after the init section is freed; handed to `move` if the loader loads its section
// (SHF_ALLOC); then neutralised (R_*_NONE, symbol 0, addend 0). The one home of
// which relocations become livepatch relocations, whichever core applies them.
struct MovedRelocation {
	elf::Section *base = nullptr; // the section the relocation applies to
	elf::Relocation reloc; // the original entry, before it is neutralised
	const Conversion *conv = nullptr;
	uint8_t sym_type = STT_NOTYPE; // the placeholder's STT_FUNC or STT_OBJECT, else NOTYPE
};
struct KlpRelocStats {
	size_t relocations = 0; // livepatch relocations written
	size_t dropped = 0; // entries of sections the kernel never loads: neutralised only
};
Expected<KlpRelocStats>
move_converted_relocations(elf::Object &obj, const arch::Arch &arch,
			   const std::vector<Conversion> &conversions,
			   const std::function<Expected<void>(const MovedRelocation &)> &move);

// klp_relocs.cc: creates or extends `.klp.rela.<obj>.<section>` and `.klp.sym.`
// symbols for every relocation against a converted symbol.
Expected<KlpRelocStats> write_klp_relocations(elf::Object &obj, const arch::Arch &arch,
					      const std::vector<Conversion> &conversions);

// bundled_relocs.cc: the same relocations as entries of the `.klpkit.relocs` table the
// template left, for the bundled core; refuses what a kernel without CONFIG_LIVEPATCH
// rejects or never applies (livepatch modinfo, `.klp.rela` sections, `.klp.sym.`
// symbols).
Expected<KlpRelocStats> write_bundled_relocations(elf::Object &obj, const arch::Arch &arch,
						  const std::vector<Conversion> &conversions);

// Where messages point: "section 12 (.rela.text.foo)", "symbol 40 (foo)".
std::string describe(const elf::Section &sec);
std::string describe(const elf::Symbol &sym);

} // namespace klp::convert
