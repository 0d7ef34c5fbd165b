// Data layouts from DWARF: a patch that changes a struct or union the object
// uses (a member added, removed, moved, the size) would run new code on the
// running kernel's data, laid out the old way. A header-coupled fix shows up
// here: a changed `struct foo` in a header recompiles the objects that include
// it, and the functions that touch it come out changed, which alone proves
// nothing about the data. Compared per type name, over every compile unit of
// the object (an `ld -r` of several files keeps one copy per file). The facts are
// gathered by one set of templates over two readers: dwarf_dies.h's, fast, for the
// common case that nothing changed, and LLVM's for what it does not take and to
// describe a change.
#include "layouts.h"

#include "dwarf_dies.h"

#include <fmt/format.h>

#include <llvm/ADT/StringRef.h>
#include <llvm/DebugInfo/DWARF/DWARFContext.h>
#include <llvm/DebugInfo/DWARF/DWARFDie.h>
#include <llvm/DebugInfo/DWARF/DWARFFormValue.h>
#include <llvm/Object/Decompressor.h>
#include <llvm/Object/ObjectFile.h>

#include <algorithm>
#include <map>
#include <optional>
#include <tuple>
#include <set>
#include <vector>

namespace klp::cdo {
namespace {

// A member by where it is and how many bits it takes; its name only describes.
// A renamed member in the same place is the same layout; `u32 b` -> `u64 b` in
// a struct whose padding hides the growth is not.
struct Member {
	std::string name;
	uint64_t bit_offset = 0;
	uint64_t bits = 0; // the bit-field's width, or 8 x its type's size (0: unknown)
	bool operator<(const Member &o) const
	{
		return std::tie(bit_offset, bits) < std::tie(o.bit_offset, o.bits);
	}
	bool operator==(const Member &o) const { return bit_offset == o.bit_offset && bits == o.bits; }
};

struct Layout {
	uint64_t size = 0;
	std::vector<Member> members;
	std::string decl; // "include/linux/foo.h:12"
	bool operator<(const Layout &o) const
	{
		return std::tie(size, members) < std::tie(o.size, o.members);
	}
	bool operator==(const Layout &o) const { return size == o.size && members == o.members; }
};

// "struct foo" -> the distinct layouts of that name in the object.
using Layouts = std::map<std::string, std::set<Layout>>;

struct DwarfFacts {
	Layouts layouts;
	// A global function (defined here or called from here) -> its prototypes.
	std::map<std::string, std::set<std::string>> prototypes;
};

// What the templates below ask of a DIE, from either reader.
std::optional<uint64_t> unsigned_attr(const llvm::DWARFDie &die, llvm::dwarf::Attribute a)
{
	if (auto v = die.find(a))
		if (auto u = v->getAsUnsignedConstant())
			return *u;
	return std::nullopt;
}
llvm::dwarf::Tag tag_of(const llvm::DWARFDie &die) { return die.getTag(); }
bool has_attr(const llvm::DWARFDie &die, llvm::dwarf::Attribute a) { return bool(die.find(a)); }
llvm::DWARFDie referenced(const llvm::DWARFDie &die, llvm::dwarf::Attribute a)
{
	return die.getAttributeValueAsReferencedDie(a);
}
const char *short_name(const llvm::DWARFDie &die) { return die.getShortName(); }
uint8_t address_size(const llvm::DWARFDie &die) { return die.getDwarfUnit()->getAddressByteSize(); }
auto children(const llvm::DWARFDie &die) { return die.children(); }

std::optional<uint64_t> unsigned_attr(const dwarf::Die &die, llvm::dwarf::Attribute a)
{
	return die.unsigned_attr(a);
}
llvm::dwarf::Tag tag_of(const dwarf::Die &die) { return die.tag(); }
bool has_attr(const dwarf::Die &die, llvm::dwarf::Attribute a) { return die.has(a); }
dwarf::Die referenced(const dwarf::Die &die, llvm::dwarf::Attribute a) { return die.referenced(a); }
const char *short_name(const dwarf::Die &die) { return die.short_name(); }
uint8_t address_size(const dwarf::Die &die) { return die.address_size(); }
dwarf::Die::Children children(const dwarf::Die &die) { return die.children(); }

// Where a type is declared, relative to the compile directory (kbuild's: the
// tree), "fs/fat/fat.h:12". Only LLVM's reader reads line tables; the fast one is
// used only when nothing is reported.
// (DWARFDie::getDeclFile of LLVM 14 answers nothing for gcc's DWARF 5.)
std::string decl_of(const llvm::DWARFDie &die)
{
	std::string file;
	llvm::DWARFUnit *unit = die.getDwarfUnit();
	const char *dir = unit->getCompilationDir();
	if (auto index = unsigned_attr(die, llvm::dwarf::DW_AT_decl_file))
		if (const auto *lines = unit->getContext().getLineTableForUnit(unit))
			lines->getFileNameByIndex(*index, dir ? dir : "",
						  llvm::DILineInfoSpecifier::FileLineInfoKind::AbsoluteFilePath, file);
	if (dir && *dir && llvm::StringRef(file).startswith(std::string(dir) + "/"))
		file.erase(0, std::string(dir).size() + 1);
	if (llvm::StringRef(file).startswith("./"))
		file.erase(0, 2);
	return file.empty() ? "" : fmt::format("{}:{}", file, die.getDeclLine());
}
std::string decl_of(const dwarf::Die &) { return ""; }

// The size of a type in bytes, through typedefs and qualifiers; a flexible
// array has none (0).
template <typename Die> std::optional<uint64_t> type_bytes(Die t)
{
	for (int depth = 0; t && depth < 32; depth++) {
		if (auto size = unsigned_attr(t, llvm::dwarf::DW_AT_byte_size))
			return size;
		switch (tag_of(t)) {
		case llvm::dwarf::DW_TAG_pointer_type:
		case llvm::dwarf::DW_TAG_reference_type:
		case llvm::dwarf::DW_TAG_ptr_to_member_type:
			return address_size(t);
		case llvm::dwarf::DW_TAG_array_type: {
			auto elem = type_bytes(referenced(t, llvm::dwarf::DW_AT_type));
			if (!elem)
				return std::nullopt;
			uint64_t n = 1;
			for (const Die &r : children(t)) {
				if (tag_of(r) != llvm::dwarf::DW_TAG_subrange_type)
					continue;
				if (auto count = unsigned_attr(r, llvm::dwarf::DW_AT_count))
					n *= *count;
				else if (auto upper = unsigned_attr(r, llvm::dwarf::DW_AT_upper_bound))
					n *= *upper + 1;
				else
					n = 0;
			}
			return *elem * n;
		}
		case llvm::dwarf::DW_TAG_typedef:
		case llvm::dwarf::DW_TAG_const_type:
		case llvm::dwarf::DW_TAG_volatile_type:
		case llvm::dwarf::DW_TAG_restrict_type:
		case llvm::dwarf::DW_TAG_atomic_type:
			t = referenced(t, llvm::dwarf::DW_AT_type);
			continue;
		default:
			return std::nullopt;
		}
	}
	return std::nullopt;
}

template <typename Die> Layout layout_of(const Die &die)
{
	Layout l;
	l.size = unsigned_attr(die, llvm::dwarf::DW_AT_byte_size).value_or(0);
	for (const Die &m : children(die)) {
		if (tag_of(m) != llvm::dwarf::DW_TAG_member)
			continue;
		Member member;
		if (const char *n = short_name(m))
			member.name = n;
		if (auto bits = unsigned_attr(m, llvm::dwarf::DW_AT_data_bit_offset))
			member.bit_offset = *bits;
		else
			member.bit_offset = 8 * unsigned_attr(m, llvm::dwarf::DW_AT_data_member_location).value_or(0);
		if (auto width = unsigned_attr(m, llvm::dwarf::DW_AT_bit_size))
			member.bits = *width;
		else
			member.bits = 8 * type_bytes(referenced(m, llvm::dwarf::DW_AT_type)).value_or(0);
		l.members.push_back(std::move(member));
	}
	std::sort(l.members.begin(), l.members.end());
	l.decl = decl_of(die);
	return l;
}

// A type as C spells it, without const and volatile (`char *` -> `const char *` is
// the same call): "struct nlattr *", "u32", "fn(int) *".
template <typename Die> std::string type_name(Die t, int depth = 0)
{
	if (!t)
		return "void";
	if (depth > 12)
		return "?";
	auto inner = [&] { return type_name(referenced(t, llvm::dwarf::DW_AT_type), depth + 1); };
	const char *name = short_name(t);
	switch (tag_of(t)) {
	case llvm::dwarf::DW_TAG_base_type:
	case llvm::dwarf::DW_TAG_typedef:
		return name ? name : "?";
	case llvm::dwarf::DW_TAG_structure_type:
		return fmt::format("struct {}", name ? name : "<anonymous>");
	case llvm::dwarf::DW_TAG_union_type:
		return fmt::format("union {}", name ? name : "<anonymous>");
	case llvm::dwarf::DW_TAG_enumeration_type:
		return fmt::format("enum {}", name ? name : "<anonymous>");
	case llvm::dwarf::DW_TAG_pointer_type:
		return inner() + " *";
	case llvm::dwarf::DW_TAG_array_type:
		return inner() + "[]";
	case llvm::dwarf::DW_TAG_const_type:
	case llvm::dwarf::DW_TAG_volatile_type:
	case llvm::dwarf::DW_TAG_restrict_type:
	case llvm::dwarf::DW_TAG_atomic_type:
		return inner();
	case llvm::dwarf::DW_TAG_subroutine_type: {
		std::vector<std::string> params;
		for (const Die &c : children(t))
			if (tag_of(c) == llvm::dwarf::DW_TAG_formal_parameter)
				params.push_back(type_name(referenced(c, llvm::dwarf::DW_AT_type), depth + 1));
			else if (tag_of(c) == llvm::dwarf::DW_TAG_unspecified_parameters)
				params.push_back("...");
		return fmt::format("{} (fn)({})", inner(), fmt::join(params, ", "));
	}
	default:
		return "?";
	}
}

// A global function's prototype, "int (const struct nlattr *, u8 *, u32)".
template <typename Die> std::string prototype_of(const Die &die)
{
	std::vector<std::string> params;
	for (const Die &c : children(die))
		if (tag_of(c) == llvm::dwarf::DW_TAG_formal_parameter)
			params.push_back(type_name(referenced(c, llvm::dwarf::DW_AT_type)));
		else if (tag_of(c) == llvm::dwarf::DW_TAG_unspecified_parameters)
			params.push_back("...");
	return fmt::format("{} ({})", type_name(referenced(die, llvm::dwarf::DW_AT_type)),
			   fmt::join(params, ", "));
}

// One entry's facts: a global function's prototype, a named struct's or union's
// layout.
template <typename Die> void add_facts(DwarfFacts &out, const Die &die)
{
	auto tag = tag_of(die);
	// Global functions: the callers elsewhere in the running kernel, or its
	// definition elsewhere, keep the old prototype. A static one's callers are all
	// in this file and change with it.
	if (tag == llvm::dwarf::DW_TAG_subprogram && has_attr(die, llvm::dwarf::DW_AT_external) &&
	    !has_attr(die, llvm::dwarf::DW_AT_artificial)) {
		if (const char *fn = short_name(die); fn && has_attr(die, llvm::dwarf::DW_AT_prototyped))
			out.prototypes[fn].insert(prototype_of(die));
		return;
	}
	if (tag != llvm::dwarf::DW_TAG_structure_type && tag != llvm::dwarf::DW_TAG_union_type)
		return;
	const char *name = short_name(die);
	// A declaration (`struct foo;`) has no layout; an anonymous type is compared
	// as part of the named one that holds it.
	if (!name || has_attr(die, llvm::dwarf::DW_AT_declaration))
		return;
	std::string key = fmt::format("{} {}", tag == llvm::dwarf::DW_TAG_union_type ? "union" : "struct", name);
	out.layouts[key].insert(layout_of(die));
}

// LLVM allocates what a compressed section's header says it holds, before
// decompressing: a mutated .debug_info's 0xd00000004 bytes ran out of memory. No
// claim past deflate's limit of 1032:1 is believed (zlib is what LLVM 14 reads).
Expected<void> check_compressed_sizes(const std::string &path,
				      const llvm::object::ObjectFile &obj)
{
	for (const llvm::object::SectionRef &s : obj.sections()) {
		if (!llvm::object::Decompressor::isCompressed(s))
			continue;
		auto name = s.getName();
		auto data = s.getContents();
		if (!name || !data) {
			// Left for DWARFContext to report.
			llvm::consumeError(name.takeError());
			llvm::consumeError(data.takeError());
			continue;
		}
		auto dec = llvm::object::Decompressor::create(*name, *data, obj.isLittleEndian(),
							      obj.getBytesInAddress() == 8);
		if (!dec) {
			llvm::consumeError(dec.takeError());
			continue;
		}
		if (dec->getDecompressedSize() / 1032 > data->size())
			return make_error("{}: section {} ({}): {} compressed bytes claim {:#x}, past "
					  "deflate's 1032:1",
					  path, s.getIndex(), name->str(), data->size(),
					  dec->getDecompressedSize());
	}
	return success();
}

// LLVM's reader: the file read again, relocations and all.
Expected<std::optional<DwarfFacts>> read_layouts(const std::string &path)
{
	auto bin = llvm::object::ObjectFile::createObjectFile(path);
	if (!bin)
		return make_error("{}: cannot read its DWARF: {}", path, llvm::toString(bin.takeError()));
	const llvm::object::ObjectFile &obj = *bin->getBinary();
	bool has_dwarf = false;
	for (const llvm::object::SectionRef &s : obj.sections())
		if (auto name = s.getName(); name && *name == ".debug_info")
			has_dwarf = true;
	if (!has_dwarf)
		return std::optional<DwarfFacts>();
	KLP_TRY(check_compressed_sizes(path, obj));
	std::string errors;
	auto dwarf = llvm::DWARFContext::create(
		obj, llvm::DWARFContext::ProcessDebugRelocations::Process, nullptr, "",
		[&](llvm::Error e) { errors = llvm::toString(std::move(e)); },
		[&](llvm::Error e) { llvm::consumeError(std::move(e)); });
	DwarfFacts out;
	for (const auto &cu : dwarf->compile_units())
		for (const llvm::DWARFDebugInfoEntry &entry : cu->dies())
			add_facts(out, llvm::DWARFDie(cu.get(), &entry));
	if (!errors.empty())
		return make_error("{}: malformed DWARF: {}", path, errors);
	return std::optional<DwarfFacts>(std::move(out));
}

// dwarf_dies.h's reader on what create-diff-object holds: none when it gives up.
std::optional<std::optional<DwarfFacts>> read_layouts_fast(const DebugSections &sections)
{
	if (!sections.usable)
		return std::nullopt;
	if (!sections.present)
		return std::optional<DwarfFacts>();
	auto bytes = [](const std::vector<uint8_t> &v) { return dwarf::Bytes{v.data(), v.size()}; };
	auto dies = dwarf::Dies::read({bytes(sections.info), bytes(sections.abbrev), bytes(sections.str),
				       bytes(sections.line_str)});
	if (!dies)
		return std::nullopt;
	DwarfFacts out;
	for (size_t i = 0; i < dies->size(); i++)
		add_facts(out, dies->at(i));
	if (dies->failed())
		return std::nullopt;
	return std::optional<DwarfFacts>(std::move(out));
}

std::string describe(const std::string &type, const Layout &o, const Layout &p)
{
	std::vector<std::string> what;
	if (o.size != p.size)
		what.push_back(fmt::format("size {} -> {}", o.size, p.size));
	std::map<std::string, const Member *> before, after;
	for (const Member &m : o.members)
		before[m.name] = &m;
	for (const Member &m : p.members)
		after[m.name] = &m;
	auto where = [](const Member &m) {
		return m.bits % 8 || m.bit_offset % 8 ? fmt::format("bit {}", m.bit_offset)
						      : fmt::format("offset {}", m.bit_offset / 8);
	};
	for (const Member &m : p.members) {
		auto it = before.find(m.name);
		if (it == before.end())
			what.push_back(fmt::format("new member {} at {}", m.name.empty() ? "(anonymous)" : m.name, where(m)));
		else if (it->second->bit_offset != m.bit_offset)
			what.push_back(fmt::format("{} moved from {} to {}", m.name.empty() ? "(anonymous)" : m.name,
						   where(*it->second), where(m)));
		else if (it->second->bits != m.bits)
			what.push_back(fmt::format("{} changed from {} to {} bits", m.name.empty() ? "(anonymous)" : m.name,
						   it->second->bits, m.bits));
	}
	for (const Member &m : o.members)
		if (!after.count(m.name))
			what.push_back(fmt::format("member {} removed", m.name.empty() ? "(anonymous)" : m.name));
	if (what.empty())
		what.push_back("its layouts differ");
	return fmt::format("{}{}: {}", type, p.decl.empty() ? "" : fmt::format(" ({})", p.decl),
			   fmt::join(what, ", "));
}

} // namespace

namespace {

LayoutComparison compare_facts(const std::optional<DwarfFacts> &orig,
			       const std::optional<DwarfFacts> &patched)
{
	LayoutComparison result;
	if (!orig || !patched) {
		result.one_sided = bool(orig) != bool(patched);
		return result;
	}
	result.compared = true;
	for (const auto &[fn, after] : patched->prototypes) {
		auto it = orig->prototypes.find(fn);
		if (it == orig->prototypes.end() || it->second == after)
			continue;
		result.prototype_changes.push_back(
			it->second.size() == 1 && after.size() == 1
				? fmt::format("{}: {} -> {}", fn, *it->second.begin(), *after.begin())
				: fmt::format("{}: its prototypes differ", fn));
	}
	for (const auto &[type, after] : patched->layouts) {
		auto it = orig->layouts.find(type);
		// A type new to the object is the patch's own: no running data has it.
		if (it == orig->layouts.end() || it->second == after)
			continue;
		const std::set<Layout> &before = it->second;
		// One layout each side (the usual case): say what moved.
		result.changes.push_back(before.size() == 1 && after.size() == 1
						 ? describe(type, *before.begin(), *after.begin())
						 : fmt::format("{}: {} layout(s) before, {} after, not the same",
							       type, before.size(), after.size()));
	}
	return result;
}

} // namespace

Expected<LayoutComparison> compare_layouts(const std::string &orig_path, const DebugSections &orig_sections,
					   const std::string &patched_path,
					   const DebugSections &patched_sections)
{
	// The common case: nothing changed, which the fast reader can tell alone.
	auto orig_fast = read_layouts_fast(orig_sections);
	auto patched_fast = orig_fast ? read_layouts_fast(patched_sections) : std::nullopt;
	if (orig_fast && patched_fast) {
		LayoutComparison fast = compare_facts(*orig_fast, *patched_fast);
		if (fast.changes.empty() && fast.prototype_changes.empty())
			return fast;
	}
	auto orig = read_layouts(orig_path);
	if (!orig)
		return orig.error();
	auto patched = read_layouts(patched_path);
	if (!patched)
		return patched.error();
	return compare_facts(*orig, *patched);
}

} // namespace klp::cdo
