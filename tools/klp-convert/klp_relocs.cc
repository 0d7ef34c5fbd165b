// The conversion rule itself: which relocations against a converted symbol move,
// in which order, and the original entry becomes R_*_NONE; for the kernel's core they
// go to `.klp.rela.<sec obj>.<target section>` against `.klp.sym.<obj>.<name>,<pos>`
// (SHN_LIVEPATCH). It does not decide which symbols convert (placeholders.cc,
// resolve.cc), does not remove them, and does not write the bundled core's table
// (bundled_relocs.cc).
#include "convert.h"

#include <map>

namespace klp::convert {

namespace {

// SHF_ALLOC so the loader copies the section into module memory, where
// klp_apply_section_relocs() reads it when the target object loads (possibly long
// after the patch module): Documentation/livepatch/module-elf-format.rst.
constexpr uint64_t klp_rela_flags = SHF_ALLOC | SHF_INFO_LINK | elf::SHF_RELA_LIVEPATCH;

class KlpRelocWriter {
public:
	KlpRelocWriter(elf::Object &obj, const arch::Arch &arch) : obj_(obj), arch_(arch) {}
	Expected<void> index_existing();
	Expected<KlpRelocStats> run(const std::vector<Conversion> &conversions);

private:
	elf::Section *klp_rela_for(const std::string &objname, elf::Section *base);
	elf::Symbol *klp_symbol_for(const KlpSymbol &to, uint8_t type);

	elf::Object &obj_;
	const arch::Arch &arch_;
	// Ordered containers only: output must not depend on hash order.
	std::map<std::pair<std::string, const elf::Section *>, elf::Section *> klp_relas_;
	std::map<std::string, elf::Symbol *> klp_syms_;
};

// A module may already hold livepatch sections and symbols (a previous conversion
// step, a hand-made section): new entries extend them instead of duplicating them.
Expected<void> KlpRelocWriter::index_existing()
{
	for (auto &sec : obj_.sections) {
		if (sec->removed || !sec->is_livepatch_rela())
			continue;
		auto objname = klp_rela_objname(sec->name);
		if (!objname)
			return make_error("{}: {}: a SHF_RELA_LIVEPATCH section must be named "
					  "{}<object>.<section>",
					  obj_.path, describe(*sec), klp_rela_prefix);
		klp_relas_.try_emplace({*objname, sec->base}, sec.get());
	}
	for (auto &sym : obj_.symbols) {
		if (sym->removed || !sym->name.starts_with(klp_sym_prefix))
			continue;
		if (sym->sec || sym->shndx != elf::SHN_LIVEPATCH)
			return make_error("{}: {}: a {} symbol must have st_shndx SHN_LIVEPATCH",
					  obj_.path, describe(*sym), klp_sym_prefix);
		klp_syms_.try_emplace(sym->name, sym.get());
	}
	return success();
}

elf::Section *KlpRelocWriter::klp_rela_for(const std::string &objname, elf::Section *base)
{
	auto [it, inserted] = klp_relas_.try_emplace({objname, base}, nullptr);
	if (!inserted)
		return it->second;
	elf::Section *sec = obj_.add_section(klp_rela_name(objname, base->name), SHT_RELA,
					     klp_rela_flags, 8);
	sec->entsize = sizeof(Elf64_Rela);
	sec->link = obj_.symtab;
	sec->info_section = base;
	sec->base = base; // but not base->rela: that stays the module's own .rela section
	it->second = sec;
	return sec;
}

elf::Symbol *KlpRelocWriter::klp_symbol_for(const KlpSymbol &to, uint8_t type)
{
	std::string name = klp_sym_name(to);
	auto [it, inserted] = klp_syms_.try_emplace(name, nullptr);
	if (!inserted)
		return it->second;
	// Global, like the kernel's documented examples; the loader's simplify_symbols()
	// leaves SHN_LIVEPATCH symbols to klp_resolve_symbols().
	elf::Symbol *sym = obj_.add_symbol(name, STB_GLOBAL, type, nullptr);
	sym->shndx = elf::SHN_LIVEPATCH;
	it->second = sym;
	return sym;
}

Expected<KlpRelocStats> KlpRelocWriter::run(const std::vector<Conversion> &conversions)
{
	return move_converted_relocations(
		obj_, arch_, conversions, [&](const MovedRelocation &m) -> Expected<void> {
			const elf::Relocation &r = m.reloc;
			elf::Symbol *sym = klp_symbol_for(m.conv->to, m.sym_type);
			klp_rela_for(m.conv->sec_objname, m.base)
				->relocs.push_back({r.offset, r.type, sym, r.addend});
			return success();
		});
}

} // namespace

Expected<KlpRelocStats>
move_converted_relocations(elf::Object &obj, const arch::Arch &arch,
			   const std::vector<Conversion> &conversions,
			   const std::function<Expected<void>(const MovedRelocation &)> &move)
{
	std::unordered_map<const elf::Symbol *, const Conversion *> conversion_of; // lookups only
	for (const Conversion &conv : conversions)
		conversion_of.emplace(conv.from, &conv);

	// The module's own relocation sections, before new ones join the list.
	std::vector<elf::Section *> relas;
	for (auto &sec : obj.sections)
		if (!sec->removed && sec->is_rela() && !sec->is_livepatch_rela())
			relas.push_back(sec.get());

	KlpRelocStats stats;
	for (elf::Section *rela : relas) {
		elf::Section *base = rela->base;
		for (elf::Relocation &r : rela->relocs) {
			auto it = r.sym ? conversion_of.find(r.sym) : conversion_of.end();
			if (it == conversion_of.end())
				continue;
			const KlpSymbol &to = it->second->to;
			const std::string &sec_objname = it->second->sec_objname;
			if (applied_after_init(base->name, sec_objname))
				return make_error("{}: {}: a relocation at {}+{:#x} refers to {} "
						  "symbol '{}'; it would be applied when {} loads, "
						  "after the init section is freed",
						  obj.path, describe(*rela), base->name, r.offset,
						  to.objname, to.name, sec_objname);
			// The loader never applies relocations to sections it does not
			// load (.debug_*): nothing to resolve, only the entry to neutralise.
			if (base->is_alloc()) {
				uint8_t type = r.sym->is_func() || r.sym->is_object() ? r.sym->type
										    : STT_NOTYPE;
				KLP_TRY(move({base, r, it->second, type}));
				stats.relocations++;
			} else {
				stats.dropped++;
			}
			r = {r.offset, arch.reloc_none, nullptr, 0};
		}
	}
	return stats;
}

Expected<KlpRelocStats> write_klp_relocations(elf::Object &obj, const arch::Arch &arch,
					      const std::vector<Conversion> &conversions)
{
	KlpRelocWriter writer(obj, arch);
	KLP_TRY(writer.index_existing());
	return writer.run(conversions);
}

} // namespace klp::convert
