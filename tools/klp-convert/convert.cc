// klp-convert IN.ko OUT.ko: turns the linker-safe intermediate of a linked livepatch
// module into the kernel's format. convert_module() is the table of contents; the
// passes are in their own files. Nothing is written unless every pass succeeds.
#include "convert.h"
#include "symbol_map.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace klp::convert {

namespace {

Expected<void> refuse_signed(const std::string &path)
{
	auto is_sig = is_signed(path);
	if (!is_sig)
		return is_sig.take_error();
	// sign-file signs the bytes as they are: converting afterwards would break the
	// signature, and the ELF reader would drop it.
	if (*is_sig)
		return make_error("{}: the module is already signed; run klp-convert before "
				  "signing (or use --sign)",
				  path);
	return success();
}

Expected<std::unique_ptr<elf::Object>> read_module(const std::string &path)
{
	auto obj = elf::Object::read(path);
	if (!obj)
		return obj.take_error();
	if ((*obj)->elf_type != ET_REL)
		return make_error("{}: ELF type {} is not a relocatable module (ET_REL)", path,
				  (*obj)->elf_type);
	if (!arch::find((*obj)->machine))
		return make_error("{}: machine {} is not supported ({} are)", path, (*obj)->machine,
				  arch::supported_names());
	if (!(*obj)->symtab)
		return make_error("{}: the module has no symbol table", path);
	return obj;
}

Expected<std::optional<SymbolMap>> load_map(const std::string &path)
{
	if (path.empty())
		return std::optional<SymbolMap>();
	auto map = SymbolMap::read(path);
	if (!map)
		return map.take_error();
	// Without exports every printk() would become a livepatch relocation.
	if (!map->has_exports())
		return make_error("{}: the symbol map lists no exports; make it with --symvers "
				  "Module.symvers",
				  path);
	return std::optional<SymbolMap>(std::move(*map));
}

// A section with its relocations, section symbol and the symbols it defines (the
// `__klp_convert_relocs_0` array of an annotation section).
void drop_section(elf::Object &obj, elf::Section *sec)
{
	for (auto &sym : obj.symbols)
		if (sym->sec == sec)
			obj.remove_symbol(sym.get());
	obj.remove_section(sec);
}

void drop_sections(elf::Object &obj, const std::vector<elf::Section *> &sections)
{
	for (elf::Section *sec : sections)
		drop_section(obj, sec);
}

// The converted symbols and every trace of the placeholders: their section, its
// relocations and section symbol, and placeholders nothing referred to.
void drop_intermediates(elf::Object &obj, const std::vector<Conversion> &conversions)
{
	for (const Conversion &conv : conversions)
		obj.remove_symbol(conv.from);
	for (auto &sec : obj.sections)
		if (!sec->removed && sec->name == placeholder_section)
			drop_section(obj, sec.get());
}

// Atomic with or without a signature: a signed module is made under a temporary
// name next to OUT and renamed into place once sign-file succeeded.
Expected<void> write_module(elf::Object &obj, const ConvertOptions &opts)
{
	if (!opts.sign)
		return obj.write(opts.output);
	std::string tmp = opts.output + ".klp-convert.XXXXXX";
	int fd = mkstemp(tmp.data());
	if (fd < 0)
		return make_error("{}: cannot create a temporary file: {}", opts.output,
				  strerror(errno));
	close(fd);
	auto result = obj.write(tmp);
	if (result)
		result = sign_module(*opts.sign, tmp);
	if (result && rename(tmp.c_str(), opts.output.c_str()) != 0)
		result = make_error("{}: cannot rename {} into place: {}", opts.output, tmp,
				    strerror(errno));
	if (!result)
		unlink(tmp.c_str());
	return result;
}

} // namespace

Expected<void> convert_module(const ConvertOptions &opts)
{
	KLP_TRY(refuse_signed(opts.input));
	auto obj = read_module(opts.input);
	if (!obj)
		return obj.take_error();
	elf::Object &module = **obj;
	const arch::Arch &arch = *arch::find(module.machine);
	auto map = load_map(opts.symbols);
	if (!map)
		return map.take_error();

	auto placeholders = find_placeholders(module);
	if (!placeholders)
		return placeholders.take_error();
	auto annotations = read_annotations(module, arch);
	if (!annotations)
		return annotations.take_error();
	drop_sections(module, annotations->sections);
	auto references = resolve_references(module, *annotations, map->has_value() ? &**map : nullptr);
	if (!references)
		return references.take_error();

	std::vector<Conversion> conversions = std::move(*placeholders);
	conversions.insert(conversions.end(), references->begin(), references->end());
	// The kernel's core applies `.klp.rela.*`; the bundled core, on a kernel without
	// CONFIG_LIVEPATCH, its own table.
	auto stats = opts.core == Core::bundled
			     ? write_bundled_relocations(module, arch, conversions)
			     : write_klp_relocations(module, arch, conversions);
	if (!stats)
		return stats.take_error();
	drop_intermediates(module, conversions);
	return write_module(module, opts);
}

std::string describe(const elf::Section &sec)
{
	return fmt::format("section {} ({})", sec.index, sec.name);
}

std::string describe(const elf::Symbol &sym)
{
	return fmt::format("symbol {} ({})", sym.index, sym.name);
}

} // namespace klp::convert
