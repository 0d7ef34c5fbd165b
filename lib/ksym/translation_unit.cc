// Describes a translation unit for duplicate resolution from its relocatable object
// (orig.o): its file name and the functions and objects it defines. It does not
// look at any kernel object.
#include "elf/object.h"
#include "ksym/sympos.h"

namespace klp::ksym {

TranslationUnit TranslationUnit::from_object(const elf::Object &obj)
{
	TranslationUnit tu;
	for (size_t i = 1; i < obj.symbols.size(); i++) {
		const elf::Symbol &sym = *obj.symbols[i];
		if (sym.removed || sym.name.empty())
			continue;
		if (sym.is_file()) {
			if (tu.file.empty())
				tu.file = sym.name;
			continue;
		}
		if (!sym.sec || !(sym.is_func() || sym.is_object()))
			continue;
		tu.symbols.push_back({sym.name, sym.sec->name, sym.bind});
	}
	return tu;
}

const TuSymbol *TranslationUnit::find(std::string_view name) const
{
	for (const TuSymbol &sym : symbols)
		if (sym.name == name)
			return &sym;
	return nullptr;
}

} // namespace klp::ksym
