// The cache of original objects (<cache>/objects/<key>/): an object compiled from
// the unpatched tree, keyed by its path, the tree's .config, the compiler and the
// make variables, and valid only while every file it was built from (kbuild's
// dependency record) still has the content it had. A targeted build then compiles
// only the patched side of a second run.
#pragma once

#include "klp_build.h"

namespace klp::build {

// Copies the cached object (and its .cmd) to `object`/`cmd` and returns true on a
// valid hit; false on a miss.
bool cache_fetch(const Options &opts, const KernelRun &run, const std::string &rel,
		 const std::string &object, const std::string &cmd);
// Stores a freshly built original (the tree must still be unpatched).
Expected<void> cache_store(const Options &opts, const KernelRun &run, const std::string &rel,
			   const std::string &object, const std::string &cmd);

} // namespace klp::build
