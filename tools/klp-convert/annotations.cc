// Reads the KLP_MODULE_RELOC() records of a hand-written livepatch module: which
// object (and position) each annotated undefined symbol belongs to. It validates the
// records; dropping their sections is convert.cc's business.
#include "convert.h"

#include <cstring>

namespace klp::convert {

namespace {

// struct klp_convert_sympos { void *sym; unsigned long pos; } (klp-convert.h).
constexpr size_t record_size = 16;
constexpr size_t record_pos_offset = 8;

uint64_t read_le64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

} // namespace

Expected<Annotations> read_annotations(const elf::Object &obj, const arch::Arch &arch)
{
	Annotations out;
	for (const auto &owned : obj.sections) {
		elf::Section *sec = owned.get();
		if (sec->removed || sec->is_rela() || !sec->name.starts_with(annotation_prefix))
			continue;
		std::string objname = sec->name.substr(annotation_prefix.size());
		auto fail = [&](const std::string &what) {
			return make_error("{}: {}: {}", obj.path, describe(*sec), what);
		};
		if (auto problem = check_objname(objname))
			return fail(*problem);
		if (sec->type != SHT_PROGBITS || sec->size() % record_size)
			return fail(fmt::format("size {} is not a whole number of {}-byte "
						"KLP_SYMPOS() records",
						sec->size(), record_size));
		if (obj.data_encoding != ELFDATA2LSB)
			return fail("big-endian records are not supported");
		size_t count = sec->size() / record_size;
		std::vector<elf::Symbol *> targets(count, nullptr);
		if (sec->rela) {
			for (size_t i = 0; i < sec->rela->relocs.size(); i++) {
				const elf::Relocation &r = sec->rela->relocs[i];
				size_t rec = r.offset / record_size;
				if (r.offset % record_size || r.type != arch.reloc_abs64 || !r.sym ||
				    rec >= count || targets[rec])
					return fail(fmt::format("relocation {} at {:#x} is not the one "
								"pointer of a record",
								i, r.offset));
				// KLP_SYMPOS(array[1], 0) would point into `array`: name the symbol.
				if (r.addend != 0)
					return fail(fmt::format("record {} points to {}{:+#x}; name a "
								"symbol, not a place inside one",
								rec, r.sym->name, r.addend));
				targets[rec] = r.sym;
			}
		}
		for (size_t rec = 0; rec < count; rec++) {
			elf::Symbol *sym = targets[rec];
			if (!sym)
				return fail(fmt::format("record {} has no symbol", rec));
			if (!sym->is_undefined())
				return fail(fmt::format("record {} names {}, which this module defines; "
							"KLP_SYMPOS() is for symbols of the target",
							rec, describe(*sym)));
			if (auto problem = check_symname(sym->name))
				return fail(fmt::format("record {}: {}", rec, *problem));
			Annotation ann;
			ann.to = {objname, sym->name,
				  read_le64(sec->data.data() + rec * record_size + record_pos_offset)};
			ann.section = sec;
			ann.entry = rec;
			auto [it, inserted] = out.by_symbol.try_emplace(sym, ann);
			if (!inserted && it->second.to != ann.to)
				return fail(fmt::format("record {} puts {} at {},{} but {} record {} "
							"put it at {},{}",
							rec, sym->name, objname, ann.to.sympos,
							it->second.section->name, it->second.entry,
							it->second.to.objname, it->second.to.sympos));
		}
		out.sections.push_back(sec);
	}
	return out;
}

} // namespace klp::convert
