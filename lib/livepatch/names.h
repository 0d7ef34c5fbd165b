// The kernel's livepatch naming rules (Documentation/livepatch/module-elf-format.rst,
// kernel/livepatch/core.c klp_resolve_symbols): parsing and spelling `.klp.sym.`,
// `.klp.rela.` and klpkit's placeholder names, which object's section a relocation
// goes in, and the length limits the kernel's sscanf() imposes. One home for
// create-diff-object, which writes the placeholders, and klp-convert, which reads
// them. No ELF here: strings in, strings or problems out.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "elf/error.h"

namespace klp::livepatch {

// create-diff-object's placeholders (docs/intermediate-format.md): what it writes,
// `.klpkit.from.<code object>.<symbol's object>.<name>,<sympos>`, and the one-object
// form of objects written before the code's object was recorded.
inline constexpr std::string_view placeholder_prefix = ".klpkit.from.";
inline constexpr std::string_view legacy_placeholder_prefix = ".klpkit.sym.";
inline constexpr std::string_view placeholder_section = ".klpkit.placeholders";
inline constexpr std::string_view klp_sym_prefix = ".klp.sym.";
inline constexpr std::string_view klp_rela_prefix = ".klp.rela.";
inline constexpr std::string_view annotation_prefix = ".klp.module_relocs.";

// The kernel parses ".klp.sym.%55[^.].%511[^,],%lu" and ".klp.rela.%55[^.]": an
// object name has at most 55 characters (MODULE_NAME_LEN is 56 with the NUL), a
// symbol name at most 511 (KSYM_NAME_LEN 512 since 6.1; 128 before).
inline constexpr size_t max_objname_len = 55;

// A module's .modinfo `depends` ("fat,klpkit-core") names klpkit-core.ko, as
// modpost spells it or with '_'.
bool depends_on_klpkit_core(std::string_view depends);

// The name the kernel knows a module by: kbuild spells KBUILD_MODNAME with '_'
// for '-' ("nf-foo.ko" is module nf_foo).
std::string kernel_module_name(std::string_view name);
inline constexpr size_t max_symname_len = 511;

// What a livepatch symbol designates: the `sympos`th symbol `name` of `objname`
// (0: the only one of that name).
struct KlpSymbol {
	std::string objname;
	std::string name;
	uint64_t sympos = 0;

	auto operator<=>(const KlpSymbol &) const = default;
};

// Splits "<prefix><objname>.<name>,<sympos>" the way the kernel's sscanf() does
// (objname ends at the first '.', name at the first ','); returns the problem, or
// nothing. `foo.isra.0` keeps its dots: ".klp.sym.vmlinux.foo.isra.0,2".
std::optional<std::string> parse_klp_symbol(std::string_view full, std::string_view prefix,
					    KlpSymbol &out);

// What a placeholder designates: the livepatch symbol `sym`, used by code of
// `code_objname`, the object whose functions that code replaces (the diff object's
// parent). vfat's patched vfat_create() calling fat's export fat_build_inode:
// code_objname "vfat", sym {"fat", "fat_build_inode", 0}.
struct PlaceholderTarget {
	std::string code_objname;
	KlpSymbol sym;

	auto operator<=>(const PlaceholderTarget &) const = default;
};

bool is_placeholder_name(std::string_view name);
std::string placeholder_name(const PlaceholderTarget &target);
// Reads both forms; the one-object `.klpkit.sym.<obj>.<name>,<pos>` means code of
// <obj> (what the tools that wrote it assumed). Returns the problem, or nothing.
std::optional<std::string> parse_placeholder(std::string_view full, PlaceholderTarget &out);

// The object whose `.klp.rela.<object>.` section must hold a livepatch relocation
// from code of `code_objname` to a symbol of `sym_objname` (kernel/livepatch/core.c):
// - a vmlinux symbol: "vmlinux". Those sections are applied when the patch module
//   loads, and a module's section may not refer to vmlinux (klp_resolve_symbols(),
//   "invalid access to vmlinux symbol", since 5.8).
// - a module's symbol, from that module's code or from code of a module that
//   depends on it: the code's module. klp_apply_object_relocs() applies only the
//   sections of the object being patched, once it is loaded, and then its
//   dependencies are loaded too; `.klp.rela.fat.*` for vfat's code would be applied
//   only if fat itself were patched (otherwise never: a call through 0).
// - a module's symbol from vmlinux code: an error. vmlinux cannot link against a
//   module, and vmlinux's sections are applied whether or not the module is loaded.
Expected<std::string> sec_objname_for(std::string_view code_objname,
				      std::string_view sym_objname);

// The kernel's limits on an object name (also '.' ends it early and a module
// named "foo-bar" is "foo_bar" to the kernel) and on a symbol name.
std::optional<std::string> check_objname(std::string_view objname);
std::optional<std::string> check_symname(std::string_view name);

std::string klp_sym_name(const KlpSymbol &sym);
std::string klp_rela_name(std::string_view objname, std::string_view target_section);

// Whether livepatch relocations of `objname` into section `target` would be applied
// after the patch module's init sections are gone: kernel/module/main.c
// module_init_section() frees `.init*` after module_init, but a module's relocations
// are applied whenever that module loads (vmlinux's while the patch module loads).
bool applied_after_init(std::string_view target, std::string_view objname);

// The object a `.klp.rela.<objname>.<section>` section belongs to; nothing if the
// name does not have that shape.
std::optional<std::string> klp_rela_objname(std::string_view section_name);

} // namespace klp::livepatch
