// Fuzz target: klp-convert on a module, in-process (convert.h, target.h): the
// conversion for the kernel's livepatch core and for the bundled core, then the
// verifier (--check) on the input. Oracle beyond the sanitizers: what the converter
// wrote, the verifier reads (it may list problems, but not call it malformed).
//
// The target kernel is tests/klp-convert's fixture kernel (vmlinux with two static
// dup_helper, modules btrfs, fat and vfat): the map `klp-convert symbols` writes of
// it, given to every conversion as --symbols so that unannotated references resolve.
#include "support.h"

#include "convert.h"
#include "symbol_map.h"
#include "target.h"

using namespace klp;

namespace {

constexpr std::string_view fixture_kernel_map = R"(klp-convert-symbols 1
object vmlinux
sym __bss_start 0 B -
sym __fentry__ 0 B -
sym __ksymtab__printk 0 d vmlinux_a.c
sym _edata 0 D -
sym _end 0 B -
sym _printk 0 T -
sym _start 0 T -
sym dup_a 0 T -
sym dup_b 0 T -
sym dup_helper 1 t vmlinux_a.c
sym dup_helper 2 t vmlinux_b.c
sym secret_counter 0 B -
sym shared_name 0 d vmlinux_a.c
object btrfs
sym btrfs_entry 0 T -
sym btrfs_local 0 t btrfs.c
sym btrfs_table 0 d btrfs.c
sym name 0 r btrfs.c
sym shared_name 0 d btrfs.c
object fat
sym fat_build_inode 0 T -
sym fat_inodes 0 b fat.c
sym name 0 r fat.c
object vfat
sym depends 0 r vfat.c
sym name 0 r vfat.c
sym vfat_create 0 T -
sym vfat_creates 0 b vfat.c
export __fentry__ vmlinux
export _printk vmlinux
export btrfs_entry btrfs
export fat_build_inode fat
)";

fuzz::MemFile input("module.ko"), map_file("symbols.klp");
fuzz::ScratchDir scratch;

const convert::SymbolMap &target()
{
	static convert::SymbolMap map = [] {
		auto read = convert::SymbolMap::read(map_file.set(fixture_kernel_map));
		if (!read)
			fuzz::fail("the fixture kernel's map", read.error().message());
		return std::move(*read);
	}();
	return map;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const std::string &module = input.set({data, size});
	for (convert::Core core : {convert::Core::kernel, convert::Core::bundled}) {
		convert::ConvertOptions o;
		o.input = module;
		o.output = scratch.file(core == convert::Core::kernel ? "kernel.ko" : "bundled.ko");
		o.symbols = map_file.path();
		o.core = core;
		if (auto converted = convert::convert_module(o); !converted) {
			fuzz::check_error(converted.error());
			continue;
		}
		auto problems = convert::check_module(o.output, target());
		if (!problems)
			fuzz::fail("the verifier refuses what the converter wrote",
				   problems.error().message());
	}
	auto problems = convert::check_module(module, target());
	if (!problems)
		fuzz::check_error(problems.error());
	return 0;
}
