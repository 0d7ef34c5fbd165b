// create-diff-object as a library call: options in, an outcome (or an input error)
// out. main.cc parses the command line; tests and benchmarks call this directly.
#pragma once

#include "diff.h"

namespace klp::cdo {

enum class Outcome { Written, Refused, NoChange };

// kpatch's exit codes: 0 written, 1 error, 2 unreconcilable difference, 3 no change.
int exit_code(Outcome o);
const char *outcome_name(Outcome o);

// Runs every pass; writes opts.output_path only when the outcome is Written, and the
// report (if asked) for every outcome. An Error means bad input (exit 1).
Expected<Outcome> create_diff_object(const Options &opts);

// One line per refusal and warning on stderr, and a one-line summary.
void print_summary(const DiffContext &ctx, Outcome o);

} // namespace klp::cdo
