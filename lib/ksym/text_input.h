// Line-oriented text inputs (kallsyms dumps, readelf output, Module.symvers): the
// whole file read at once, lines with their 1-based numbers, fields, numbers. No
// format knowledge here; the loaders say what a line must look like.
#pragma once

#include "elf/error.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace klp::ksym {

Expected<std::string> read_text_file(const std::string &path);

// Yields each line without its '\n' (and without a '\r' before it).
class LineReader {
public:
	explicit LineReader(std::string_view text) : rest_(text) {}
	bool next(std::string_view &line);
	size_t number() const { return number_; } // of the line last returned

private:
	std::string_view rest_;
	size_t number_ = 0;
};

// Fields separated by runs of spaces and tabs.
std::vector<std::string_view> split_whitespace(std::string_view line);
// Fields separated by exactly one `sep` each (empty fields kept).
std::vector<std::string_view> split_exact(std::string_view line, char sep);
// The same into `fields` without allocating, for the loaders' hot loops: stores the
// first `max` fields and returns how many the line has (possibly more than `max`).
size_t split_whitespace(std::string_view line, std::string_view *fields, size_t max);
size_t split_exact(std::string_view line, char sep, std::string_view *fields, size_t max);
bool is_blank(std::string_view line);

// Whole-string numbers; a "0x" prefix is accepted by parse_hex and parse_number.
bool parse_hex(std::string_view text, uint64_t &value);
bool parse_decimal(std::string_view text, uint64_t &value);
// Decimal, or hexadecimal with "0x" (readelf prints large sizes that way).
bool parse_number(std::string_view text, uint64_t &value);

} // namespace klp::ksym
