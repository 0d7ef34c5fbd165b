// The DIEs of an object's .debug_info, read without LLVM for the layout check's
// common case (layouts.cc): DWARF 2 to 5, 32-bit, compile and partial units, the
// forms gcc and clang write into a kernel object. Anything else - DWARF64, type
// units, string or address offset tables, supplementary files, unknown forms, an
// entry or string out of bounds - and it gives up (null), and the check uses LLVM's
// reader, which knows every corner. The walk mirrors LLVM 14's DWARFDie: a null
// entry ends a list of children, references resolve to the entry at that offset (an
// invalid DIE if there is none), names are found through DW_AT_abstract_origin and
// DW_AT_specification. Free of <elf.h> (LLVM's headers clash with it).
#pragma once

#include <llvm/BinaryFormat/Dwarf.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

namespace klp::cdo::dwarf {

// A section's contents (std::span is C++20; layouts.cc is C++17 under clang 14).
struct Bytes {
	const uint8_t *data = nullptr;
	size_t size = 0;
};

// The sections the reader takes, .debug_info with its relocations already applied.
struct Sections {
	Bytes info, abbrev, str, line_str;
};

class Dies;

class Die {
public:
	Die() = default;
	Die(const Dies *dies, uint32_t index) : dies_(dies), index_(index) {}
	explicit operator bool() const { return dies_ != nullptr; }
	bool operator==(const Die &o) const { return dies_ == o.dies_ && index_ == o.index_; }

	llvm::dwarf::Tag tag() const; // DW_TAG_null for the entry ending a list of children
	bool has(llvm::dwarf::Attribute attr) const;
	// A constant (data1-8, udata, implicit_const) or flag value; none for sdata
	// and other forms, as LLVM's getAsUnsignedConstant().
	std::optional<uint64_t> unsigned_attr(llvm::dwarf::Attribute attr) const;
	// The entry a reference attribute points to; invalid when absent or dangling.
	Die referenced(llvm::dwarf::Attribute attr) const;
	// DW_AT_name, here or through DW_AT_abstract_origin/DW_AT_specification.
	const char *short_name() const;
	uint8_t address_size() const;

	class ChildIterator {
	public:
		ChildIterator(const Dies *dies, uint32_t index) : dies_(dies), index_(index) {}
		Die operator*() const { return Die(dies_, index_); }
		ChildIterator &operator++();
		bool operator!=(const ChildIterator &o) const { return index_ != o.index_; }

	private:
		const Dies *dies_;
		uint32_t index_;
	};
	struct Children {
		ChildIterator b, e;
		ChildIterator begin() const { return b; }
		ChildIterator end() const { return e; }
	};
	Children children() const;

private:
	friend class Dies;
	const Dies *dies_ = nullptr;
	uint32_t index_ = 0;
};

class Dies {
public:
	// Null when the DWARF has anything the reader does not take (see above).
	static std::unique_ptr<Dies> read(const Sections &sections);
	size_t size() const { return entries_.size(); }
	Die at(size_t i) const { return Die(this, uint32_t(i)); }

private:
	friend class Die;
	struct AttrSpec {
		uint16_t attr;
		uint16_t form;
		// Where the value starts, from the entry's first attribute, when every
		// value before it has a fixed size (-1: decode the ones before).
		int32_t fixed_offset;
		int8_t size; // fixed_size(form)
		int64_t implicit_const;
	};
	struct Abbrev {
		uint16_t tag;
		bool has_children;
		uint32_t first_spec, spec_count; // in specs_
		// The size of all values when every form has a fixed one (-1: decode).
		int32_t fixed_size;
	};
	struct Unit {
		uint64_t first_entry, end_entry; // entries_ of the unit
		uint64_t offset, end;		 // its bytes in .debug_info, header included
		uint8_t address_size;
		uint16_t version;
	};
	struct Entry {
		uint32_t offset;     // in .debug_info (32-bit DWARF: below 4 GiB)
		uint32_t abbrev;     // index in abbrevs_ + 1; 0 for a null entry
		uint32_t sibling;    // the entry after this one's subtree (0: none)
		uint32_t unit;
		uint32_t attrs;      // where its first attribute starts
	};
	// A decoded attribute value: the form, its number (constant, offset or
	// reference), and a string's bytes.
	struct Value {
		uint16_t form = 0;
		uint64_t number = 0;
		const char *string = nullptr;
	};

	bool read_abbrevs(uint64_t offset, uint32_t &table);
	// The size of a form's value when it does not depend on the value (0 for the
	// flag_present and implicit_const forms), or -1.
	static int fixed_size(uint16_t form);
	std::optional<Value> find(uint32_t index, uint16_t attr) const;
	// Decodes (or with `out` null, skips) one value at *pos; false when it is out of
	// bounds or of a form the reader does not take.
	bool decode(uint16_t form, int64_t implicit_const, const Unit &unit, uint64_t &pos,
		    uint64_t end, Value *out) const;
	Die at_offset(uint64_t offset, uint64_t first, uint64_t end) const;

	Sections sections_;
	std::vector<AttrSpec> specs_;
	std::vector<Abbrev> abbrevs_;
	// An abbreviation table by its offset: first abbreviation index and the codes'
	// map (code -> index + 1; dense for gcc's and clang's 1..N numbering).
	struct Table {
		uint64_t offset;
		std::vector<uint32_t> by_code;
	};
	std::vector<Table> tables_;
	std::vector<uint32_t> unit_table_; // per unit: index in tables_
	std::vector<Unit> units_;
	std::vector<Entry> entries_;
	// Set when a string attribute asked for points outside its section: the facts
	// gathered are then not to be trusted.
	mutable bool failed_ = false;

public:
	bool failed() const { return failed_; }
};

} // namespace klp::cdo::dwarf
