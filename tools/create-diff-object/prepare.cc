// Normalises each object before comparison: relocations that gas expressed against
// a section symbol are re-pointed at the function or object they designate, kpatch's
// marker sections take klpkit's names, and the author's ignore markers are read.
// Nothing is compared here.
#include "diff.h"
#include "line_changes.h"
#include "names.h"

#include "livepatch/tables.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

namespace klp::cdo {

namespace {

// The offset within the target that relocation `r` of `sec` designates. For a
// PC-relative field in code that is addend + (end of instruction - field), which
// only decoding tells: `call helper` is helper-4 (designates +0), but
// `movb $1, __already_done.3(%rip)` is .data.once-5 when __already_done.3 sits at
// +0, and .data.once-4 when it sits at +1.
class TargetOffsets {
public:
	TargetOffsets(DiffContext &ctx, const elf::Section *sec) : ctx_(ctx), sec_(sec) {}
	std::optional<int64_t> of(const elf::Relocation &r)
	{
		if (!ctx_.arch->is_biased_pc_relative(r.type))
			return r.addend;
		// `.long 1b - .` in __bug_table: the field is the whole expression.
		if (!sec_->is_text())
			return r.addend;
		if (!ends_)
			ends_ = &decoded(ctx_, *sec_);
		if (!*ends_)
			return std::nullopt;
		auto end = std::upper_bound((*ends_)->begin(), (*ends_)->end(), r.offset);
		if (end == (*ends_)->end())
			return std::nullopt;
		return r.addend + int64_t(*end - r.offset);
	}

private:
	// The section's instruction ends, decoded once per content.
	static const std::optional<std::vector<uint64_t>> &decoded(DiffContext &ctx,
								    const elf::Section &sec)
	{
		uint64_t hash = sec.data.size();
		for (size_t i = 0; i + 8 <= sec.data.size(); i += 8) {
			uint64_t w;
			std::memcpy(&w, sec.data.data() + i, 8);
			hash = (hash ^ w) * 0x9e3779b97f4a7c15ull;
			hash ^= hash >> 29;
		}
		for (size_t i = sec.data.size() & ~size_t(7); i < sec.data.size(); i++)
			hash = (hash ^ sec.data[i]) * 0x100000001b3ull;
		auto &same_hash = ctx.decoded_text[hash];
		for (const DiffContext::DecodedText &d : same_hash)
			if (d.sec->data == sec.data)
				return d.ends;
		same_hash.push_back({&sec, instruction_ends(ctx.patched->machine, sec)});
		return same_hash.back().ends;
	}

	DiffContext &ctx_;
	const elf::Section *sec_;
	const std::optional<std::vector<uint64_t>> *ends_ = nullptr;
};

// The function or object that fills `sec` alone, if one does.
elf::Symbol *sole_symbol(const elf::Section *sec)
{
	elf::Symbol *only = nullptr;
	for (elf::Symbol *sym : sec->symbols) {
		if (sym->is_section() || sym->removed)
			continue;
		if (only || (!sym->is_func() && !sym->is_object()) || sym->value != 0 ||
		    sym->size != sec->size())
			return nullptr;
		only = sym;
	}
	return only;
}

} // namespace

void rebase_section_relocations(DiffContext &ctx, elf::Object &obj)
{
	// gas turns `call helper` for a static `helper` into R_X86_64_PLT32 against the
	// section symbol `.text.helper` - 4, and `counter++` into R_X86_64_PC32 against
	// `.bss.counter` - 4. Comparing across objects needs the symbol: re-point such a
	// relocation at the function or object covering the designated offset. Strings
	// and anonymous constants have no symbol and stay section-relative (compared by
	// content later).
	for (auto &sec : obj.sections) {
		if (!sec->is_rela() || sec->removed || !sec->base)
			continue;
		TargetOffsets offsets(ctx, sec->base);
		for (elf::Relocation &r : sec->relocs) {
			if (!r.sym || !r.sym->is_section() || !r.sym->sec)
				continue;
			elf::Section *target = r.sym->sec;
			if (target->symbols.empty())
				continue;
			elf::Symbol *sym = nullptr;
			// -ffunction-sections/-fdata-sections: one function or object spans the
			// section, and is the target whatever the bias; no decoding needed.
			if (elf::Symbol *only = sole_symbol(target)) {
				r.sym = only;
				continue;
			}
			auto off = offsets.of(r);
			if (off && *off >= 0)
				sym = obj.symbol_at(target, uint64_t(*off));
			// An undecodable instruction: with -fdata-sections a data section holds
			// a single object, which is the target whatever the bias.
			if (!off && !target->is_text()) {
				elf::Symbol *only = section_owner(target);
				if (only && only->is_object() && only->size == target->size())
					sym = only;
			}
			if (!sym || (!sym->is_func() && !sym->is_object()))
				continue;
			r.addend -= int64_t(sym->value);
			r.sym = sym;
		}
		// Sorted by offset, so that a function's relocations are a range (gas
		// writes them sorted already: checking is cheaper than sorting).
		auto by_offset = [](const elf::Relocation &a, const elf::Relocation &b) {
			return a.offset < b.offset;
		};
		if (!std::is_sorted(sec->relocs.begin(), sec->relocs.end(), by_offset))
			std::stable_sort(sec->relocs.begin(), sec->relocs.end(), by_offset);
	}
}

bool same_contents(const elf::Symbol *a, const elf::Symbol *b)
{
	if (!a->sec || !b->sec || a->size != b->size || a->sec->type != b->sec->type)
		return false;
	if (a->sec->type == SHT_NOBITS)
		return true;
	if (a->value + a->size > a->sec->data.size() || b->value + b->size > b->sec->data.size())
		return false;
	return std::equal(a->sec->data.begin() + long(a->value),
			  a->sec->data.begin() + long(a->value + a->size),
			  b->sec->data.begin() + long(b->value));
}

elf::Symbol *section_owner(const elf::Section *sec)
{
	elf::Symbol *owner = nullptr;
	for (elf::Symbol *sym : sec->symbols) {
		if (sym->removed || sym->is_section() || (!sym->is_func() && !sym->is_object()))
			continue;
		if (is_prefix_symbol(sym))
			continue;
		// `foo` and a local alias of it at the same place are one thing.
		if (owner && (owner->value != sym->value || owner->size != sym->size))
			return nullptr;
		if (!owner || (owner->is_local() && !sym->is_local()))
			owner = sym;
	}
	if (!owner || owner->value + owner->size > sec->size())
		return nullptr;
	// Code after the function's end belongs to it when no symbol names any of it:
	// what its asm put in `.subsection 1` of the same section (arm64's
	// alternative replacements, 6.1's ALTERNATIVE()). A label there is other code.
	uint64_t end = owner->value + owner->size;
	for (elf::Symbol *sym : sec->symbols) {
		if (is_prefix_symbol(sym) && sym->value + sym->size > owner->value)
			return nullptr;
		if (end < sec->size() && !sym->removed && !sym->is_section() && sym->value >= end)
			return nullptr;
	}
	return owner;
}

std::span<const elf::Relocation> relocs_in(const elf::Section *sec, uint64_t start,
					   uint64_t end)
{
	if (!sec->rela)
		return {};
	const auto &relocs = sec->rela->relocs;
	auto by_offset = [](const elf::Relocation &r, uint64_t off) { return r.offset < off; };
	auto lo = std::lower_bound(relocs.begin(), relocs.end(), start, by_offset);
	auto hi = std::lower_bound(lo, relocs.end(), end, by_offset);
	return {relocs.data() + (lo - relocs.begin()), size_t(hi - lo)};
}

void adopt_kpatch_markers(DiffContext &ctx)
{
	// A patch written for kpatch-build, compiled with kpatch's own kpatch-macros.h:
	// KPATCH_PRE_PATCH_CALLBACK(fn) leaves {fn, NULL} in .kpatch.callbacks.pre_patch,
	// which from here on is .klpkit.callbacks.pre_patch (same layout), so that every
	// pass and the template see one set of names.
	for (elf::Object *obj : {ctx.orig.get(), ctx.patched.get()}) {
		bool renamed = false;
		for (auto &sec : obj->sections) {
			for (const livepatch::SectionAlias &alias : livepatch::kpatch_marker_sections) {
				if (sec->removed || sec->name != alias.kpatch)
					continue;
				if (sec->rela && sec->rela->name == ".rela" + sec->name)
					sec->rela->name = ".rela" + std::string(alias.klpkit);
				sec->name = alias.klpkit;
				renamed = true;
			}
		}
		if (renamed)
			obj->reindex();
	}
	// KPATCH_FORCE_UNSAFE(fn) asked kpatch.ko to skip its stack check for fn; the
	// livepatch core has no such per-function switch.
	const elf::Section *force = nullptr;
	for (const auto &sec : ctx.patched->sections)
		if (!sec->removed && sec->name == livepatch::kpatch_force_section)
			force = sec.get();
	if (!force)
		return;
	const std::string why = "the livepatch consistency model has no per-function bypass "
				"(kpatch.ko's); remove it, and make the change safe to switch to "
				"while the old function runs (or force the whole patch through "
				"/sys/kernel/livepatch/<patch>/force)";
	bool named = false;
	if (force->rela) {
		for (const elf::Relocation &r : force->rela->relocs) {
			if (!r.sym)
				continue;
			ctx.refuse("unsupported", r.sym,
				   fmt::format("KPATCH_FORCE_UNSAFE({}): {}", r.sym->name, why));
			named = true;
		}
	}
	if (!named)
		ctx.refuse("unsupported", nullptr, fmt::format("{}: {}", force->name, why));
}

void adopt_klp_callback_pointers(DiffContext &ctx)
{
	elf::Object &obj = *ctx.patched;
	std::vector<elf::Section *> ptrs;
	for (auto &sec : obj.sections)
		if (!sec->removed && sec->name == livepatch::klp_callback_ptrs_section)
			ptrs.push_back(sec.get());
	if (ptrs.empty())
		return;
	// Collected first: adding sections moves the vector the loop would walk.
	struct Callback {
		std::string_view section;
		elf::Symbol *fn;
		int64_t addend;
	};
	std::vector<Callback> found;
	for (elf::Section *sec : ptrs) {
		for (const elf::Symbol *sym : sec->symbols) {
			if (sym->is_section() || sym->type == STT_FILE)
				continue;
			const livepatch::CallbackPointer *kind = nullptr;
			for (const auto &k : livepatch::klp_callback_pointers)
				if (sym->name.starts_with(k.prefix))
					kind = &k;
			auto relocs = relocs_in(sec, sym->value, sym->value + 8);
			if (!kind || relocs.size() != 1 || !relocs[0].sym || !relocs[0].sym->is_func()) {
				ctx.refuse("unsupported", sym,
					   fmt::format("{} in {}: not a livepatch callback pointer "
						       "(__klp_<pre|post>_<patch|unpatch>_callback_<object> = fn)",
						       sym->name, sec->name));
				continue;
			}
			found.push_back({kind->klpkit, relocs[0].sym, relocs[0].addend});
		}
	}
	for (const Callback &c : found) {
		elf::Section *records = obj.find_section(c.section);
		if (!records || records->removed)
			records = obj.add_section(std::string(c.section), SHT_PROGBITS, SHF_ALLOC | SHF_WRITE, 8);
		uint64_t off = records->data.size();
		records->data.resize(off + livepatch::callback_record_size, 0);
		obj.add_rela_section(records)->relocs.push_back({off, ctx.arch->reloc_abs64, c.fn, c.addend});
	}
	obj.reindex();
}

void read_ignore_markers(DiffContext &ctx)
{
	// KLP_IGNORE_FUNCTION(fn) leaves a pointer to fn in .klpkit.ignore.functions;
	// KLP_IGNORE_SECTION("name") a pointer to a string in .klpkit.ignore.sections.
	// Each may appear twice: klp-macros.h's and kpatch-macros.h's, renamed.
	const elf::Object &obj = *ctx.patched;
	auto sections = [&](std::string_view name) {
		std::vector<const elf::Section *> out;
		for (const auto &sec : obj.sections)
			if (!sec->removed && sec->name == name && sec->rela)
				out.push_back(sec.get());
		return out;
	};
	for (const elf::Section *sec : sections(".klpkit.ignore.functions")) {
		for (const elf::Relocation &r : sec->rela->relocs)
			if (r.sym && r.sym->is_func())
				ctx.ignored_functions.insert(r.sym);
	}
	// An ignored function's `.cold` part is that function too: c_stop() with a new
	// KPATCH_PRINTK() gets `c_stop.cold`, which would otherwise go in as new code
	// nothing calls.
	for (const auto &sym : obj.symbols) {
		if (sym->removed || !sym->is_func())
			continue;
		std::string parent = cold_parent_name(sym->name);
		const elf::Symbol *p = parent.empty() ? nullptr : obj.find_symbol(parent);
		if (p && ctx.ignored_functions.count(p))
			ctx.ignored_functions.insert(sym.get());
	}
	for (const elf::Section *sec : sections(".klpkit.ignore.sections")) {
		for (const elf::Relocation &r : sec->rela->relocs) {
			if (!r.sym || !r.sym->sec)
				continue;
			const auto &data = r.sym->sec->data;
			uint64_t off = uint64_t(r.addend) + (r.sym->is_section() ? 0 : r.sym->value);
			if (off >= data.size())
				continue;
			auto *start = reinterpret_cast<const char *>(data.data()) + off;
			ctx.ignored_sections.insert(std::string(start, strnlen(start, data.size() - off)));
		}
	}
}

} // namespace klp::cdo

namespace klp::cdo {

void find_cold_parents(DiffContext &ctx)
{
	// `helper.cold` belongs to the `helper` of its own translation unit: in an
	// `ld -r` of a.c and b.c that both have a static `helper`, b.c's `helper.cold`
	// follows b.c's file symbol, as b.c's `helper` does. A global parent (`foo`
	// made global, its `foo.cold` local) is found by its name where it is unique.
	std::map<std::pair<size_t, std::string_view>, elf::Symbol *> locals;
	std::unordered_map<std::string_view, elf::Symbol *> globals;
	std::unordered_set<std::string_view> repeated_globals;
	std::vector<std::pair<size_t, elf::Symbol *>> colds;
	size_t block = 0;
	for (auto &sym : ctx.patched->symbols) {
		if (sym->is_file())
			block++;
		if (!sym->is_func() || sym->removed || !sym->sec)
			continue;
		if (!cold_parent_name(sym->name).empty())
			colds.emplace_back(block, sym.get());
		else if (sym->is_local())
			locals.try_emplace({block, sym->name}, sym.get());
		else if (!globals.try_emplace(sym->name, sym.get()).second)
			repeated_globals.insert(sym->name);
	}
	for (auto [b, cold] : colds) {
		std::string parent = cold_parent_name(cold->name);
		if (auto it = locals.find({b, parent}); it != locals.end())
			ctx.cold_parents[cold] = it->second;
		else if (auto g = globals.find(parent); g != globals.end() && !repeated_globals.count(parent))
			ctx.cold_parents[cold] = g->second;
	}
}

} // namespace klp::cdo
