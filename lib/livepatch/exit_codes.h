// The exit statuses of every klpkit tool (create-diff-object, klp-convert,
// klp-build, kpatch-build, klpkit), one table for all: a script or CI job reads
// them the same way from each. docs/exit-codes.md says what each tool means by them.
#pragma once

namespace klp {

enum ExitCode : int {
	kExitOk = 0, // done: written, built, verified, proved
	kExitError = 1, // an error: unreadable or malformed input, a step that failed, a module not proved
	kExitRefused = 2, // refused: a usage error, or input the tool will not handle (the reason printed)
	kExitNoChange = 3, // no functional change: nothing to livepatch
};

} // namespace klp
