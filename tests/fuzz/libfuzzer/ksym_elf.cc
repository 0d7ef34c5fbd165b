// Fuzz target: the ELF symbol-table loader of lib/ksym (load_elf.cc: which symbols
// kallsyms lists, in which views, with their STT_FILE), then the sympos queries on
// what it loaded (ksym_queries.h).
#include "ksym_queries.h"
#include "support.h"

using namespace klp;

namespace {

fuzz::MemFile input("ksym_elf");

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ksym::SymbolTable table;
	if (auto loaded = table.add_elf(input.set({data, size})); !loaded) {
		fuzz::check_error(loaded.error());
		return 0;
	}
	fuzz::query_every_symbol(table);
	return 0;
}
