// Writes and reads the bytes of the bundled core's `.klpkit.relocs` table: header,
// entries, strings and the `loc` relocations. It decides neither which relocations
// go in the table (bundled_relocs.cc) nor whether an entry suits the target (check.cc).
#include "relocs_table.h"
#include "arch/arch.h"

#include "convert.h"
#include "livepatch/tables.h"

#include <algorithm>
#include <limits>
#include <map>

namespace klp::convert {

namespace {

using livepatch::KlpkitReloc;
using livepatch::KlpkitRelocsHeader;

// The table is little-endian whatever the host (kmod-template/klpkit-core.h).
void put_le(std::vector<uint8_t> &bytes, uint64_t at, uint64_t value, unsigned width)
{
	for (unsigned i = 0; i < width; i++)
		bytes[at + i] = uint8_t(value >> (8 * i));
}

uint64_t get_le(const std::vector<uint8_t> &bytes, uint64_t at, unsigned width)
{
	uint64_t value = 0;
	for (unsigned i = 0; i < width; i++)
		value |= uint64_t(bytes[at + i]) << (8 * i);
	return value;
}

// The strings after the last entry, each once, in first-use order; offsets count
// from the start of the section.
class TableStrings {
public:
	explicit TableStrings(uint64_t start) : start_(start) {}
	uint64_t add(const std::string &s)
	{
		auto [it, inserted] = offsets_.try_emplace(s, start_ + bytes_.size());
		if (inserted) {
			bytes_.insert(bytes_.end(), s.begin(), s.end());
			bytes_.push_back(0);
		}
		return it->second;
	}
	const std::vector<uint8_t> &bytes() const { return bytes_; }

private:
	uint64_t start_;
	std::vector<uint8_t> bytes_;
	std::map<std::string, uint64_t> offsets_; // lookups only
};

constexpr uint64_t u32_max = std::numeric_limits<uint32_t>::max();

} // namespace

std::optional<std::string> read_relocs_header(const elf::Section &table, RelocsHeader &out)
{
	if (table.type != SHT_PROGBITS || !(table.flags & SHF_ALLOC))
		return fmt::format("is not SHT_PROGBITS with SHF_ALLOC (type {}, flags {:#x}): the "
				   "core reads it from module memory",
				   table.type, table.flags);
	if (table.addralign < livepatch::relocs_align)
		return fmt::format("is aligned to {}, not {}", table.addralign,
				   livepatch::relocs_align);
	if (table.size() < KlpkitRelocsHeader::size)
		return fmt::format("has {} bytes, fewer than the {}-byte header", table.size(),
				   KlpkitRelocsHeader::size);
	const std::vector<uint8_t> &d = table.data;
	out.magic = uint32_t(get_le(d, KlpkitRelocsHeader::magic, 4));
	out.version = uint16_t(get_le(d, KlpkitRelocsHeader::version, 2));
	out.entry_size = uint16_t(get_le(d, KlpkitRelocsHeader::entry_size, 2));
	out.count = uint32_t(get_le(d, KlpkitRelocsHeader::count, 4));
	out.size = uint32_t(get_le(d, KlpkitRelocsHeader::table_size, 4));
	if (out.magic != livepatch::relocs_magic)
		return fmt::format("magic {:#x} is not {:#x} (\"KLPR\")", out.magic,
				   livepatch::relocs_magic);
	if (out.version != livepatch::relocs_version)
		return fmt::format("version {} is not {}", out.version, livepatch::relocs_version);
	if (out.entry_size != KlpkitReloc::size)
		return fmt::format("entry size {} is not {}", out.entry_size, KlpkitReloc::size);
	return std::nullopt;
}

Expected<void> write_relocs_table(elf::Object &obj, const arch::Arch &arch,
				  elf::Section &table, const std::vector<TableEntry> &entries)
{
	uint64_t strings_at = KlpkitRelocsHeader::size + entries.size() * KlpkitReloc::size;
	std::vector<uint8_t> bytes(table.data.begin(),
				   table.data.begin() + KlpkitRelocsHeader::size);
	bytes.resize(strings_at, 0);
	TableStrings strings(strings_at);
	elf::Section *rela = entries.empty() ? nullptr : obj.add_rela_section(&table);
	for (size_t i = 0; i < entries.size(); i++) {
		const TableEntry &e = entries[i];
		if (e.sym.sympos > u32_max)
			return make_error("{}: {}: position {} of {} symbol '{}' does not fit the "
					  "table's 32 bits",
					  obj.path, describe(table), e.sym.sympos, e.sym.objname,
					  e.sym.name);
		uint64_t at = KlpkitRelocsHeader::size + i * KlpkitReloc::size;
		put_le(bytes, at + KlpkitReloc::addend, uint64_t(e.addend), 8);
		put_le(bytes, at + KlpkitReloc::type, e.type, 4);
		put_le(bytes, at + KlpkitReloc::sympos, e.sym.sympos, 4);
		put_le(bytes, at + KlpkitReloc::name, strings.add(e.sym.name), 4);
		put_le(bytes, at + KlpkitReloc::objname, strings.add(e.sym.objname), 4);
		put_le(bytes, at + KlpkitReloc::sec_objname, strings.add(e.sec_objname), 4);
		bytes[at + KlpkitReloc::sym_type] = e.sym_type;
		// The loader resolves the place; the bytes stay 0 (x86_64's
		// apply_relocate_add() refuses to write over anything else).
		rela->relocs.push_back({at + KlpkitReloc::loc, arch.reloc_abs64,
					obj.section_symbol(e.base), int64_t(e.offset)});
	}
	bytes.insert(bytes.end(), strings.bytes().begin(), strings.bytes().end());
	uint64_t size = bytes.size();
	if (size > u32_max)
		return make_error("{}: {}: {} bytes do not fit the header's 32-bit size", obj.path,
				  describe(table), size);
	put_le(bytes, KlpkitRelocsHeader::count, entries.size(), 4);
	put_le(bytes, KlpkitRelocsHeader::table_size, size, 4);
	bytes.resize((size + livepatch::relocs_align - 1) / livepatch::relocs_align *
			     livepatch::relocs_align,
		     0);
	table.data = std::move(bytes);
	return success();
}

std::vector<TableEntry> read_relocs_table(const elf::Object &obj, const elf::Section &table,
					  const arch::Arch &arch,
					  std::vector<std::string> &problems)
{
	auto problem = [&](const std::string &what) {
		problems.push_back(fmt::format("{}: {}: {}", obj.path, describe(table), what));
	};
	RelocsHeader header;
	if (auto bad = read_relocs_header(table, header)) {
		problem(*bad);
		return {};
	}
	if (header.size > table.size()) {
		problem(fmt::format("the header's size {} is past the section's {} bytes",
				    header.size, table.size()));
		return {};
	}
	uint64_t strings_at = KlpkitRelocsHeader::size + uint64_t(header.count) * KlpkitReloc::size;
	if (strings_at > header.size) {
		problem(fmt::format("{} entries of {} bytes do not fit in the header's size {}",
				    header.count, KlpkitReloc::size, header.size));
		return {};
	}

	// Each entry's `loc` relocation; anything else in .rela.klpkit.relocs would
	// write over the table.
	std::map<uint64_t, std::vector<const elf::Relocation *>> relocs_at;
	if (table.rela) {
		for (size_t i = 0; i < table.rela->relocs.size(); i++) {
			const elf::Relocation &r = table.rela->relocs[i];
			if (r.offset >= KlpkitRelocsHeader::size && r.offset < strings_at &&
			    (r.offset - KlpkitRelocsHeader::size) % KlpkitReloc::size ==
				    KlpkitReloc::loc)
				relocs_at[r.offset].push_back(&r);
			else
				problem(fmt::format("{}: relocation {} at {:#x} is not at the "
						    "loc of an entry",
						    describe(*table.rela), i, r.offset));
		}
	}

	const std::vector<uint8_t> &d = table.data;
	std::vector<TableEntry> entries;
	for (uint64_t i = 0; i < header.count; i++) {
		uint64_t at = KlpkitRelocsHeader::size + i * KlpkitReloc::size;
		bool ok = true;
		auto bad = [&](const std::string &what) {
			problem(fmt::format("entry {}: {}", i, what));
			ok = false;
		};
		auto string_at = [&](size_t field, const char *what) {
			uint64_t off = get_le(d, at + field, 4);
			auto end = d.begin() + long(header.size);
			if (off < strings_at || off >= header.size) {
				bad(fmt::format("{} at {:#x} is outside the strings ({:#x} to "
						"{:#x})",
						what, off, strings_at, header.size));
				return std::string();
			}
			auto nul = std::find(d.begin() + long(off), end, 0);
			if (nul == end) {
				bad(fmt::format("{} at {:#x} has no NUL within the table's size {}",
						what, off, header.size));
				return std::string();
			}
			return std::string(d.begin() + long(off), nul);
		};
		TableEntry e;
		e.addend = int64_t(get_le(d, at + KlpkitReloc::addend, 8));
		e.type = uint32_t(get_le(d, at + KlpkitReloc::type, 4));
		e.sym.sympos = get_le(d, at + KlpkitReloc::sympos, 4);
		e.sym.name = string_at(KlpkitReloc::name, "name");
		e.sym.objname = string_at(KlpkitReloc::objname, "objname");
		e.sec_objname = string_at(KlpkitReloc::sec_objname, "sec_objname");
		e.sym_type = d[at + KlpkitReloc::sym_type];
		if (get_le(d, at + KlpkitReloc::pad, 3) != 0)
			bad("the padding after sym_type is not zero");
		if (get_le(d, at + KlpkitReloc::loc, 8) != 0)
			bad("loc is not zero; the loader refuses to relocate over a nonzero value");

		auto found = relocs_at.find(at + KlpkitReloc::loc);
		size_t n = found == relocs_at.end() ? 0 : found->second.size();
		if (n != 1) {
			bad(fmt::format("loc has {} relocations, not one", n));
			continue;
		}
		const elf::Relocation &r = *found->second.front();
		if (r.type != arch.reloc_abs64) {
			bad(fmt::format("loc's relocation is {}, not {}",
					arch::reloc_type_name(obj.machine, r.type),
					arch::reloc_type_name(obj.machine, arch.reloc_abs64)));
			continue;
		}
		if (!r.sym || !r.sym->sec) {
			bad(fmt::format("loc's relocation refers to {}, not to a section of the "
					"module",
					r.sym ? describe(*r.sym) : "symbol 0"));
			continue;
		}
		e.base = r.sym->sec;
		e.offset = r.sym->value + uint64_t(r.addend);
		if (ok)
			entries.push_back(std::move(e));
	}
	return entries;
}

} // namespace klp::convert
