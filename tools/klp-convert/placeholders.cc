// Finds create-diff-object's placeholder symbols in a linked module and reads what
// each designates, and which object's `.klp.rela` section its relocations go in. It
// checks the placeholder contract; it changes nothing.
#include "convert.h"

namespace klp::convert {

Expected<std::vector<Conversion>> find_placeholders(const elf::Object &obj)
{
	std::vector<Conversion> found;
	for (const auto &sym : obj.symbols) {
		if (sym->removed || !is_placeholder_name(sym->name))
			continue;
		// Defined in .klpkit.placeholders, so that modpost and `ld -r` keep the
		// relocation against it (docs/intermediate-format.md).
		if (!sym->sec || sym->sec->name != placeholder_section)
			return make_error("{}: {}: a placeholder must be defined in {}", obj.path,
					  describe(*sym), placeholder_section);
		PlaceholderTarget target;
		if (auto problem = parse_placeholder(sym->name, target))
			return make_error("{}: {}: {}", obj.path, describe(*sym), *problem);
		auto sec_objname = sec_objname_for(target.code_objname, target.sym.objname);
		if (!sec_objname)
			return make_error("{}: {}: {}", obj.path, describe(*sym),
					  sec_objname.error().message());
		found.push_back({sym.get(), std::move(target.sym), std::move(*sec_objname)});
	}
	return found;
}

} // namespace klp::convert
