// Loads a SymbolTable object from `readelf -s --wide` output (kpatch's form): the
// .symtab rows, with STT_FILE grouping. readelf shows no section names or flags, so
// text-ness comes from STT_FUNC and init sections cannot be recognised.
#include "ksym/symbol_table.h"
#include "ksym/text_input.h"

#include <algorithm>
#include <map>
#include <optional>

namespace klp::ksym {
namespace {

bool parse_type(std::string_view s, uint8_t &type)
{
	static const std::pair<std::string_view, uint8_t> types[] = {
		{"NOTYPE", STT_NOTYPE}, {"OBJECT", STT_OBJECT},	  {"FUNC", STT_FUNC},
		{"SECTION", STT_SECTION}, {"FILE", STT_FILE},	  {"COMMON", STT_COMMON},
		{"TLS", STT_TLS},	  {"GNU_IFUNC", STT_GNU_IFUNC},
	};
	for (auto [name, value] : types)
		if (s == name) {
			type = value;
			return true;
		}
	return false;
}

bool parse_bind(std::string_view s, uint8_t &bind)
{
	if (s == "LOCAL")
		bind = STB_LOCAL;
	else if (s == "GLOBAL")
		bind = STB_GLOBAL;
	else if (s == "WEAK")
		bind = STB_WEAK;
	else if (s == "UNIQUE")
		bind = STB_GNU_UNIQUE;
	else
		return false;
	return true;
}

struct Row {
	uint64_t num = 0, value = 0, size = 0;
	uint8_t type = 0, bind = 0;
	uint16_t shndx = SHN_UNDEF; // SHN_ABS/SHN_COMMON/special, or 1 for "a section"
	uint64_t section = 0; // the numeric Ndx when there is one
	std::string_view name;
};

// One symbol row:
//   "    42: ffffffff81001234   120 FUNC    LOCAL  DEFAULT    1 type_show"
// Extras readelf may print after the visibility ("[VARIANT_PCS]", "[<localentry>: 8]")
// are skipped; a special index prints as "OS [0xff20]" or "PRC[0xff00]".
std::optional<Row> parse_row(std::string_view line)
{
	auto f = split_whitespace(line);
	Row row;
	if (f.size() < 7 || !f[0].ends_with(':') ||
	    !parse_decimal(f[0].substr(0, f[0].size() - 1), row.num) || !parse_hex(f[1], row.value) ||
	    !parse_number(f[2], row.size) || !parse_type(f[3], row.type) || !parse_bind(f[4], row.bind))
		return std::nullopt;
	size_t i = 6;
	if (i < f.size() && f[i].starts_with('[')) {
		while (i < f.size() && !f[i].ends_with(']'))
			i++;
		i++;
	}
	if (i >= f.size())
		return std::nullopt;
	std::string_view ndx = f[i++];
	if (ndx == "UND") {
		row.shndx = SHN_UNDEF;
	} else if (ndx == "ABS") {
		row.shndx = SHN_ABS;
	} else if (ndx == "COM") {
		row.shndx = SHN_COMMON;
	} else if (parse_decimal(ndx, row.section)) {
		row.shndx = 1;
	} else {
		if ((ndx == "OS" || ndx == "PRC" || ndx == "RSV") && i < f.size() &&
		    f[i].starts_with('['))
			i++;
		else if (!ndx.starts_with("PRC[") && !ndx.starts_with("RSV[") &&
			 !ndx.starts_with("OS["))
			return std::nullopt;
		row.shndx = SHN_LORESERVE; // special: not listed by kallsyms
	}
	if (i + 1 < f.size())
		return std::nullopt;
	if (i < f.size())
		row.name = f[i];
	return row;
}

// A readelf dump of vmlinux.o (relocatable) looks just like one of vmlinux, but its
// values restart at 0 in every section, so sorting them by "address" is meaningless.
// In a linked image the sections' symbol ranges are disjoint; in a .o they overlap
// (`foo` at 0x0..0x40 of section 2 and `bar` at 0x0..0x80 of section 5).
bool sections_overlap(const std::map<uint64_t, std::pair<uint64_t, uint64_t>> &ranges)
{
	std::vector<std::pair<uint64_t, uint64_t>> sorted;
	for (const auto &[sec, range] : ranges)
		sorted.push_back(range);
	std::sort(sorted.begin(), sorted.end());
	for (size_t i = 1; i < sorted.size(); i++)
		if (sorted[i].first < sorted[i - 1].second)
			return true;
	return false;
}

} // namespace

Expected<void> SymbolTable::add_readelf(const std::string &path, const std::string &objname)
{
	auto text = read_text_file(path);
	if (!text)
		return text.take_error();
	return add_readelf_text(*text, path, objname);
}

Expected<void> SymbolTable::add_readelf_text(std::string_view text, const std::string &origin,
					     const std::string &objname)
{
	std::string file_line_name; // from "File: drivers/foo/foo.ko"
	bool in_symtab = false, seen_symtab = false;
	size_t symtab_line = 0;
	std::vector<std::pair<Row, size_t>> rows;

	LineReader lines(text);
	std::string_view line;
	while (lines.next(line)) {
		if (line.starts_with("File: ")) {
			if (seen_symtab)
				return make_error("{}:{}: a second file; give one file per readelf "
						  "dump",
						  origin, lines.number());
			file_line_name = objname_from_path(line.substr(6));
			continue;
		}
		if (line.starts_with("Symbol table '")) {
			in_symtab = line.starts_with("Symbol table '.symtab'");
			if (in_symtab && seen_symtab)
				return make_error("{}:{}: a second .symtab", origin, lines.number());
			if (in_symtab) {
				seen_symtab = true;
				symtab_line = lines.number();
			}
			continue;
		}
		if (!in_symtab || is_blank(line) || line.find("Num:") != std::string_view::npos)
			continue;
		auto row = parse_row(line);
		if (!row)
			return make_error("{}:{}: malformed symbol line (expected `readelf -s "
					  "--wide` output)",
					  origin, lines.number());
		if (row->name.ends_with("[...]"))
			return make_error("{}:{}: truncated symbol name (run readelf with --wide)",
					  origin, lines.number());
		rows.emplace_back(*row, lines.number());
	}
	if (!seen_symtab)
		return make_error("{}: no \"Symbol table '.symtab'\" (expected `readelf -s "
				  "--wide` output)",
				  origin);

	std::string name = normalize_objname(objname);
	if (name.empty())
		name = file_line_name.empty() ? objname_from_path(origin) : file_line_name;
	auto begun = begin_object(std::move(name), origin, SymbolSource::readelf);
	if (!begun)
		return begun.take_error();
	KernelObject *obj = *begun;
	bool vmlinux = obj->is_vmlinux();

	std::map<uint64_t, std::pair<uint64_t, uint64_t>> ranges; // Ndx -> [lo, hi)
	const std::string *file = nullptr;
	obj->symbols.reserve(rows.size());
	for (const auto &[row, line_no] : rows) {
		if (row.type == STT_FILE) {
			file = row.name.empty() ? nullptr : obj->intern_file(row.name);
			continue;
		}
		if (row.type == STT_SECTION || row.shndx == SHN_UNDEF || row.name.empty() ||
		    row.shndx == SHN_LORESERVE)
			continue;
		KernelSymbol &ks = obj->symbols.emplace_back();
		ks.name = obj->store_name(row.name);
		ks.address = row.value;
		ks.size = row.size;
		ks.bind = row.bind;
		ks.type = row.type;
		bool func = row.type == STT_FUNC;
		// Without section flags, STT_FUNC stands for text and anything else for data.
		ks.letter = elf_type_letter(row.bind, row.type, row.shndx,
					    func ? SHF_ALLOC | SHF_EXECINSTR : SHF_ALLOC | SHF_WRITE,
					    SHT_PROGBITS);
		ks.views = view_coming | view_live | (func ? view_text : 0);
		ks.file = row.bind == STB_LOCAL ? file : nullptr;
		ks.order = row.num;
		// Only compiler-made symbols: a linker-script symbol (NOTYPE `__end_rodata`)
		// may carry the index of a neighbouring section.
		if (row.shndx == 1 && (func || row.type == STT_OBJECT)) {
			auto [it, fresh] = ranges.try_emplace(row.section, row.value,
							      row.value + row.size);
			if (!fresh) {
				it->second.first = std::min(it->second.first, row.value);
				it->second.second = std::max(it->second.second, row.value + row.size);
			}
		}
	}
	if (vmlinux && sections_overlap(ranges))
		obj->order_problem = fmt::format(
			"{}:{}: the symbol values of different sections overlap: a relocatable "
			"object (vmlinux.o?), not the linked vmlinux whose addresses kallsyms "
			"sorts by",
			origin, symtab_line);
	finish_object(obj);
	return success();
}

} // namespace klp::ksym
