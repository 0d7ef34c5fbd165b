// Compiling an object by the command kbuild recorded for it, without make. A `make
// fs/proc/cmdline.o` in a prepared tree first walks `prepare` (objtool,
// resolve_btfids, the generated headers, checksyscalls) and evaluates the top
// Makefile's compiler tests: seconds for one file. The record in fs/proc/.cmdline.o.cmd
// is the whole command kbuild ran for the object (the compiler, and on 6.1+ objtool
// too). Such a command is trusted only once it is proven: run again on the
// unchanged source, it gave kbuild's object byte for byte (the original-object cache
// keeps the proof). Kernels whose rules do more than the recorded command (5.10's
// objtool and modversions steps) fail the proof and keep make.
#pragma once

#include "klp_build.h"
#include "proc/process.h"

#include <optional>
#include <string>

namespace klp::build {

// The shell command of a record's `cmd_`/`savedcmd_` value: kbuild wrote it with `$`
// doubled and `#` as $(pound). Any other make reference is an error.
Expected<std::string> shell_command_of(const std::string &recorded);
// The dependency file the command writes (-Wp,-MMD,<file>), relative to the tree.
std::optional<std::string> depfile_of(const std::string &command);
// The recorded command with `flags` after klp-build's KCFLAGS, where make would put
// them had they been in KCFLAGS; an error when those KCFLAGS are not in it once.
Expected<std::string> with_kcflags_after(const std::string &recorded, const std::string &flags);
// `sh -c COMMAND` in the tree (in the kernel's build root when it has one).
Command replay_command(const Options &opts, const KernelRun &run, const std::string &command,
		       const std::string &log_name);
// kbuild's record of the object the command just built: the tree's fixdep turns the
// compiler's dependency file into it, as kbuild's rule does (and removes the file).
Expected<void> write_record(const KernelRun &run, const std::string &rel, const std::string &recorded,
			    const std::string &cmd_file);
// Removes the dependency file a command left in the tree.
void remove_depfile(const KernelRun &run, const std::string &command);

} // namespace klp::build
