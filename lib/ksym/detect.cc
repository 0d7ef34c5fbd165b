// Recognises which of the three symbol inputs a file is (ELF, `readelf -s --wide`
// output, /proc/kallsyms dump) by its first bytes and first non-blank line, and
// dispatches to the loader. It does not parse beyond that line.
#include "ksym/symbol_table.h"
#include "ksym/text_input.h"

#include <cctype>
#include <cstring>
#include <fstream>

namespace klp::ksym {
namespace {

enum class Format { readelf, kallsyms, unknown };

// "ffffffff81000000 T _stext" or "0000000000000000 t foo\t[mod]"
bool looks_like_kallsyms(std::string_view line)
{
	auto f = split_whitespace(line);
	uint64_t address;
	return (f.size() == 3 || f.size() == 4) && parse_hex(f[0], address) && f[1].size() == 1 &&
	       std::isalpha(static_cast<unsigned char>(f[1][0]));
}

bool is_elf_file(const std::string &path)
{
	char magic[4] = {};
	std::ifstream in(path, std::ios::binary);
	return in.read(magic, 4) && std::memcmp(magic, ELFMAG, SELFMAG) == 0;
}

Format detect_text(std::string_view text)
{
	LineReader lines(text);
	std::string_view line;
	while (lines.next(line)) {
		if (is_blank(line))
			continue;
		if (line.starts_with("File: ") || line.starts_with("Symbol table '"))
			return Format::readelf;
		return looks_like_kallsyms(line) ? Format::kallsyms : Format::unknown;
	}
	return Format::unknown;
}

} // namespace

Expected<void> SymbolTable::add_file(const std::string &path, const std::string &objname,
				     bool objname_for_elf_only)
{
	// An ELF file (a vmlinux may be hundreds of MB) is not read as text.
	if (is_elf_file(path))
		return add_elf(path, objname);
	auto text = read_text_file(path);
	if (!text)
		return text.take_error();
	if (text->empty())
		return make_error("{}: the file is empty", path);
	switch (detect_text(*text)) {
	case Format::readelf:
		return add_readelf_text(*text, path, objname);
	case Format::kallsyms:
		if (!objname.empty() && !objname_for_elf_only)
			return make_error("{}: a kallsyms dump names its own objects; do not pass "
					  "an object name ({})",
					  path, objname);
		return add_kallsyms_text(*text, path);
	case Format::unknown:
		break;
	}
	for (std::string_view suffix : {".xz", ".gz", ".zst"})
		if (std::string_view(path).ends_with(suffix))
			return make_error("{}: compressed; decompress the module first", path);
	return make_error("{}: not a symbol file (expected ELF, `readelf -s --wide` output or "
			  "a /proc/kallsyms dump)",
			  path);
}

Expected<SymbolTable> SymbolTable::load(const std::string &path, const std::string &objname)
{
	SymbolTable table;
	KLP_TRY(table.add_file(path, objname));
	return table;
}

Expected<SymbolTable> SymbolTable::load_parent(const std::string &path, const std::string &parent)
{
	SymbolTable table;
	KLP_TRY(table.add_file(path, parent, true));
	return table;
}

} // namespace klp::ksym
