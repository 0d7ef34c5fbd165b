// The bytes of the bundled core's `.klpkit.relocs` table (layout in
// lib/livepatch/tables.h, docs/intermediate-format.md): its header, its 40-byte
// entries with their strings, and each entry's `loc` relocation. Writing for
// bundled_relocs.cc, reading for the verifier; which relocations go there, and
// whether an entry is right for the target, is theirs.
#pragma once

#include "arch/arch.h"
#include "elf/object.h"
#include "livepatch/names.h"

#include <optional>
#include <string>
#include <vector>

namespace klp::convert {

struct RelocsHeader {
	uint32_t magic = 0;
	uint16_t version = 0;
	uint16_t entry_size = 0;
	uint32_t count = 0;
	uint32_t size = 0; // header, entries and strings
};

// The header of `table`; the problem if the section or its header is not what
// kmod-template/klpkit-core.h lays out (SHT_PROGBITS, SHF_ALLOC, aligned to 8, the
// magic, version 1, 40-byte entries). Count and size are the caller's to judge.
std::optional<std::string> read_relocs_header(const elf::Section &table, RelocsHeader &out);

// One livepatch relocation for the bundled core.
struct TableEntry {
	elf::Section *base = nullptr; // `loc`: the place, in the section it patches
	uint64_t offset = 0;
	int64_t addend = 0;
	uint32_t type = 0; // the original relocation's type (R_X86_64_PC32, ...)
	livepatch::KlpSymbol sym; // the symbol: its object, name and position
	std::string sec_objname; // the object whose loading applies it
	uint8_t sym_type = STT_NOTYPE;
};

// Fills the template's empty table (header only) with `entries`, in order, and their
// strings (deduplicated, in first-use order), sets count and size, and adds each
// `loc` as an `arch.reloc_abs64` relocation against the section symbol of its base to
// `.rela.klpkit.relocs` (created if absent).
Expected<void> write_relocs_table(elf::Object &obj, const arch::Arch &arch,
				  elf::Section &table, const std::vector<TableEntry> &entries);

// Reads a finished table: the header, each entry, its strings and its `loc`
// relocation. What does not read is a problem line (`<file>: section N
// (.klpkit.relocs): ...`) and the entry is left out.
std::vector<TableEntry> read_relocs_table(const elf::Object &obj, const elf::Section &table,
					  const arch::Arch &arch,
					  std::vector<std::string> &problems);

} // namespace klp::convert
