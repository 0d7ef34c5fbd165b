// `klpkit kallsyms`: a kernel's /proc/kallsyms from one boot under QEMU, with KASLR
// off so that the addresses are the link-time ones (what sympos is counted in and
// klp-build reads). Debian's System.map is a placeholder; this is the symbol table
// of the exact image.
#pragma once

#include "elf/error.h"

#include <string>

namespace klp::klpkit {

struct KallsymsOptions {
	std::string kernel; // a release or an image file
	std::string output; // default: <cache>/debian/<release>/kallsyms
	std::string cache_dir;
	bool force = false; // boot again even if the output is there
	double timeout = 300;
};

struct KallsymsDump {
	std::string path;
	size_t symbols = 0; // 0: taken from the cache
	double seconds = 0;
};

Expected<KallsymsDump> dump_kallsyms(const KallsymsOptions &options);

} // namespace klp::klpkit
