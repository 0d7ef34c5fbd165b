// The JSON summary of a klp-build run (summary.cc).
#pragma once

#include "klp_build.h"

namespace klp::build {

Expected<void> write_summary(const Options &opts, const std::vector<KernelRun> &runs, Result overall);

} // namespace klp::build
