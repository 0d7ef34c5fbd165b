// Which object's code each place of a finished klpkit module is, for the verifier.
// The template registers every `.klpkit.funcs` entry under its objname: that code
// runs, and its `.klp.rela.<obj>.*` sections are applied, only once that object is
// patched. What a registered function refers to inside the module (a new helper, a
// `.cold` part, new data) is that object's code too. It reads; it judges nothing.
#pragma once

#include "elf/object.h"

#include <map>
#include <set>
#include <string>
#include <vector>

namespace klp::convert {

class CodeObjects {
public:
	// Reads the module's `.klpkit.funcs`; an entry it cannot read is a problem
	// (one line each) and attributes nothing.
	CodeObjects(const elf::Object &obj, std::vector<std::string> &problems);

	// Whether the module has a `.klpkit.funcs` table (a hand-written one has not:
	// nothing says whose code is whose).
	bool known() const { return known_; }
	// The objects whose code holds `sec`+`offset`; empty when no registered
	// function reaches it.
	std::set<std::string> at(const elf::Section &sec, uint64_t offset) const;
	// "vfat_create+0x1e", or "section+0x1e" outside any function or object.
	std::string place(const elf::Section &sec, uint64_t offset) const;

private:
	// A function or object of the module, or (sym null) a whole section reached
	// through its section symbol.
	using Unit = std::pair<const elf::Section *, const elf::Symbol *>;
	Unit unit_at(const elf::Section &sec, uint64_t offset) const;
	void attribute(Unit seed, const std::string &objname);

	const elf::Object &obj_;
	bool known_ = false;
	std::map<Unit, std::set<std::string>> objects_; // lookups only
};

} // namespace klp::convert
