// The malformed-input corpus: each kind of broken input the tools must turn away
// with one line naming the file and the entry. A kind damages a copy of a real,
// valid input (kernel objects of tests/fixtures/cases, the klp-convert fixtures) or
// is a small text of its own, and lists where it is given: which tool, which
// argument. malformed_test.cc runs every kind at every place it lists.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace klp::malformed {

using Bytes = std::vector<uint8_t>;

// Where a bad input is given.
enum Place : uint32_t {
	cdo_orig = 1 << 0,	  // create-diff-object --orig
	cdo_patched = 1 << 1,	  // create-diff-object --patched
	cdo_symtab = 1 << 2,	  // create-diff-object --symtab (ELF, readelf or kallsyms text)
	cdo_symvers = 1 << 3,	  // create-diff-object --symvers
	convert_in = 1 << 4,	  // klp-convert IN.ko OUT.ko
	check_module = 1 << 5,	  // klp-convert --check FILE.ko
	symbols_module = 1 << 6,  // klp-convert symbols --module NAME=FILE.ko
	symbols_vmlinux = 1 << 7, // klp-convert symbols --vmlinux FILE
	symbols_kallsyms = 1 << 8, // klp-convert symbols --kallsyms FILE
	check_symvers = 1 << 9,	  // klp-convert --check ... --symvers FILE
	convert_map = 1 << 10,	  // klp-convert --symbols FILE IN.ko OUT.ko
	build_patch = 1 << 11,	  // klp-build PATCH
};

// Places that read an object file (ELF).
constexpr uint32_t objects = cdo_orig | cdo_patched | cdo_symtab | convert_in | check_module |
			     symbols_module | symbols_vmlinux;
// Places that read a module (klp-convert's input and the verifier's).
constexpr uint32_t modules = convert_in | check_module;
constexpr uint32_t every_place = (build_patch << 1) - 1;

struct Kind {
	std::string name;
	// What the damaged input is, for the reader of a failure.
	std::string what;
	uint32_t places;
	// The base input is damaged in place (ELF kinds), or `text` is the whole file.
	std::function<void(Bytes &)> damage;
	std::string text;
	// ECMAScript regex the error line must match after the file's name.
	std::string entry;
	// Special files: a directory, no file at all, or a copy of a valid kernel module
	// (where an object file belongs).
	enum class File { regular, directory, missing, module } file = File::regular;
};

// Every kind, in the corpus's order.
const std::vector<Kind> &kinds();

} // namespace klp::malformed
