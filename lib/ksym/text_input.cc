// Reading a text input whole and cutting it into lines and fields; the helpers the
// kallsyms, readelf and Module.symvers loaders share. No format knowledge here.
#include "ksym/text_input.h"

#include "elf/file_io.h"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>

namespace klp::ksym {

Expected<std::string> read_text_file(const std::string &path) { return read_file(path); }

bool LineReader::next(std::string_view &line)
{
	if (rest_.empty())
		return false;
	const char *p = rest_.data();
	const void *nl = std::memchr(p, '\n', rest_.size());
	size_t len = nl ? size_t(static_cast<const char *>(nl) - p) : rest_.size();
	line = std::string_view(p, len);
	rest_ = nl ? std::string_view(p + len + 1, rest_.size() - len - 1) : std::string_view();
	if (!line.empty() && line.back() == '\r')
		line.remove_suffix(1);
	number_++;
	return true;
}

std::vector<std::string_view> split_whitespace(std::string_view line)
{
	std::vector<std::string_view> fields;
	size_t i = 0;
	while (i < line.size()) {
		while (i < line.size() && (line[i] == ' ' || line[i] == '\t'))
			i++;
		size_t start = i;
		while (i < line.size() && line[i] != ' ' && line[i] != '\t')
			i++;
		if (i > start)
			fields.push_back(line.substr(start, i - start));
	}
	return fields;
}

std::vector<std::string_view> split_exact(std::string_view line, char sep)
{
	std::vector<std::string_view> fields;
	size_t start = 0;
	for (;;) {
		size_t pos = line.find(sep, start);
		if (pos == std::string_view::npos) {
			fields.push_back(line.substr(start));
			return fields;
		}
		fields.push_back(line.substr(start, pos - start));
		start = pos + 1;
	}
}

namespace {

// The first space or tab in [p, end), or end: eight bytes at a time (a byte equal to
// ' ' or '\t' is a zero byte of the word xor'ed with it; the lowest such byte is
// found exactly).
const char *find_blank(const char *p, const char *end)
{
	constexpr uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
	for (; end - p >= 8; p += 8) {
		uint64_t w;
		std::memcpy(&w, p, 8);
		uint64_t s = w ^ (ones * ' '), t = w ^ (ones * '\t');
		uint64_t zero = ((s - ones) & ~s & highs) | ((t - ones) & ~t & highs);
		if (zero)
			return p + (__builtin_ctzll(zero) >> 3);
	}
	while (p < end && *p != ' ' && *p != '\t')
		p++;
	return p;
}

} // namespace

size_t split_whitespace(std::string_view line, std::string_view *fields, size_t max)
{
	size_t n = 0;
	const char *p = line.data(), *end = p + line.size();
	while (p < end) {
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (p == end)
			break;
		const char *start = p;
		p = find_blank(p, end);
		if (n < max)
			fields[n] = std::string_view(start, size_t(p - start));
		n++;
	}
	return n;
}

size_t split_exact(std::string_view line, char sep, std::string_view *fields, size_t max)
{
	size_t n = 0, start = 0;
	for (;;) {
		size_t pos = line.find(sep, start);
		if (n < max)
			fields[n] = line.substr(start, pos == std::string_view::npos ? pos : pos - start);
		n++;
		if (pos == std::string_view::npos)
			return n;
		start = pos + 1;
	}
}

bool is_blank(std::string_view line)
{
	return line.find_first_not_of(" \t") == std::string_view::npos;
}

static bool parse_base(std::string_view text, uint64_t &value, int base)
{
	if (text.empty())
		return false;
	auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value, base);
	return ec == std::errc() && ptr == text.data() + text.size();
}

namespace {

// Hex digit values, 16 for anything else.
struct HexDigits {
	uint8_t value[256];
	constexpr HexDigits() : value()
	{
		for (int c = 0; c < 256; c++)
			value[c] = c >= '0' && c <= '9'	  ? uint8_t(c - '0')
				   : c >= 'a' && c <= 'f' ? uint8_t(c - 'a' + 10)
				   : c >= 'A' && c <= 'F' ? uint8_t(c - 'A' + 10)
							  : 16;
	}
};
constexpr HexDigits hex_digits;

} // namespace

bool parse_hex(std::string_view text, uint64_t &value)
{
	if (text.starts_with("0x") || text.starts_with("0X"))
		text.remove_prefix(2);
	// By hand: a kallsyms dump is a hundred thousand of these.
	if (text.empty())
		return false;
	uint64_t v = 0;
	bool fits = text.size() <= 16; // else leading zeros may still make it fit
	for (char c : text) {
		uint8_t d = hex_digits.value[static_cast<unsigned char>(c)];
		if (d > 15 || (!fits && (v >> 60)))
			return false; // not a digit, or more than 64 bits
		v = v << 4 | d;
	}
	value = v;
	return true;
}

bool parse_decimal(std::string_view text, uint64_t &value)
{
	return parse_base(text, value, 10);
}

bool parse_number(std::string_view text, uint64_t &value)
{
	if (text.starts_with("0x") || text.starts_with("0X"))
		return parse_hex(text, value);
	return parse_decimal(text, value);
}

} // namespace klp::ksym
