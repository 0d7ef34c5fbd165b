// The target kernel's symbols: one KernelObject per loaded object (vmlinux or a
// module), each symbol in the order kallsyms iterates that object, indexed by name.
// Loaders for ELF, `readelf -s --wide` text and /proc/kallsyms dumps fill it; sympos
// and duplicate resolution live in sympos.h.
#pragma once

#include "elf/error.h"
#include "ksym/name_index.h"

#include <gelf.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace klp::elf {
class Object;
}

namespace klp::ksym {

struct KernelObject;

// Where an object's symbols came from. Only an ELF file knows sections (and thus
// init sections); a kallsyms dump is the running kernel's own view but has no sizes
// or files.
enum class SymbolSource { elf, readelf, kallsyms };
const char *source_name(SymbolSource source);

// The kallsyms views a symbol can be listed in. A position must not depend on which
// one the kernel uses (see sympos.cc):
//  - view_coming: a module's whole symtab while it loads (also vmlinux with
//    CONFIG_KALLSYMS_ALL);
//  - view_live: a live module with CONFIG_KALLSYMS_ALL: no init or non-alloc sections;
//  - view_text: CONFIG_KALLSYMS_ALL=n: text only (a module's, minus init text).
inline constexpr uint8_t view_coming = 1;
inline constexpr uint8_t view_live = 2;
inline constexpr uint8_t view_text = 4;
inline constexpr uint8_t all_views = view_coming | view_live | view_text;

struct KernelSymbol {
	std::string_view name; // stored by the object (KernelObject::store_name)
	uint64_t address = 0; // st_value: an address, or a section offset in an ET_REL
	uint64_t size = 0; // 0 when unknown (kallsyms)
	char letter = '?'; // nm/kallsyms type letter: 'T' global text, 't' local text, ...
	uint8_t bind = STB_LOCAL; // from ELF; from the letter's case for kallsyms
	// False when the input does not say: kallsyms lists every per-cpu symbol as
	// `A`/`a` whatever its binding, and a module's unexported symbols in lower
	// case, extern or not (see load_kallsyms.cc).
	bool bind_known = true;
	uint8_t type = STT_NOTYPE; // from ELF; STT_FUNC for 't'/'T' in kallsyms
	uint8_t views = all_views; // the kallsyms views that list this symbol
	const std::string *section = nullptr; // section name; ELF only
	const std::string *file = nullptr; // the STT_FILE this local follows, if known
	const KernelObject *object = nullptr;
	size_t order = 0; // position in the object's own listing (symtab index, dump line)
	size_t kallsyms_index = 0; // 0-based position in the object's kallsyms order
	size_t position = 0; // 1-based among the symbols of its name, kallsyms order
	const KernelSymbol *next_same_name = nullptr; // next of this name, kallsyms order

	bool is_global() const { return bind != STB_LOCAL; }
	// Whether a translation unit's static (local) or extern (global) can be this
	// symbol: both when the binding is unknown.
	bool may_be_local() const { return !bind_known || bind == STB_LOCAL; }
	bool may_be_global() const { return !bind_known || bind != STB_LOCAL; }
	bool is_text() const { return letter == 't' || letter == 'T'; }
};

struct KernelObject {
	std::string name; // "vmlinux" or a module name with '-' turned into '_'
	std::string path; // the file the symbols were read from
	SymbolSource source = SymbolSource::elf;
	// Set when positions cannot be counted from this input, e.g. "vmlinux.o: symbol
	// values are section offsets, not addresses". Sympos queries then refuse.
	std::string order_problem;

	std::vector<KernelSymbol> symbols; // in the object's own listing order
	std::vector<const KernelSymbol *> kallsyms_order; // how the kernel iterates them

	bool is_vmlinux() const { return name == "vmlinux"; }
	// Every symbol of that name in kallsyms order; empty if none.
	std::vector<const KernelSymbol *> find(std::string_view name) const;
	const KernelSymbol *first(std::string_view name) const;
	size_t count(std::string_view name) const;
	// Whether the symbols of that name differ in the kallsyms views listing them.
	bool mixed_views(std::string_view name) const;

	// Storage for the strings symbols point to (stable addresses): names in a bump
	// arena (one allocation per MiB, not per name), file and section names once each.
	std::string_view store_name(std::string_view name);
	const std::string *intern_file(std::string_view name);
	const std::string *intern_section(std::string_view name);

private:
	friend class SymbolTable;
	NameIndex by_name_;
	std::vector<std::unique_ptr<char[]>> arena_;
	char *arena_next_ = nullptr;
	size_t arena_left_ = 0;
	std::deque<std::string> files_;
	std::deque<std::string> sections_;
	std::unordered_map<std::string_view, const std::string *> file_index_;
	std::unordered_map<std::string_view, const std::string *> section_index_;
};

class SymbolTable {
public:
	// Auto-detects ELF, `readelf -s --wide` output or a /proc/kallsyms dump. `objname`
	// names the object of an ELF or readelf input (default: from .modinfo, the
	// readelf "File:" line or the file name); a kallsyms dump names its own objects.
	static Expected<SymbolTable> load(const std::string &path, const std::string &objname = "");
	// The symbols of a patch's parent object: an ELF or readelf file is `parent`'s,
	// a kallsyms dump names every object itself.
	static Expected<SymbolTable> load_parent(const std::string &path, const std::string &parent);

	// `objname_for_elf_only`: `objname` names an ELF or readelf input and is ignored
	// for a kallsyms dump (which names its objects itself) instead of refused.
	Expected<void> add_file(const std::string &path, const std::string &objname = "",
				bool objname_for_elf_only = false);
	Expected<void> add_elf(const std::string &path, const std::string &objname = "");
	Expected<void> add_elf(const elf::Object &obj, const std::string &objname = "");
	Expected<void> add_readelf(const std::string &path, const std::string &objname = "");
	Expected<void> add_kallsyms(const std::string &path);
	// The same from text already in memory; `origin` names it in messages.
	Expected<void> add_readelf_text(std::string_view text, const std::string &origin,
					const std::string &objname = "");
	Expected<void> add_kallsyms_text(std::string_view text, const std::string &origin);

	// Objects in load order.
	const std::vector<std::unique_ptr<KernelObject>> &objects() const { return objects_; }
	const KernelObject *object(std::string_view objname) const;
	// Symbols of that name in `objname`, kallsyms order.
	std::vector<const KernelSymbol *> find(std::string_view objname,
					       std::string_view name) const;
	// Symbols of that name in every object (load order, then kallsyms order). Costs
	// one hash lookup per loaded object.
	std::vector<const KernelSymbol *> find_any(std::string_view name) const;

	// For loaders: a new, empty object (error if `name` is already loaded), to be
	// filled with symbols in listing order and then sealed with finish_object().
	Expected<KernelObject *> begin_object(std::string name, std::string path,
					      SymbolSource source);
	void finish_object(KernelObject *obj);

	// The ELF machine of the ELF files read (0 when none was), and the first of them.
	uint16_t machine() const { return machine_; }
	const std::string &machine_path() const { return machine_path_; }

private:
	std::vector<std::unique_ptr<KernelObject>> objects_;
	std::unordered_map<std::string_view, KernelObject *> by_name_;
	uint16_t machine_ = 0;
	std::string machine_path_;
};

// A module name as the kernel spells it: '-' becomes '_' ("foo-bar" -> "foo_bar").
std::string normalize_objname(std::string_view name);
// The object name a file stands for: "drivers/net/foo-bar.ko" -> "foo_bar";
// "vmlinux" stays.
std::string objname_from_path(std::string_view path);

// nm's type letter of an ELF symbol: 'T'/'t' text, 'D'/'d' data, 'R'/'r' read-only,
// 'B'/'b' bss, 'W'/'V' weak, 'A'/'a' absolute; upper case for global.
char elf_type_letter(uint8_t bind, uint8_t type, uint16_t shndx, uint64_t sec_flags,
		     uint32_t sec_type);

} // namespace klp::ksym
