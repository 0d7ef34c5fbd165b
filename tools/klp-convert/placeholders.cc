// Finds create-diff-object's placeholder symbols in a linked module and reads what
// each designates. It checks the placeholder contract; it changes nothing.
#include "convert.h"

namespace klp::convert {

Expected<std::vector<Conversion>> find_placeholders(const elf::Object &obj)
{
	std::vector<Conversion> found;
	for (const auto &sym : obj.symbols) {
		if (sym->removed || !sym->name.starts_with(placeholder_prefix))
			continue;
		// Defined in .klpkit.placeholders, so that modpost and `ld -r` keep the
		// relocation against it (docs/intermediate-format.md).
		if (!sym->sec || sym->sec->name != placeholder_section)
			return make_error("{}: {}: a placeholder must be defined in {}", obj.path,
					  describe(*sym), placeholder_section);
		Conversion conv;
		conv.from = sym.get();
		if (auto problem = parse_klp_symbol(sym->name, placeholder_prefix, conv.to))
			return make_error("{}: {}: {}", obj.path, describe(*sym), *problem);
		found.push_back(std::move(conv));
	}
	return found;
}

} // namespace klp::convert
