// The cache of original objects (<cache>/objects/<key>/): an object compiled from
// the unpatched tree, keyed by its path, the tree's .config, the compiler and the
// make variables, and valid only while every file it was built from (kbuild's
// dependency record) still has the content it had. A targeted build then compiles
// only the patched side of a second run.
#pragma once

#include "klp_build.h"

#include <optional>

namespace klp::build {

// Copies the cached object (and its .cmd) to `object`/`cmd` and returns true on a
// valid hit; false on a miss.
bool cache_fetch(const Options &opts, const KernelRun &run, const std::string &rel,
		 const std::string &object, const std::string &cmd);
// Stores a freshly built original (the tree must still be unpatched).
Expected<void> cache_store(const Options &opts, const KernelRun &run, const std::string &rel,
			   const std::string &object, const std::string &cmd);
// The proof of the entry's recorded command (replay.h): true when it gave the
// entry's object, false when it did not, nothing when it was never tried (or the
// record is stale). The record of a proof is the hash of the object it gave.
std::optional<bool> cache_replay_proof(const Options &opts, const KernelRun &run, const std::string &rel);
Expected<void> cache_store_replay_proof(const Options &opts, const KernelRun &run, const std::string &rel,
					bool proven);

} // namespace klp::build
