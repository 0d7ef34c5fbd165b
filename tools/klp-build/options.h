// The command line of klp-build (options.cc).
#pragma once

#include "klp_build.h"

namespace klp::build {

struct ParsedOptions {
	Options options;
	std::string help; // non-empty: print it and exit 0
};

Expected<ParsedOptions> parse_options(int argc, char **argv);

} // namespace klp::build
