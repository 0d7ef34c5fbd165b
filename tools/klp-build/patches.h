// Source patches: which files a unified diff touches, and applying patches to a tree
// with `patch -p1` so that they are always taken back out, even after a failure or
// Ctrl-C, and, in a shared tree, even after a crash (a marker in the tree lets the
// next run revert them). It does not judge what a patch changes (checks.cc does).
#pragma once

#include "elf/error.h"

#include <string>
#include <vector>

namespace klp::build {

struct FileChange {
	std::string path; // tree-relative (-p1), the new name for a rename
	bool added = false;
	bool deleted = false;
};

struct PatchInfo {
	std::string path;
	std::vector<FileChange> files;
	size_t binary_line = 0; // the first binary change's line (refused by check_patches)
};

Expected<PatchInfo> parse_patch(const std::string &path);

// Patches applied to a directory, reverted (in reverse order) by revert() or the
// destructor. With a marker directory, copies of the applied patches are kept there
// until they are reverted.
class AppliedPatches {
public:
	AppliedPatches() = default;
	AppliedPatches(const AppliedPatches &) = delete;
	AppliedPatches &operator=(const AppliedPatches &) = delete;
	~AppliedPatches();

	// Applies each patch after a dry run; on a failure, reverts those applied and
	// returns the error with patch's own output. `notes` receives "offset"/"fuzz"
	// remarks of a patch that applied with them. A later call adds to the same list
	// (same directory and marker): revert() takes its patches out first.
	Expected<void> apply(const std::string &dir, const std::vector<std::string> &patches,
			     const std::string &marker_dir, const std::string &log,
			     std::vector<std::string> &notes);
	Expected<void> revert();
	// Leaves the patches applied (in a scratch copy nobody else uses).
	void keep() { applied_.clear(); }
	bool active() const { return !applied_.empty(); }

private:
	std::string dir_;
	std::string marker_dir_;
	std::string log_;
	std::vector<std::string> applied_; // patch files (copies in the marker, if any)
};

// A previous run's leftovers in `marker_dir`: reverts them. Returns how many patches
// it reverted; an error if they no longer revert cleanly.
Expected<size_t> revert_stale_patches(const std::string &dir, const std::string &marker_dir,
				      const std::string &log);

} // namespace klp::build
