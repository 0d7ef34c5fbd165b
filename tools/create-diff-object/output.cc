// Writes the linker-safe intermediate (docs/intermediate-format.md): copies of the
// included sections and their symbols, the kept special-section entries, a fresh
// __mcount_loc, the .klpkit tables and the livepatch placeholders. It decides
// nothing; every choice was made by the passes before it.
#include "diff.h"
#include "livepatch/names.h"
#include "livepatch/tables.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

namespace klp::cdo {
namespace {

using elf::Object;
using elf::Relocation;
using elf::Section;
using elf::Symbol;

class OutputBuilder {
public:
	explicit OutputBuilder(DiffContext &ctx) : ctx_(ctx), out_(*ctx.out) {}
	void clone_sections();
	void clone_special_sections();
	void clone_relocations();
	void write_mcount_loc();
	void write_func_table();
	void fill_callback_objnames();
	void copy_import_namespaces();

private:
	Symbol *target_of(const Relocation &r);
	Symbol *placeholder(const std::string &name, uint8_t type);
	Symbol *string_symbol(const std::string &s, uint64_t *offset);
	Section *section(const std::string &name, uint32_t type, uint64_t flags, uint64_t align);
	void put_u64(Section *sec, uint64_t value);

	DiffContext &ctx_;
	Object &out_;
	std::unordered_map<std::string, Symbol *> undefined_;
	std::unordered_map<std::string, Symbol *> placeholders_;
	std::unordered_map<std::string, uint64_t> strings_;
	Section *placeholder_sec_ = nullptr;
	Section *strings_sec_ = nullptr;
	// Special sections: the patched offset of each kept entry in its copy.
	std::vector<std::pair<const DiffContext::SpecialPlan *, Section *>> special_copies_;
};

Section *OutputBuilder::section(const std::string &name, uint32_t type, uint64_t flags,
				uint64_t align)
{
	if (Section *sec = out_.find_section(name))
		return sec;
	return out_.add_section(name, type, flags, align);
}

void OutputBuilder::put_u64(Section *sec, uint64_t value)
{
	for (int i = 0; i < 8; i++) {
		int shift = out_.data_encoding == ELFDATA2LSB ? 8 * i : 8 * (7 - i);
		sec->data.push_back(uint8_t(value >> shift));
	}
}

void OutputBuilder::clone_sections()
{
	for (const Section *sec : ctx_.include_order) {
		Section *c = out_.add_section(sec->name, sec->type, sec->flags, sec->addralign);
		c->entsize = sec->entsize;
		c->data = sec->data;
		c->nobits_size = sec->nobits_size;
		const_cast<Section *>(sec)->clone = c;
		for (Symbol *sym : sec->symbols) {
			if (sym->removed || sym->is_section())
				continue;
			// Local in the patch: two diff objects may both carry a `foo`, and the
			// patch's copy must never satisfy another object's reference by name.
			// Except a global the patch adds that its other objects use
			// (--patch-symbols): a.c's new `int aio_max_retries` read by b.c.
			bool shared = !sym->is_local() && !sym->twin && ctx_.patch_symbols.count(sym->name);
			Symbol *s = out_.add_symbol(sym->name, shared ? STB_GLOBAL : STB_LOCAL, sym->type,
						    c, sym->value, sym->size);
			s->other = sym->other;
			sym->clone = s;
		}
	}
}

void OutputBuilder::clone_special_sections()
{
	for (const auto &plan : ctx_.special_plans) {
		if (plan.kept.empty())
			continue;
		const Section *sec = plan.sec;
		Section *c = out_.add_section(sec->name, sec->type, sec->flags, sec->addralign);
		c->entsize = sec->entsize;
		for (uint64_t off : plan.kept) {
			// A short last entry (.parainstructions before Linux 6.2) gets its
			// padding: the next kept entry, or another object's, must stay aligned.
			uint64_t end = std::min(off + plan.entry_size, sec->size());
			c->data.insert(c->data.end(), sec->data.begin() + long(off),
				       sec->data.begin() + long(end));
			c->data.resize(c->data.size() + (off + plan.entry_size - end), 0);
		}
		special_copies_.emplace_back(&plan, c);
	}
}

Symbol *OutputBuilder::placeholder(const std::string &name, uint8_t type)
{
	if (auto it = placeholders_.find(name); it != placeholders_.end())
		return it->second;
	if (!placeholder_sec_) {
		placeholder_sec_ = out_.add_section(std::string(livepatch::placeholder_section),
						    SHT_PROGBITS, SHF_ALLOC, 1);
		placeholder_sec_->data.assign(1, 0);
	}
	uint8_t t = type == STT_FUNC || type == STT_OBJECT ? type : STT_NOTYPE;
	Symbol *sym = out_.add_symbol(name, STB_WEAK, t, placeholder_sec_, 0, 0);
	placeholders_[name] = sym;
	return sym;
}

Symbol *OutputBuilder::target_of(const Relocation &r)
{
	auto it = ctx_.reloc_targets.find(&r);
	const auto &t = it->second;
	switch (t.cls) {
	case RelocClass::Internal:
		if (!r.sym)
			return nullptr;
		if (r.sym->is_section())
			return out_.section_symbol(r.sym->sec->clone);
		return r.sym->clone;
	case RelocClass::Normal: {
		auto [u, inserted] = undefined_.try_emplace(t.name, nullptr);
		if (inserted)
			u->second = out_.add_symbol(t.name, STB_GLOBAL, STT_NOTYPE, nullptr);
		return u->second;
	}
	case RelocClass::Livepatch:
		return placeholder(t.name, t.type);
	}
	return nullptr;
}

void OutputBuilder::clone_relocations()
{
	for (const Section *sec : ctx_.include_order) {
		if (!sec->rela || sec->rela->relocs.empty())
			continue;
		Section *rela = nullptr;
		for (const Relocation &r : sec->rela->relocs) {
			if (!ctx_.reloc_used(sec, r))
				continue;
			if (!rela)
				rela = out_.add_rela_section(sec->clone);
			rela->relocs.push_back({r.offset, r.type, target_of(r), r.addend});
		}
	}
	for (auto &[plan, copy] : special_copies_) {
		Section *rela = nullptr;
		uint64_t new_off = 0;
		for (uint64_t off : plan->kept) {
			for (const Relocation &r : relocs_in(plan->sec, off, off + plan->entry_size)) {
				if (!rela)
					rela = out_.add_rela_section(copy);
				rela->relocs.push_back(
					{r.offset - off + new_off, r.type, target_of(r), r.addend});
			}
			new_off += plan->entry_size;
		}
	}
}

void OutputBuilder::write_mcount_loc()
{
	// ftrace finds a module's patchable call sites through __mcount_loc (x86_64:
	// the `call __fentry__` of each included function, after `endbr64` with
	// X86_KERNEL_IBT) or __patchable_function_entries (arm64: the NOPs), one
	// address per site.
	const std::string section(ctx_.arch->ftrace_section);
	if (!ctx_.patched->find_section(section))
		return;
	Section *records = nullptr;
	for (const Section *sec : ctx_.include_order) {
		if (!sec->is_text())
			continue;
		std::set<uint64_t> sites; // an alias names the same site
		for (const Symbol *func : sec->symbols) {
			if (func->removed || !func->is_func())
				continue;
			auto site = ftrace_site(ctx_, func);
			if (!site || !sites.insert(*site).second)
				continue;
			if (!records) {
				if (ctx_.arch->ftrace == arch::FtraceEntry::FentryCall) {
					records = out_.add_section(section, SHT_PROGBITS, SHF_ALLOC, 8);
				} else {
					// As GCC writes it: writable, and ordered by (linked to) a
					// text section, which ld needs to merge it with the
					// template's own.
					records = out_.add_section(section, SHT_PROGBITS,
								   SHF_ALLOC | SHF_WRITE | SHF_LINK_ORDER, 8);
					records->link = sec->clone;
				}
			}
			uint64_t off = records->data.size();
			put_u64(records, 0);
			out_.add_rela_section(records)->relocs.push_back(
				{off, ctx_.arch->reloc_abs64, out_.section_symbol(sec->clone), int64_t(*site)});
		}
	}
}

Symbol *OutputBuilder::string_symbol(const std::string &s, uint64_t *offset)
{
	if (!strings_sec_)
		strings_sec_ = out_.add_section(".klpkit.strings", SHT_PROGBITS,
						SHF_ALLOC | SHF_MERGE | SHF_STRINGS, 1);
	strings_sec_->entsize = 1;
	auto [it, inserted] = strings_.try_emplace(s, strings_sec_->data.size());
	if (inserted) {
		strings_sec_->data.insert(strings_sec_->data.end(), s.begin(), s.end());
		strings_sec_->data.push_back(0);
	}
	*offset = it->second;
	return out_.section_symbol(strings_sec_);
}

void OutputBuilder::write_func_table()
{
	if (ctx_.patched_functions.empty())
		return;
	using livepatch::KlpkitFunc;
	Section *funcs = out_.add_section(std::string(livepatch::funcs_section), SHT_PROGBITS,
					  SHF_ALLOC, 8);
	Section *rela = out_.add_rela_section(funcs);
	uint32_t abs64 = ctx_.arch->reloc_abs64;
	for (const Symbol *f : ctx_.patched_functions) {
		uint64_t base = funcs->data.size();
		uint64_t name_off = 0, obj_off = 0;
		Symbol *name_sym = string_symbol(f->twin->name, &name_off);
		Symbol *obj_sym = string_symbol(ctx_.opts.parent, &obj_off);
		put_u64(funcs, 0); // new_func
		put_u64(funcs, 0); // old_name
		put_u64(funcs, 0); // objname
		put_u64(funcs, ctx_.decisions.functions.at(f).sympos);
		static_assert(KlpkitFunc::size == 4 * 8 && KlpkitFunc::sympos == 3 * 8);
		rela->relocs.push_back({base + KlpkitFunc::new_func, abs64, f->clone, 0});
		rela->relocs.push_back(
			{base + KlpkitFunc::old_name, abs64, name_sym, int64_t(name_off)});
		rela->relocs.push_back({base + KlpkitFunc::objname, abs64, obj_sym, int64_t(obj_off)});
	}
}

void OutputBuilder::fill_callback_objnames()
{
	// KLP_PRE_PATCH_CALLBACK(fn) leaves `objname` NULL: it is the parent object of
	// the file the macro is in, which only this tool knows.
	for (const Section *sec : ctx_.include_order) {
		if (sec->name.rfind(".klpkit.callbacks.", 0) != 0)
			continue;
		Section *c = sec->clone;
		Section *rela = out_.add_rela_section(c);
		for (uint64_t off = 0; off + 16 <= c->size(); off += 16) {
			bool has = false;
			for (const Relocation &r : rela->relocs)
				has |= r.offset == off + 8;
			if (has)
				continue;
			uint64_t obj_off = 0;
			Symbol *obj_sym = string_symbol(ctx_.opts.parent, &obj_off);
			rela->relocs.push_back({off + 8, ctx_.arch->reloc_abs64, obj_sym, int64_t(obj_off)});
		}
	}
}

void OutputBuilder::copy_import_namespaces()
{
	// The patch module imports the namespace of every export it links to
	// (efivarfs's super.c calls efivar_query_variable_info of EFIVAR, imported by
	// MODULE_IMPORT_NS in vars.c), and what the patched file imports itself.
	std::set<std::string> entries;
	if (const Section *modinfo = ctx_.patched->find_section(".modinfo")) {
		const auto &d = modinfo->data;
		for (size_t i = 0; i < d.size();) {
			size_t end = i;
			while (end < d.size() && d[end])
				end++;
			std::string entry(d.begin() + long(i), d.begin() + long(end));
			if (entry.rfind("import_ns=", 0) == 0)
				entries.insert(entry);
			i = end + 1;
		}
	}
	if (ctx_.symvers)
		for (const auto &[reloc, target] : ctx_.reloc_targets)
			if (target.cls == RelocClass::Normal)
				if (const auto *e = ctx_.symvers->find(target.name); e && !e->ns.empty())
					entries.insert("import_ns=" + e->ns);
	if (entries.empty())
		return;
	Section *out = section(".modinfo", SHT_PROGBITS, SHF_ALLOC, 1);
	for (const std::string &entry : entries) {
		out->data.insert(out->data.end(), entry.begin(), entry.end());
		out->data.push_back(0);
	}
}

} // namespace

Expected<void> build_output(DiffContext &ctx)
{
	ctx.out = Object::create(ctx.patched->machine, ctx.patched->data_encoding,
				 ctx.patched->osabi);
	ctx.out->eflags = ctx.patched->eflags;
	if (!ctx.tu_file_name.empty())
		ctx.out->add_symbol(ctx.tu_file_name, STB_LOCAL, STT_FILE, nullptr)->shndx = SHN_ABS;
	OutputBuilder b(ctx);
	b.clone_sections();
	b.clone_special_sections();
	b.clone_relocations();
	b.write_mcount_loc();
	b.write_func_table();
	b.fill_callback_objnames();
	b.copy_import_namespaces();
	ctx.out->add_section(".note.GNU-stack", SHT_PROGBITS, 0, 1);
	return ctx.out->write(ctx.opts.output_path);
}

} // namespace klp::cdo
