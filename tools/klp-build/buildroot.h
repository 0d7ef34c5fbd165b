// Build roots: a Debian system of the target's own suite (bullseye for 5.10, sid for
// 7.2), in which klp-build runs kbuild, the compiler and objtool, so that one host
// builds livepatches for kernels whose compiler it does not have. klpkit's own tools
// run on the host. A root is made once with debootstrap and reused; commands enter it
// with bubblewrap, with the directories a build touches shown at their own paths.
#pragma once

#include "arch/arch.h"

#include "elf/error.h"

#include <optional>
#include <string>
#include <vector>

namespace klp::build {

// Which Debian suite ships the compiler a kernel was built with, by its
// CONFIG_CC_VERSION_TEXT ("gcc-10 (Debian 10.2.1-6) 10.2.1 20210110" -> bullseye).
struct SuiteCompiler {
	const char *suite;
	int gcc_major; // the suite's gcc-N that Debian builds its kernels with
};
// Every suite klpkit makes roots of, oldest first.
const std::vector<SuiteCompiler> &build_root_suites();
// The suite for a compiler text; an error names what is not supported (clang, a gcc
// no Debian suite holds).
Expected<std::string> suite_for_compiler(const std::string &cc_version_text);
std::optional<SuiteCompiler> find_suite(const std::string &suite);

// What a root holds, from the record debootstrap-ing it left (DIR/.klpkit-buildroot).
struct BuildRoot {
	std::string dir; // absolute
	std::string suite;
	std::vector<std::string> binds; // host directories shown at their own path inside

	bool empty() const { return dir.empty(); }
	// argv run inside the root, in `cwd` (empty: /).
	std::vector<std::string> wrap(const std::vector<std::string> &argv, const std::string &cwd = "") const;
	// An executable's path inside the root ("gcc-12" -> DIR/usr/bin/gcc-12), or "".
	std::string find_program(const std::string &prog) const;
	// Shows `path` (a directory) inside the root at its own path; the directories a
	// kernel build reads and writes. System directories of the root are never
	// covered ("/", "/usr", "/usr/lib": those are the root's own).
	void bind(const std::string &path);
};

// <cache>/buildroots/<suite>, or <suite>-<debian arch> for a target of another
// architecture than the host's (a root with that arch's cross compiler too).
std::string default_build_root(const std::string &cache_dir, const std::string &suite,
			       const arch::Arch *target = nullptr);
// Opens the root at `dir`, made for `suite` (empty: whatever it was made for).
Expected<BuildRoot> open_build_root(const std::string &dir, const std::string &suite = "");
// Makes a root of `suite` at `dir` (debootstrap --variant=buildd, then the kernel build
// tools and the suite's gcc, and its cross gcc for `target` when that is another
// architecture than the host's: gcc-16-aarch64-linux-gnu), unless one is there
// already; `log` gets the output. Needs root and debootstrap; nothing is left at
// `dir` when it fails.
Expected<BuildRoot> make_build_root(const std::string &dir, const std::string &suite, const std::string &log,
				    bool echo, const arch::Arch *target = nullptr);

} // namespace klp::build
