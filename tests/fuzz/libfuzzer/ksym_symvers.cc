// Fuzz target: the Module.symvers parser of lib/ksym (symvers.cc). Oracle beyond the
// sanitizers: every export it lists is found again by its name.
#include "support.h"

#include "ksym/symvers.h"

using namespace klp;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	std::string_view text(reinterpret_cast<const char *>(data), size);
	auto symvers = ksym::Symvers::parse(text, "Module.symvers");
	if (!symvers) {
		fuzz::check_error(symvers.error());
		return 0;
	}
	for (const ksym::Export &e : symvers->exports()) {
		if (!symvers->find(e.name))
			fuzz::fail("an export is not found by its name", e.name);
		(void)ksym::export_type_name(e.type);
	}
	return 0;
}
