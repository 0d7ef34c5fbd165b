// The ELF object model shared by klpkit's tools: an ELF64 file as plain structs
// (Object, Section, Symbol, Relocation) cross-linked by pointers. It knows nothing of
// livepatch. Reading (reader.cc) validates every index and offset and resolves them
// into pointers; writing (writer.cc) turns pointers back into indices, regenerates
// the symbol and string tables, relocation and group sections, and writes the file
// atomically. Passes edit the model in between.
#pragma once

#include "elf/error.h"

#include <gelf.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace klp::elf {

struct Section;
struct Symbol;

// SHN_LIVEPATCH and SHF_RELA_LIVEPATCH are the kernel's (include/uapi/linux/elf.h).
inline constexpr uint16_t SHN_LIVEPATCH = 0xff20;
inline constexpr uint64_t SHF_RELA_LIVEPATCH = 0x00100000;

struct Relocation {
	uint64_t offset = 0;
	uint32_t type = 0;
	Symbol *sym = nullptr; // null only for r_sym == 0 (e.g. R_X86_64_NONE)
	int64_t addend = 0;
};

struct Symbol {
	std::string name; // an STT_SECTION symbol carries its section's name (written as "")
	uint8_t bind = STB_LOCAL;
	uint8_t type = STT_NOTYPE;
	uint8_t other = STV_DEFAULT; // st_other (visibility)
	Section *sec = nullptr; // defining section; null when shndx is special
	uint16_t shndx = SHN_UNDEF; // SHN_UNDEF/ABS/COMMON/LIVEPATCH when sec is null
	uint64_t value = 0;
	uint64_t size = 0;
	size_t index = 0; // position in .symtab as read, or as last written

	// Scratch for passes that relate two objects (objtool's and kpatch's names):
	// the matching symbol in the other object, and the copy made in an output.
	Symbol *twin = nullptr;
	Symbol *clone = nullptr;
	bool removed = false;

	bool is_undefined() const { return sec == nullptr && shndx == SHN_UNDEF; }
	bool is_local() const { return bind == STB_LOCAL; }
	bool is_func() const { return type == STT_FUNC; }
	bool is_object() const { return type == STT_OBJECT; }
	bool is_section() const { return type == STT_SECTION; }
	bool is_file() const { return type == STT_FILE; }
	bool contains(uint64_t offset) const
	{
		return offset >= value && offset < value + size;
	}
};

struct Section {
	std::string name;
	uint32_t type = SHT_NULL;
	uint64_t flags = 0;
	uint64_t addr = 0;
	uint64_t addralign = 1;
	uint64_t entsize = 0;
	std::vector<uint8_t> data; // contents; empty for SHT_NOBITS
	uint64_t nobits_size = 0; // size of an SHT_NOBITS section, or of unread contents
	bool contents_skipped = false; // read with ReadOptions::skip_debug_contents

	Section *link = nullptr; // resolved sh_link (symtab of a rela, strtab of a symtab)
	Section *info_section = nullptr; // resolved sh_info of rela/SHF_INFO_LINK sections
	uint32_t info = 0; // raw sh_info where it is not a section index

	// A relocation section: its entries and the section they apply to.
	std::vector<Relocation> relocs;
	Section *base = nullptr;
	// A section others relocate: its relocation section and section symbol. A
	// livepatch relocation section (SHF_RELA_LIVEPATCH) has a `base` but is never
	// its base's `rela`: one base may have any number of them besides its own.
	Section *rela = nullptr;
	Symbol *secsym = nullptr;
	// Symbols defined in this section, sorted by value (then by size, largest first).
	std::vector<Symbol *> symbols;

	// SHT_GROUP: flags word, signature symbol (sh_info) and members.
	uint32_t group_flags = 0;
	Symbol *group_signature = nullptr;
	std::vector<Section *> group_members;
	Section *group = nullptr; // the group this section belongs to

	size_t index = 0; // section header index as read, or as last written

	Section *twin = nullptr;
	Section *clone = nullptr;
	bool removed = false;

	uint64_t size() const
	{
		return type == SHT_NOBITS || contents_skipped ? nobits_size : data.size();
	}
	bool is_rela() const { return type == SHT_RELA; }
	bool is_livepatch_rela() const
	{
		return type == SHT_RELA && (flags & SHF_RELA_LIVEPATCH);
	}
	bool is_alloc() const { return flags & SHF_ALLOC; }
	bool is_text() const { return type == SHT_PROGBITS && (flags & SHF_EXECINSTR); }
	bool is_group() const { return type == SHT_GROUP; }
	// The function or object that a -ffunction-sections/-fdata-sections section holds.
	Symbol *primary_symbol() const;
};

struct ReadOptions {
	// Leave the contents of non-allocated sections other than string and symbol
	// tables unread (DWARF is most of a vmlinux): for readers of symbols only.
	bool skip_debug_contents = false;
};

class Object {
public:
	// Reads and validates an ELF64 file. Every failure names the file and entry.
	static Expected<std::unique_ptr<Object>> read(const std::string &path,
						      ReadOptions options = {});
	// An empty relocatable object of the given machine and encoding.
	static std::unique_ptr<Object> create(uint16_t machine, uint8_t data_encoding,
					      uint8_t osabi = ELFOSABI_NONE);

	// Writes to `path` through a temporary file and a rename: on failure nothing is
	// left at `path`. Same model, same bytes.
	Expected<void> write(const std::string &path);

	std::string path;
	uint16_t elf_type = ET_REL;
	uint16_t machine = EM_NONE;
	uint32_t eflags = 0;
	uint8_t data_encoding = ELFDATA2LSB;
	uint8_t osabi = ELFOSABI_NONE;
	uint8_t abiversion = 0;
	uint64_t entry = 0;

	// In file order; index 0 (the null section) is not stored. Removed entries stay
	// (pointers into the model remain valid) and are skipped when writing.
	std::vector<std::unique_ptr<Section>> sections;
	// In .symtab order; symbols[0] is the null symbol.
	std::vector<std::unique_ptr<Symbol>> symbols;
	Section *symtab = nullptr;

	Section *find_section(std::string_view name) const;
	// The first symbol of that name (a name may repeat among locals).
	Symbol *find_symbol(std::string_view name) const;
	// The symbol defined in `sec` that covers `offset`, preferring a function or
	// object over a section or notype symbol; null if none.
	Symbol *symbol_at(const Section *sec, uint64_t offset) const;

	Section *add_section(std::string name, uint32_t type, uint64_t flags,
			     uint64_t addralign = 1);
	// Creates (or returns) the SHT_RELA section for `base`.
	Section *add_rela_section(Section *base);
	Symbol *add_symbol(std::string name, uint8_t bind, uint8_t type, Section *sec,
			   uint64_t value = 0, uint64_t size = 0);
	// Creates (or returns) the STT_SECTION symbol of `sec`.
	Symbol *section_symbol(Section *sec);

	// Marks removed; the relocation section and the section symbol go with it.
	void remove_section(Section *sec);
	void remove_symbol(Symbol *sym);

	// Rebuilds the name indexes and each section's sorted symbol list after passes
	// renamed or moved things.
	void reindex();

private:
	std::unordered_map<std::string_view, Section *> section_by_name_;
	std::unordered_map<std::string_view, Symbol *> symbol_by_name_;
};


} // namespace klp::elf
