// Running other programs: make, patch, create-diff-object, klp-convert, QEMU. Output
// goes to a log file (shown only when the command fails) or, with -v, to the
// terminal. It does not interpret what the programs print.
#pragma once

#include "elf/error.h"

#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace klp {

struct Command {
	std::vector<std::string> argv;
	std::string cwd; // empty: ours
	std::vector<std::pair<std::string, std::string>> env; // set in the child
	std::vector<std::string> unset_env; // removed in the child
	std::string log; // stdout+stderr go here (appended); empty: inherit ours
	bool log_header = true; // the log starts with "$ <command line>"
	bool echo = false; // -v: copy the output to our stderr too
	double timeout_seconds = 0; // > 0: stopped (SIGTERM, then SIGKILL) past it
	// Called every 100 ms while the child runs; false stops it as a timeout does
	// (QEMU under KVM that never reaches the guest's first line).
	std::function<bool()> watch;
};

// run()'s status for a child stopped by its time limit or its watcher, as timeout(1).
constexpr int kTimedOut = 124;

// Exit status (0-255), 128+signal for a killed child, -1 if it could not start.
int run(const Command &cmd);
// Runs up to `jobs` at a time; statuses in the order of `cmds`.
std::vector<int> run_parallel(const std::vector<Command> &cmds, unsigned jobs);
// stdout of a command that must succeed (stderr discarded unless it fails); `ok` are
// the exit statuses that count as success (`diff` says 1 for "files differ").
Expected<std::string> capture(const std::vector<std::string> &argv, const std::string &cwd = "",
			      const std::vector<int> &ok = {0});

// Where $PATH has an executable `prog` (a bare name): its path, or "" if nowhere.
std::string find_program(const std::string &prog);
// Whether $PATH has an executable `prog`.
inline bool in_path(const std::string &prog) { return !find_program(prog).empty(); }

// "make -C dir x" as one shell-quoted line, for messages and logs.
std::string shell_line(const std::vector<std::string> &argv);
// The last `lines` lines of a log file, for a failure message.
std::string log_tail(const std::string &path, size_t lines);

// Set by SIGINT/SIGTERM: long steps stop, guards still undo their changes.
bool interrupted();
void install_signal_handlers();

} // namespace klp
