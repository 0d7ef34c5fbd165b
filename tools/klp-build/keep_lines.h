// The patched build's #line step (line_directives.h says why): before the patches
// apply, the name the compiler gives each .c file they change and a copy of it; after,
// one more patch that adds the directives, applied and reverted with the user's
// patches (so a killed run's marker takes it out too). It does not decide where a
// directive goes (line_directives.cc does).
#pragma once

#include "klp_build.h"
#include "patches.h"

#include <map>
#include <string>

namespace klp::build {

struct LineKeeping {
	std::string dir; // where the patches apply
	std::string marker_dir; // AppliedPatches' marker ("" for a scratch copy)
	std::string copies; // the changed .c files as they were before the patches
	std::map<std::string, std::string> names; // file (relative to dir) -> its __FILE__
	std::string patch; // the generated patch
};

// Before the patches: names from the records of the original build (`records_dir`,
// whose sources are relative to `build_dir` or absolute under it), copies into the
// work directory. `as_dir`: the directory the patched build compiles, when it is a
// copy of `build_dir` (out-of-tree mode).
Status prepare_line_directives(const Options &opts, KernelRun &run, const std::string &dir,
			       const std::string &marker_dir, const std::string &records_dir,
			       const std::string &build_dir, const std::string &as_dir,
			       LineKeeping &keep);

// After the patches: the directives, as one more patch in `applied`.
Status add_line_directives(const Options &opts, KernelRun &run, AppliedPatches &applied,
			   const LineKeeping &keep);

} // namespace klp::build
