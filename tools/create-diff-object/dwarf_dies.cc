// The DIE reader of dwarf_dies.h: one pass over .debug_info that checks every entry,
// attribute and string and records each entry's place; attributes are decoded again
// when asked for (a kernel object's DIEs have a handful each). Little-endian only
// (the caller's to check).
#include "dwarf_dies.h"

#include <algorithm>
#include <cstring>
#include <span>

namespace klp::cdo::dwarf {
namespace {

using namespace llvm::dwarf;

uint64_t read_le(const uint8_t *p, unsigned n)
{
	switch (n) {
	case 1:
		return p[0];
	case 2:
		return uint64_t(p[0]) | uint64_t(p[1]) << 8;
	case 4:
		return uint64_t(p[0]) | uint64_t(p[1]) << 8 | uint64_t(p[2]) << 16 | uint64_t(p[3]) << 24;
	default:
		uint64_t v = 0;
		for (unsigned i = 0; i < n; i++)
			v |= uint64_t(p[i]) << (8 * i);
		return v;
	}
}

bool read_uleb(std::span<const uint8_t> data, uint64_t &pos, uint64_t end, uint64_t &value)
{
	value = 0;
	for (unsigned shift = 0; pos < end; shift += 7) {
		uint8_t b = data[pos++];
		if (shift >= 64 || (shift == 63 && (b & 0x7e)))
			return false;
		value |= uint64_t(b & 0x7f) << shift;
		if (!(b & 0x80))
			return true;
	}
	return false;
}

bool read_sleb(std::span<const uint8_t> data, uint64_t &pos, uint64_t end, int64_t &value)
{
	uint64_t v = 0;
	unsigned shift = 0;
	uint8_t b = 0;
	do {
		if (pos >= end || shift >= 64)
			return false;
		b = data[pos++];
		v |= uint64_t(b & 0x7f) << shift;
		shift += 7;
	} while (b & 0x80);
	if (shift < 64 && (b & 0x40))
		v |= ~uint64_t(0) << shift;
	value = int64_t(v);
	return true;
}

// A NUL-terminated string at `offset` of a string section, or null.
const char *string_at(Bytes sec, uint64_t offset)
{
	if (offset >= sec.size)
		return nullptr;
	const void *nul = std::memchr(sec.data + offset, 0, sec.size - offset);
	return nul ? reinterpret_cast<const char *>(sec.data + offset) : nullptr;
}

} // namespace

int Dies::fixed_size(uint16_t form)
{
	switch (form) {
	case DW_FORM_flag_present:
	case DW_FORM_implicit_const:
		return 0;
	case DW_FORM_data1:
	case DW_FORM_ref1:
	case DW_FORM_flag:
		return 1;
	case DW_FORM_data2:
	case DW_FORM_ref2:
		return 2;
	case DW_FORM_data4:
	case DW_FORM_ref4:
	case DW_FORM_sec_offset:
	case DW_FORM_strp:
	case DW_FORM_line_strp:
		return 4;
	case DW_FORM_data8:
	case DW_FORM_ref8:
		return 8;
	default:
		return -1;
	}
}

bool Dies::decode(uint16_t form, int64_t implicit_const, const Unit &unit, uint64_t &pos,
		  uint64_t end, Value *out) const
{
	std::span<const uint8_t> info(sections_.info.data, sections_.info.size);
	Value v;
	v.form = form;
	unsigned fixed = 0;
	uint64_t block = 0;
	switch (form) {
	case DW_FORM_addr:
		fixed = unit.address_size;
		break;
	case DW_FORM_data1:
	case DW_FORM_ref1:
	case DW_FORM_flag:
		fixed = 1;
		break;
	case DW_FORM_data2:
	case DW_FORM_ref2:
		fixed = 2;
		break;
	case DW_FORM_data4:
	case DW_FORM_ref4:
	case DW_FORM_sec_offset:
	case DW_FORM_strp:
	case DW_FORM_line_strp:
		fixed = 4;
		break;
	case DW_FORM_ref_addr:
		fixed = unit.version <= 2 ? unit.address_size : 4;
		break;
	case DW_FORM_data8:
	case DW_FORM_ref8:
		fixed = 8;
		break;
	case DW_FORM_sdata: {
		int64_t s;
		if (!read_sleb(info, pos, end, s))
			return false;
		v.number = uint64_t(s);
		break;
	}
	case DW_FORM_udata:
	case DW_FORM_ref_udata:
		if (!read_uleb(info, pos, end, v.number))
			return false;
		break;
	case DW_FORM_flag_present:
		v.number = 1;
		break;
	case DW_FORM_implicit_const:
		v.number = uint64_t(implicit_const);
		break;
	case DW_FORM_string: {
		const void *nul = pos < end ? std::memchr(info.data() + pos, 0, end - pos) : nullptr;
		if (!nul)
			return false;
		v.string = reinterpret_cast<const char *>(info.data() + pos);
		pos = uint64_t(static_cast<const uint8_t *>(nul) - info.data()) + 1;
		break;
	}
	case DW_FORM_block1:
		if (pos + 1 > end)
			return false;
		block = info[pos++];
		break;
	case DW_FORM_block2:
		if (pos + 2 > end)
			return false;
		block = read_le(info.data() + pos, 2);
		pos += 2;
		break;
	case DW_FORM_block4:
		if (pos + 4 > end)
			return false;
		block = read_le(info.data() + pos, 4);
		pos += 4;
		break;
	case DW_FORM_block:
	case DW_FORM_exprloc:
		if (!read_uleb(info, pos, end, block))
			return false;
		break;
	default:
		// DW_FORM_indirect, data16, the string, address, location and range list
		// indexes, references to type units or a supplementary file, vendor forms.
		return false;
	}
	if (fixed) {
		if (pos + fixed > end)
			return false;
		v.number = read_le(info.data() + pos, fixed);
		pos += fixed;
		// A string is looked up when asked for; one out of its section fails the
		// whole reading (failed_), as LLVM would not name the entry either.
		if (out && (form == DW_FORM_strp || form == DW_FORM_line_strp)) {
			v.string = string_at(form == DW_FORM_strp ? sections_.str : sections_.line_str,
					     v.number);
			failed_ |= !v.string;
		}
	}
	if (block) {
		if (block > end - pos)
			return false;
		pos += block;
	}
	if (out)
		*out = v;
	return true;
}

bool Dies::read_abbrevs(uint64_t offset, uint32_t &table)
{
	for (uint32_t t = 0; t < tables_.size(); t++)
		if (tables_[t].offset == offset) {
			table = t;
			return true;
		}
	std::span<const uint8_t> data(sections_.abbrev.data, sections_.abbrev.size);
	uint64_t pos = offset, end = data.size();
	if (pos >= end)
		return false;
	Table tab{offset, {}};
	for (;;) {
		uint64_t code, tag;
		if (!read_uleb(data, pos, end, code))
			return false;
		if (code == 0)
			break;
		if (!read_uleb(data, pos, end, tag) || tag == 0 || tag > 0xffff || pos >= end ||
		    code > (1u << 20))
			return false;
		Abbrev a{uint16_t(tag), data[pos++] == DW_CHILDREN_yes, uint32_t(specs_.size()), 0, 0};
		for (;;) {
			uint64_t attr, form;
			if (!read_uleb(data, pos, end, attr) || !read_uleb(data, pos, end, form))
				return false;
			if (attr == 0 && form == 0)
				break;
			if (attr == 0 || form == 0 || attr > 0xffff || form > 0xffff)
				return false;
			int64_t implicit = 0;
			if (form == DW_FORM_implicit_const && !read_sleb(data, pos, end, implicit))
				return false;
			int size = fixed_size(uint16_t(form));
			specs_.push_back({uint16_t(attr), uint16_t(form), a.fixed_size, int8_t(size), implicit});
			a.spec_count++;
			a.fixed_size = a.fixed_size < 0 || size < 0 ? -1 : a.fixed_size + size;
		}
		if (tab.by_code.size() <= code)
			tab.by_code.resize(code + 1);
		// A repeated code: the first declaration counts, as in LLVM.
		if (!tab.by_code[code]) {
			abbrevs_.push_back(a);
			tab.by_code[code] = uint32_t(abbrevs_.size());
		}
	}
	table = uint32_t(tables_.size());
	tables_.push_back(std::move(tab));
	return true;
}

std::unique_ptr<Dies> Dies::read(const Sections &sections)
{
	if (sections.info.size >= UINT32_MAX)
		return nullptr;
	auto dies = std::unique_ptr<Dies>(new Dies);
	Dies &d = *dies;
	d.sections_ = sections;
	std::span<const uint8_t> info(sections.info.data, sections.info.size);
	uint64_t offset = 0;
	std::vector<uint32_t> open; // entries whose children are being read
	// LLVM's estimate: 14 to 20 bytes an entry.
	d.entries_.reserve(info.size() / 14);
	while (offset < info.size()) {
		if (info.size() - offset < 4)
			return nullptr;
		uint64_t length = read_le(info.data() + offset, 4);
		// 0xfffffff0 and up: DWARF64 or reserved. Then the header's fields: version,
		// abbreviation offset and address size, and the unit type from DWARF 5.
		if (length >= 0xfffffff0 || length > info.size() - offset - 4 || length < 2)
			return nullptr;
		uint64_t end = offset + 4 + length, pos = offset + 4;
		Unit unit{d.entries_.size(), 0, offset, offset + 4 + length, 0,
			  uint16_t(read_le(info.data() + pos, 2))};
		pos += 2;
		if (length < (unit.version >= 5 ? 8u : 7u))
			return nullptr;
		uint64_t abbrev_offset;
		if (unit.version >= 5) {
			uint8_t type = info[pos++];
			if (type != DW_UT_compile && type != DW_UT_partial)
				return nullptr;
			unit.address_size = info[pos++];
			abbrev_offset = read_le(info.data() + pos, 4);
			pos += 4;
		} else {
			abbrev_offset = read_le(info.data() + pos, 4);
			pos += 4;
			unit.address_size = info[pos++];
		}
		if (unit.version < 2 || unit.version > 5 ||
		    (unit.address_size != 4 && unit.address_size != 8) || pos > end)
			return nullptr;
		uint32_t table;
		if (!d.read_abbrevs(abbrev_offset, table))
			return nullptr;
		uint32_t unit_index = uint32_t(d.units_.size());
		open.clear();
		for (;;) {
			uint64_t entry_offset = pos, code;
			if (pos >= end || !read_uleb(info, pos, end, code))
				return nullptr;
			uint32_t index = uint32_t(d.entries_.size());
			if (code == 0) {
				// A null entry as the unit's first: nothing LLVM would list either,
				// but not worth a second opinion.
				if (open.empty())
					return nullptr;
				d.entries_.push_back({uint32_t(entry_offset), 0, 0, unit_index, uint32_t(pos)});
				d.entries_[open.back()].sibling = index + 1;
				open.pop_back();
				if (open.empty())
					break;
				continue;
			}
			const std::vector<uint32_t> &by_code = d.tables_[table].by_code;
			if (code >= by_code.size() || !by_code[code])
				return nullptr;
			uint32_t abbrev = by_code[code];
			d.entries_.push_back({uint32_t(entry_offset), abbrev, index + 1, unit_index, uint32_t(pos)});
			const Abbrev &a = d.abbrevs_[abbrev - 1];
			if (a.fixed_size >= 0) {
				pos += uint64_t(a.fixed_size);
				if (pos > end)
					return nullptr;
			} else {
				for (uint32_t s = 0; s < a.spec_count; s++) {
					const AttrSpec &spec = d.specs_[a.first_spec + s];
					if (!d.decode(spec.form, spec.implicit_const, unit, pos, end, nullptr))
						return nullptr;
				}
			}
			if (a.has_children)
				open.push_back(index);
			else if (open.empty())
				break; // a unit of one entry
		}
		unit.end_entry = d.entries_.size();
		d.units_.push_back(unit);
		// Bases into string, address, range and location list tables, and split
		// units: LLVM checks the tables they point to.
		Die unit_die = d.at(unit.first_entry);
		for (Attribute a : {DW_AT_str_offsets_base, DW_AT_addr_base, DW_AT_rnglists_base,
				    DW_AT_loclists_base, DW_AT_GNU_addr_base, DW_AT_GNU_ranges_base,
				    DW_AT_GNU_dwo_id, DW_AT_GNU_dwo_name, DW_AT_dwo_name})
			if (unit_die.has(a))
				return nullptr;
		offset = end;
	}
	if (d.entries_.size() >= UINT32_MAX)
		return nullptr;
	return dies;
}

std::optional<Dies::Value> Dies::find(uint32_t index, uint16_t attr) const
{
	const Entry &e = entries_[index];
	if (!e.abbrev)
		return std::nullopt;
	const Abbrev &a = abbrevs_[e.abbrev - 1];
	const AttrSpec *specs = specs_.data() + a.first_spec;
	uint32_t k = 0;
	while (k < a.spec_count && specs[k].attr != attr)
		k++;
	if (k == a.spec_count)
		return std::nullopt;
	const AttrSpec &spec = specs[k];
	uint64_t pos = e.attrs;
	// The common case: a number at a known place.
	if (spec.fixed_offset >= 0 && spec.size >= 0 && spec.form != DW_FORM_strp &&
	    spec.form != DW_FORM_line_strp) {
		Value v;
		v.form = spec.form;
		v.number = spec.form == DW_FORM_implicit_const ? uint64_t(spec.implicit_const)
			   : spec.form == DW_FORM_flag_present ? 1
			   : read_le(sections_.info.data + pos + uint64_t(spec.fixed_offset), unsigned(spec.size));
		return v;
	}
	const Unit &unit = units_[e.unit];
	// Every value was decoded once when the entry was read: it decodes again.
	if (spec.fixed_offset >= 0)
		pos += uint64_t(spec.fixed_offset);
	else
		for (uint32_t s = 0; s < k; s++)
			decode(specs[s].form, specs[s].implicit_const, unit, pos, unit.end, nullptr);
	Value v;
	decode(specs[k].form, specs[k].implicit_const, unit, pos, unit.end, &v);
	return v;
}

Die Dies::at_offset(uint64_t offset, uint64_t first, uint64_t end) const
{
	auto b = entries_.begin() + long(first), e = entries_.begin() + long(end);
	auto it = std::partition_point(b, e, [&](const Entry &x) { return x.offset < offset; });
	if (it == e || it->offset != offset)
		return Die();
	return Die(this, uint32_t(it - entries_.begin()));
}

Tag Die::tag() const
{
	uint32_t abbrev = dies_->entries_[index_].abbrev;
	return abbrev ? Tag(dies_->abbrevs_[abbrev - 1].tag) : DW_TAG_null;
}

bool Die::has(Attribute attr) const { return dies_->find(index_, attr).has_value(); }

std::optional<uint64_t> Die::unsigned_attr(Attribute attr) const
{
	auto v = dies_->find(index_, attr);
	if (!v)
		return std::nullopt;
	switch (v->form) {
	case DW_FORM_data1:
	case DW_FORM_data2:
	case DW_FORM_data4:
	case DW_FORM_data8:
	case DW_FORM_udata:
	case DW_FORM_implicit_const:
	case DW_FORM_flag:
	case DW_FORM_flag_present:
		return v->number;
	default:
		return std::nullopt;
	}
}

Die Die::referenced(Attribute attr) const
{
	auto v = dies_->find(index_, attr);
	if (!v)
		return Die();
	const Dies::Unit &unit = dies_->units_[dies_->entries_[index_].unit];
	switch (v->form) {
	case DW_FORM_ref1:
	case DW_FORM_ref2:
	case DW_FORM_ref4:
	case DW_FORM_ref8:
	case DW_FORM_ref_udata:
		// Unit-relative: only an entry of this unit.
		return dies_->at_offset(unit.offset + v->number, unit.first_entry, unit.end_entry);
	case DW_FORM_ref_addr:
		return dies_->at_offset(v->number, 0, dies_->entries_.size());
	default:
		return Die();
	}
}

const char *Die::short_name() const
{
	if (auto v = dies_->find(index_, DW_AT_name))
		return v->string;
	if (!has(DW_AT_abstract_origin) && !has(DW_AT_specification))
		return nullptr;
	std::vector<Die> work{*this}, seen{*this};
	while (!work.empty()) {
		Die d = work.back();
		work.pop_back();
		if (auto v = d.dies_->find(d.index_, DW_AT_name))
			return v->string; // null for a name that is not a string, as LLVM's
		for (Attribute via : {DW_AT_abstract_origin, DW_AT_specification}) {
			Die next = d.referenced(via);
			if (next && std::find(seen.begin(), seen.end(), next) == seen.end()) {
				seen.push_back(next);
				work.push_back(next);
			}
		}
	}
	return nullptr;
}

uint8_t Die::address_size() const
{
	return dies_->units_[dies_->entries_[index_].unit].address_size;
}

Die::ChildIterator &Die::ChildIterator::operator++()
{
	index_ = dies_->entries_[index_].sibling;
	return *this;
}

Die::Children Die::children() const
{
	const Dies::Entry &e = dies_->entries_[index_];
	if (!e.abbrev || !dies_->abbrevs_[e.abbrev - 1].has_children)
		return {ChildIterator(dies_, 0), ChildIterator(dies_, 0)};
	// The children run up to the null entry that ends them, the last of the subtree.
	return {ChildIterator(dies_, index_ + 1), ChildIterator(dies_, e.sibling - 1)};
}

} // namespace klp::cdo::dwarf
