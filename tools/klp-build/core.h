// Which livepatch core a module is built for (core.cc): the decision from the
// target's config alone, apart from the pass, so that the tests can ask it.
#pragma once

#include "klp_build.h"

#include <map>
#include <string>
#include <vector>

namespace klp::build {

using Config = std::map<std::string, std::string>;

// "auto", "kernel", "bundled": what --core and the -K key core= take.
bool valid_core_request(const std::string &asked);

// The options klpkit-core.ko needs that the config does not set, in the order of
// the requirements; an alternative reads "CONFIG_DYNAMIC_FTRACE_WITH_REGS or
// CONFIG_DYNAMIC_FTRACE_WITH_ARGS".
std::vector<std::string> bundled_core_missing(const Config &config);

// Why klpkit-core.ko cannot run on the target, one line; "" if it can.
std::string bundled_core_unavailable(const Config &config);

// The core for `asked` on a target whose config (read from `config_path`) is
// `config`: a choice with its reason, or a refusal that names what is missing.
Status choose_core(const std::string &asked, const Config &config, const std::string &config_path,
		   CoreChoice &out);

} // namespace klp::build
