// create-diff-object's fuzz input is several files in one: the parts joined by
// `part_separator`, a line no ELF file or symbol table of the fixtures holds.
// cdo_pair.cc reads such inputs; make_parts.cc writes them.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace klp::fuzz {

inline constexpr std::string_view part_separator = "\n--klpkit-fuzz-part--\n";

// The first max_parts - 1 parts end at a separator, the last takes the rest; parts
// the input does not have are empty.
inline std::vector<std::span<const uint8_t>> split_parts(const uint8_t *data, size_t size,
							  size_t max_parts)
{
	std::string_view all(reinterpret_cast<const char *>(data), size);
	std::vector<std::span<const uint8_t>> parts;
	size_t start = 0;
	while (parts.size() + 1 < max_parts) {
		size_t end = all.find(part_separator, start);
		if (end == std::string_view::npos)
			break;
		parts.push_back({data + start, end - start});
		start = end + part_separator.size();
	}
	parts.push_back({data + start, size - start});
	parts.resize(max_parts);
	return parts;
}

} // namespace klp::fuzz
