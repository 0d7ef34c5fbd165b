// Parses and spells livepatch symbol and section names and checks them against the
// kernel's limits. It does not look at ELF files or symbol tables.
#include "livepatch/names.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

namespace klp::livepatch {

std::optional<std::string> check_objname(std::string_view objname)
{
	if (objname.empty())
		return "the object name is empty";
	if (objname.size() > max_objname_len)
		return fmt::format("object name '{}' has {} characters; the kernel reads at most {}",
				   objname, objname.size(), max_objname_len);
	if (objname.find('.') != std::string_view::npos)
		return fmt::format("object name '{}' contains '.', which ends it for the kernel",
				   objname);
	// kbuild spells KBUILD_MODNAME with '_' for '-': module "nf-foo" is "nf_foo".
	if (objname.find('-') != std::string_view::npos)
		return fmt::format("object name '{}' contains '-'; the kernel calls that module '{}'",
				   objname, [&] {
					   std::string fixed(objname);
					   for (char &c : fixed)
						   if (c == '-')
							   c = '_';
					   return fixed;
				   }());
	return std::nullopt;
}

std::optional<std::string> check_symname(std::string_view name)
{
	if (name.empty())
		return "the symbol name is empty";
	if (name.size() > max_symname_len)
		return fmt::format("symbol name '{:.40}...' has {} characters; the kernel reads at "
				   "most {}",
				   name, name.size(), max_symname_len);
	if (name.find(',') != std::string_view::npos)
		return fmt::format("symbol name '{}' contains ',', which ends it for the kernel",
				   name);
	return std::nullopt;
}

namespace {

// "<objname>.<name>,<sympos>", the tail of `full`.
std::optional<std::string> parse_symbol_part(std::string_view full, std::string_view rest,
					     KlpSymbol &out)
{
	size_t dot = rest.find('.');
	if (dot == std::string_view::npos)
		return fmt::format("'{}' has no '.' after the object name", full);
	size_t comma = rest.find(',', dot + 1);
	if (comma == std::string_view::npos)
		return fmt::format("'{}' has no ',<sympos>'", full);
	std::string_view pos = rest.substr(comma + 1);
	uint64_t sympos = 0;
	auto [end, ec] = std::from_chars(pos.data(), pos.data() + pos.size(), sympos);
	if (pos.empty() || ec != std::errc() || end != pos.data() + pos.size())
		return fmt::format("'{}': sympos '{}' is not a decimal number", full, pos);
	out.objname = rest.substr(0, dot);
	out.name = rest.substr(dot + 1, comma - dot - 1);
	out.sympos = sympos;
	if (auto problem = check_objname(out.objname))
		return fmt::format("'{}': {}", full, *problem);
	if (auto problem = check_symname(out.name))
		return fmt::format("'{}': {}", full, *problem);
	return std::nullopt;
}

} // namespace

std::optional<std::string> parse_klp_symbol(std::string_view full, std::string_view prefix,
					    KlpSymbol &out)
{
	if (!full.starts_with(prefix))
		return fmt::format("'{}' does not start with '{}'", full, prefix);
	return parse_symbol_part(full, full.substr(prefix.size()), out);
}

bool is_placeholder_name(std::string_view name)
{
	return name.starts_with(placeholder_prefix) || name.starts_with(legacy_placeholder_prefix);
}

std::string placeholder_name(const PlaceholderTarget &target)
{
	return fmt::format("{}{}.{}.{},{}", placeholder_prefix, target.code_objname,
			   target.sym.objname, target.sym.name, target.sym.sympos);
}

std::optional<std::string> parse_placeholder(std::string_view full, PlaceholderTarget &out)
{
	if (full.starts_with(legacy_placeholder_prefix)) {
		std::string_view rest = full.substr(legacy_placeholder_prefix.size());
		auto problem = parse_symbol_part(full, rest, out.sym);
		out.code_objname = out.sym.objname;
		return problem;
	}
	if (!full.starts_with(placeholder_prefix))
		return fmt::format("'{}' does not start with '{}'", full, placeholder_prefix);
	std::string_view rest = full.substr(placeholder_prefix.size());
	size_t dot = rest.find('.');
	if (dot == std::string_view::npos)
		return fmt::format("'{}' has no '.' after the code's object name", full);
	out.code_objname = rest.substr(0, dot);
	if (auto problem = check_objname(out.code_objname))
		return fmt::format("'{}': {}", full, *problem);
	return parse_symbol_part(full, rest.substr(dot + 1), out.sym);
}

Expected<std::string> sec_objname_for(std::string_view code_objname, std::string_view sym_objname)
{
	if (sym_objname == "vmlinux")
		return std::string("vmlinux");
	if (code_objname == "vmlinux")
		return make_error("vmlinux code cannot refer to a symbol of module {}: vmlinux's "
				  "livepatch relocations are applied when the patch module loads, "
				  "whether or not {} is loaded",
				  sym_objname, sym_objname);
	return std::string(code_objname);
}

std::string klp_sym_name(const KlpSymbol &sym)
{
	return fmt::format("{}{}.{},{}", klp_sym_prefix, sym.objname, sym.name, sym.sympos);
}

std::string klp_rela_name(std::string_view objname, std::string_view target_section)
{
	return fmt::format("{}{}.{}", klp_rela_prefix, objname, target_section);
}

bool applied_after_init(std::string_view target, std::string_view objname)
{
	return target.starts_with(".init") && objname != "vmlinux";
}

std::optional<std::string> klp_rela_objname(std::string_view section_name)
{
	if (!section_name.starts_with(klp_rela_prefix))
		return std::nullopt;
	std::string_view rest = section_name.substr(klp_rela_prefix.size());
	size_t dot = rest.find('.');
	if (dot == std::string_view::npos || dot == 0)
		return std::nullopt;
	return std::string(rest.substr(0, dot));
}

std::string kernel_module_name(std::string_view name)
{
	std::string out(name);
	std::replace(out.begin(), out.end(), '-', '_');
	return out;
}

bool depends_on_klpkit_core(std::string_view depends)
{
	std::string list = "," + std::string(depends) + ",";
	return list.find(",klpkit-core,") != std::string::npos || list.find(",klpkit_core,") != std::string::npos;
}

} // namespace klp::livepatch
