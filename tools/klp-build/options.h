// The command line of klp-build (options.cc).
#pragma once

#include "klp_build.h"

namespace klp::build {

struct ParsedOptions {
	Options options;
	std::string help; // non-empty: print it and exit 0
	// --make-build-root SUITE: make that root (at --build-root DIR, else in the cache)
	// and exit; no patch is built.
	std::string make_build_root;
};

Expected<ParsedOptions> parse_options(int argc, char **argv);

} // namespace klp::build
