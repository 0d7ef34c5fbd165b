// klp-convert --core bundled: for klpkit's bundled core (klpkit-core.ko, on kernels
// without CONFIG_LIVEPATCH) the livepatch relocations become entries of the
// `.klpkit.relocs` table the template left, not `.klp.rela.*` sections and `.klp.sym.`
// symbols. The relocations are those of the kernel's path (klp_relocs.cc decides);
// the bytes are relocs_table.cc's. It refuses what such a kernel rejects or ignores.
#include "convert.h"
#include "arch/arch.h"
#include "livepatch/tables.h"
#include "relocs_table.h"

namespace klp::convert {

namespace {

using livepatch::KlpkitRelocsHeader;
using livepatch::relocs_section;

// The table as the template writes it for KLPKIT_CORE=bundled: the 16-byte header
// alone, count 0, size 16.
Expected<elf::Section *> find_template_table(elf::Object &obj)
{
	elf::Section *table = obj.find_section(relocs_section);
	if (!table)
		return make_error("{}: no {} section: the module was not built for the bundled "
				  "core (KLPKIT_CORE=bundled)",
				  obj.path, relocs_section);
	RelocsHeader header;
	auto bad = read_relocs_header(*table, header);
	if (!bad && header.count != 0)
		bad = fmt::format("count {} is not 0 (converted already?)", header.count);
	if (!bad && header.size != KlpkitRelocsHeader::size)
		bad = fmt::format("size {} is not {}", header.size, KlpkitRelocsHeader::size);
	if (!bad && table->size() != KlpkitRelocsHeader::size)
		bad = fmt::format("the section has {} bytes, not the header's {}", table->size(),
				  KlpkitRelocsHeader::size);
	if (!bad && table->rela && !table->rela->relocs.empty())
		bad = fmt::format("{} holds relocations", table->rela->name);
	if (bad)
		return make_error("{}: {}: malformed header: {}; the template writes an empty "
				  "table (KLPKIT_CORE=bundled)",
				  obj.path, describe(*table), *bad);
	return table;
}

// A kernel without CONFIG_LIVEPATCH refuses a module with any `livepatch` modinfo
// (kernel/module/main.c check_modinfo_livepatch(): "module is marked as livepatch
// module, but livepatch support is disabled"), and its klp_apply_section_relocs()
// stub leaves `.klp.rela` sections, and so their SHN_LIVEPATCH symbols, alone.
Expected<void> refuse_kernel_livepatch(const elf::Object &obj)
{
	for (const auto &[key, value] : read_modinfo(obj))
		if (key == "livepatch")
			return make_error("{}: .modinfo has livepatch={}: a kernel without "
					  "CONFIG_LIVEPATCH refuses to load the module; build "
					  "it for the bundled core (KLPKIT_CORE=bundled)",
					  obj.path, value);
	for (const auto &sec : obj.sections)
		if (!sec->removed && ((sec->flags & elf::SHF_RELA_LIVEPATCH) ||
				      sec->name.starts_with(klp_rela_prefix)))
			return make_error("{}: {}: a livepatch relocation section in a module for "
					  "the bundled core, which applies only {}",
					  obj.path, describe(*sec), relocs_section);
	for (const auto &sym : obj.symbols)
		if (!sym->removed && ((!sym->sec && sym->shndx == elf::SHN_LIVEPATCH) ||
				      sym->name.starts_with(klp_sym_prefix)))
			return make_error("{}: {}: a livepatch symbol in a module for the bundled "
					  "core; nothing resolves it without CONFIG_LIVEPATCH",
					  obj.path, describe(*sym));
	return success();
}

// The module loader reads these while it loads the module (jump labels and static
// calls register their keys, alternatives are copied into the code, exception
// tables sorted), before the patch module's init hands the table to the core,
// which applies it only then: a place in one of them would be read unrelocated.
// The kernel's core applies vmlinux relocations during the load itself (5.8+).
std::optional<std::string_view> read_at_load(const arch::Arch &arch, const elf::Section &sec)
{
	for (const arch::SpecialSection &special : arch.special_sections)
		if (special.name == sec.name)
			return special.kind != arch::SpecialKind::WholeIfUsed ||
					       sec.name == ".altinstr_replacement"
				       ? std::optional(special.name)
				       : std::nullopt;
	return std::nullopt;
}

} // namespace

Expected<KlpRelocStats> write_bundled_relocations(elf::Object &obj, const arch::Arch &arch,
						  const std::vector<Conversion> &conversions)
{
	auto table = find_template_table(obj);
	if (!table)
		return table.take_error();
	KLP_TRY(refuse_kernel_livepatch(obj));
	std::vector<TableEntry> entries;
	auto stats = move_converted_relocations(
		obj, arch, conversions, [&](const MovedRelocation &m) -> Expected<void> {
			if (auto special = read_at_load(arch, *m.base))
				return make_error("{}: {}+{:#x} refers to {} symbol '{}': the loader "
						  "reads {} before the bundled core relocates it "
						  "(at the patch module's init); not supported with "
						  "the bundled core",
						  obj.path, m.base->name, m.reloc.offset,
						  m.conv->to.objname, m.conv->to.name, *special);
			if (!arch.bundled_writes(m.reloc.type))
				return make_error("{}: {}+{:#x} refers to {} symbol '{}' with {}, a "
						  "type the bundled core does not write on {}",
						  obj.path, m.base->name, m.reloc.offset,
						  m.conv->to.objname, m.conv->to.name,
						  arch::reloc_type_name(obj.machine, m.reloc.type),
						  arch.kbuild_arch);
			entries.push_back({m.base, m.reloc.offset, m.reloc.addend, m.reloc.type,
					   m.conv->to, m.conv->sec_objname, m.sym_type});
			return success();
		});
	if (!stats)
		return stats;
	KLP_TRY(write_relocs_table(obj, arch, **table, entries));
	return stats;
}

} // namespace klp::convert
