// `__bug_table` entries of functions whose code did not change: on x86 a WARN_ON()
// or BUG_ON() keeps its line number (and its flags) in the entry, not in the code.
// A moved line is noise; changed flags (WARN_ON -> WARN_ON_ONCE) change behaviour
// with identical code, and make the function changed. Runs after compare(), which
// reads the entries' lines through TrapLines.
#include "bug_entries.h"
#include "diff.h"
#include "line_changes.h"

#include <map>

namespace klp::cdo {
namespace {

using elf::Relocation;
using elf::Section;
using elf::Symbol;

// struct bug_entry with CONFIG_DEBUG_BUGVERBOSE, 4.x to 6.x x86_64:
// {s32 bug_addr_disp; s32 file_disp; u16 line; u16 flags}.
constexpr uint64_t bug_entry_size = 12;
constexpr uint64_t bug_line_offset = 8;
constexpr uint64_t bug_flags_offset = 10;

struct EntryRef {
	const Section *sec;
	uint64_t offset;
};

uint16_t u16_at(const Section *sec, uint64_t off)
{
	return uint16_t(sec->data[off] | sec->data[off + 1] << 8);
}

// Entries of a __bug_table by (function, offset in the function).
std::map<std::pair<const Symbol *, int64_t>, EntryRef> entries_by_site(const Section *table)
{
	std::map<std::pair<const Symbol *, int64_t>, EntryRef> out;
	for (uint64_t off = 0; off + bug_entry_size <= table->size(); off += bug_entry_size)
		for (const Relocation &r : relocs_in(table, off, off + 4))
			if (r.offset == off && r.sym && r.sym->is_func())
				out[{r.sym, r.addend}] = {table, off};
	return out;
}

// The entries of every __bug_table of the object that has the layout above (an
// `ld -r --unique` of several files keeps one table per file), by site.
std::map<std::pair<const Symbol *, int64_t>, EntryRef> bug_entries(const DiffContext &ctx,
								    const elf::Object &obj)
{
	std::map<std::pair<const Symbol *, int64_t>, EntryRef> out;
	// klp-build gives every kernel's measured size (--entry-size); another size is
	// another layout.
	if (auto it = ctx.opts.entry_sizes.find("__bug_table");
	    it != ctx.opts.entry_sizes.end() && it->second != bug_entry_size)
		return out;
	for (auto &sec : obj.sections) {
		if (sec->removed || sec->name != "__bug_table")
			continue;
		if (sec->entsize && sec->entsize != bug_entry_size)
			return {};
		out.merge(entries_by_site(sec.get()));
	}
	return out;
}

} // namespace

std::optional<unsigned> TrapLines::at(const elf::Section &sec, uint64_t offset)
{
	if (!indexed_) {
		indexed_ = true;
		for (const elf::Object *obj : {ctx_.orig.get(), ctx_.patched.get()}) {
			for (auto &[site, entry] : bug_entries(ctx_, *obj))
				if (site.first->sec && site.second >= 0)
					lines_[{site.first->sec, site.first->value + uint64_t(site.second)}] =
						u16_at(entry.sec, entry.offset + bug_line_offset);
		}
	}
	auto it = lines_.find({&sec, offset});
	return it == lines_.end() ? std::nullopt : std::optional<unsigned>(it->second);
}

void compare_bug_entries(DiffContext &ctx)
{
	auto orig_entries = bug_entries(ctx, *ctx.orig);
	for (auto &[site, entry] : bug_entries(ctx, *ctx.patched)) {
		const Symbol *func = site.first;
		auto it = ctx.decisions.functions.find(func);
		if (!func->twin || it == ctx.decisions.functions.end() ||
		    it->second.status != Status::Unchanged)
			continue;
		auto o = orig_entries.find({func->twin, site.second});
		if (o == orig_entries.end())
			continue;
		const Section *ps = entry.sec, *os = o->second.sec;
		uint64_t p = entry.offset, q = o->second.offset;
		uint16_t pline = u16_at(ps, p + bug_line_offset), oline = u16_at(os, q + bug_line_offset);
		uint16_t pflags = u16_at(ps, p + bug_flags_offset);
		uint16_t oflags = u16_at(os, q + bug_flags_offset);
		if (pflags != oflags) {
			it->second.status = Status::Changed;
			it->second.reasons.insert("bug-table");
		} else if (pline != oline) {
			ctx.decisions.line_changes.push_back(
				{func->name, uint64_t(site.second),
				 fmt::format("__bug_table line {} -> {}", oline, pline)});
		}
	}
}

} // namespace klp::cdo
