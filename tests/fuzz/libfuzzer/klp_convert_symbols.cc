// Fuzz target: klp-convert's symbol map parser (symbols.klp, symbol_map.cc) and the
// queries the converter and the verifier make of a map. Oracle beyond the
// sanitizers: a map read is written and read back.
#include "support.h"

#include "symbol_map.h"

using namespace klp;

namespace {

fuzz::MemFile input("symbols.klp");
fuzz::ScratchDir scratch;

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	auto map = convert::SymbolMap::read(input.set({data, size}));
	if (!map) {
		fuzz::check_error(map.error());
		return 0;
	}
	for (const convert::MapObject &obj : map->objects()) {
		if (map->object(obj.name) != &obj)
			fuzz::fail("an object is not found by its name", obj.name);
		for (const convert::MapSymbol &sym : obj.symbols) {
			(void)obj.check_position(sym.name, sym.sympos);
			(void)map->candidates(sym.name);
			(void)map->exporter(sym.name);
		}
	}
	std::string out = scratch.file("symbols.klp");
	if (auto written = map->write(out); !written) {
		fuzz::check_error(written.error());
		return 0;
	}
	if (auto again = convert::SymbolMap::read(out); !again)
		fuzz::fail("the reader refuses what the writer wrote", again.error().message());
	return 0;
}
