// Fuzz target: the /proc/kallsyms dump parser of lib/ksym (load_kallsyms.cc: vmlinux
// and `[module]` lines), then the sympos queries on what it loaded.
#include "ksym_queries.h"
#include "support.h"

using namespace klp;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ksym::SymbolTable table;
	std::string_view text(reinterpret_cast<const char *>(data), size);
	if (auto loaded = table.add_kallsyms_text(text, "kallsyms"); !loaded) {
		fuzz::check_error(loaded.error());
		return 0;
	}
	fuzz::query_every_symbol(table);
	return 0;
}
