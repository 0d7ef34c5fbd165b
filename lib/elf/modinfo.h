// Reading single sections of an ELF file without the object model: a vmlinux is
// hundreds of MB and a module's .modinfo is all a caller wants of it.
#pragma once

#include "elf/error.h"

#include <map>
#include <string>
#include <vector>

namespace klp::elf {

// The bytes of one section of an ELF file (empty if it has none), without reading
// the rest.
Expected<std::string> elf_section(const std::string &path, const std::string &name);
// The names of an ELF file's sections, in section header order.
Expected<std::vector<std::string>> elf_section_names(const std::string &path);
// The NUL-separated strings of a section's bytes (.comment, .modinfo), empty ones
// dropped.
std::vector<std::string> nul_strings(const std::string &bytes);
// A module's .modinfo as KEY -> value (the first of repeated keys): name, vermagic.
Expected<std::map<std::string, std::string>> elf_modinfo(const std::string &path);

} // namespace klp::elf
