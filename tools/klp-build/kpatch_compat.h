// kpatch-build's command line on klp-build: `kpatch-build -s SRC -c CONFIG -v VMLINUX
// fix.patch` and the other options its users script, translated into klp-build's
// arguments. What klp-build does differently is said in a note; what it cannot do
// (RPM sources, another compiler than the target's) is an error naming the option.
#pragma once

#include "elf/error.h"

#include <functional>
#include <string>
#include <vector>

namespace klp::build {

struct KpatchTranslation {
	std::vector<std::string> args; // klp-build's, without argv[0]
	std::vector<std::string> notes; // what differs from kpatch-build, one line each
	bool help = false; // -h: print kpatch_usage() and stop
};

// What kpatch-build would look for on the build machine.
struct KpatchHost {
	std::string running_release; // uname -r: kpatch-build's default -a
	std::function<bool(const std::string &)> exists; // a regular file at this path
};

// Translates kpatch-build's arguments (argv[1..]); an error names the option.
Expected<KpatchTranslation> translate_kpatch_build(const std::vector<std::string> &args,
						   const KpatchHost &host);
std::string kpatch_usage();

} // namespace klp::build
