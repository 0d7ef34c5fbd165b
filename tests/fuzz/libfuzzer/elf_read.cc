// Fuzz target: the ELF reader and its validation at the door (lib/elf/reader.cc),
// with and without the contents of debug sections, and the writer on what it
// accepted. Oracle beyond the sanitizers: whatever the reader accepts, the writer
// either refuses with an Error or writes a file the reader accepts again.
#include "support.h"

#include "elf/object.h"

using namespace klp;

namespace {

fuzz::MemFile input("elf_read");
fuzz::ScratchDir scratch;

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const std::string &path = input.set({data, size});
	auto symbols_only = elf::Object::read(path, {.skip_debug_contents = true});
	if (!symbols_only)
		fuzz::check_error(symbols_only.error());

	auto obj = elf::Object::read(path);
	if (!obj) {
		fuzz::check_error(obj.error());
		return 0;
	}
	std::string out = scratch.file("out.o");
	if (auto written = (*obj)->write(out); !written) {
		fuzz::check_error(written.error());
		return 0;
	}
	auto again = elf::Object::read(out);
	if (!again)
		fuzz::fail("the reader refuses what the writer wrote", again.error().message());
	return 0;
}
