// How klp-build runs kbuild: the same make variables for every make in a source tree
// (CC, KERNELRELEASE, KCFLAGS with -ffunction-sections -fdata-sections), logs under
// the work directory, and a failure message that shows the end of the log.
#pragma once

#include "klp_build.h"
#include "proc/process.h"

namespace klp::build {

// KCFLAGS for every object klp-build compiles: one section per function and object.
inline constexpr const char *klp_kcflags = "-ffunction-sections -fdata-sections";

// argv as it runs in the kernel's build root (unchanged without one), in `cwd`.
std::vector<std::string> in_root(const KernelRun &run, const std::vector<std::string> &argv,
				 const std::string &cwd = "");
std::string log_path(const KernelRun &run, const std::string &name);
// The variables every make of the target gets: CC=, and for a target of another
// architecture than the host's ARCH= and CROSS_COMPILE= (run.cross, from lib/arch).
std::vector<std::string> kbuild_vars(const KernelRun &run);
// make -C DIR -jN CC=.. [KERNELRELEASE=..] KCFLAGS=.. GOALS..., logging to LOG_NAME.log.
Command tree_make(const Options &opts, const KernelRun &run, const std::string &dir,
		  const std::vector<std::string> &goals, const std::string &log_name,
		  bool set_release = true);
// make -C HEADERS M=DIR ... for an external module (no KERNELRELEASE: the headers say).
Command module_make(const Options &opts, const KernelRun &run, const std::string &dir,
		    const std::vector<std::string> &args, const std::string &log_name);
// The patched build's make also finds kmod-template's headers, for `#include
// "kpatch-macros.h"` (or "klp-macros.h") in a patched file: KCFLAGS gets -idirafter
// the template directory, searched after every directory of the kernel's own so that
// it shadows no kernel header. For the bundled core it also gets
// -DKLPKIT_CORE_BUNDLED=1, with which klp-macros.h maps the kernel's livepatch API
// (klp_shadow_get, ...) onto klpkit-core.ko's. The original sources include none of
// the template's headers, so neither flag changes what they compile to, and the
// original build (and its cache key) stays as it is. A directory whose path make
// would split (blanks) is left out, with a warning.
Command with_patched_flags(const Options &opts, KernelRun &run, Command cmd);
// Those flags alone (" -idirafter DIR ..."; empty when there are none).
std::string patched_flags(const Options &opts, KernelRun &run);
// Runs the command; a failure becomes a Stop that names the command and shows the
// last lines of its log (all of its output was on the terminal with -v).
Status run_step(const Options &opts, const Command &cmd, const std::string &what,
		const std::string &kind = "build-failed");

} // namespace klp::build
