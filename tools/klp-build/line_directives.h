// #line directives that keep the unchanged code of a patched .c file at its original
// line numbers: after each change the compiler is told the original number of the
// line that follows, so __LINE__ users below a change (WARN_ON, BUG_ON, might_sleep,
// lockdep's checks) compile to the same code as before and never reach the diff. The
// kernel's own klp-build (6.19+) does the same. Text in, text out: which lines changed
// comes from a unified diff of the file (`diff -U0`, or a patch with context), the
// file's name from kbuild's records. Applying the result is patches.cc's business.
#pragma once

#include "elf/error.h"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace klp::build {

// One run of changed lines of a unified diff: `old_count` lines of the original from
// line `old_start` became `new_count` lines from `new_start` (1-based; a count of 0
// means the run sits just after that line, as in "@@ -12,0 +13,2 @@").
struct ChangedLines {
	size_t old_start = 0;
	size_t old_count = 0;
	size_t new_start = 0;
	size_t new_count = 0;
};

// The runs of `-`/`+` lines in the hunks of a unified diff of one file, in order; a
// hunk with context gives one run per group of changes between its context lines.
// File headers and anything outside hunks are skipped.
Expected<std::vector<ChangedLines>> changed_lines(std::string_view diff);

// `#line <line> "<file>"` goes just before line `before` (1-based) of the patched text.
struct LineDirective {
	size_t before = 0;
	size_t line = 0;

	bool operator==(const LineDirective &) const = default;
};

// Where directives go in `patched`, the whole file after the patches, given the runs
// that made it from the original. After each run, before the first following
// unchanged line where a directive is allowed: not a continuation of a line ending in
// `\` (a macro, a string, a // comment), not inside a /* comment */, not inside
// parentheses (a macro's arguments may span lines, `WARN(cond,\n "fmt")`, and a
// directive among them is undefined behaviour). A directive inside #if/#ifdef may be
// skipped by the preprocessor, so one more follows each #else, #elif and #endif that
// closes a group holding one. An error if the runs do not fit the text.
Expected<std::vector<LineDirective>> plan_line_directives(std::string_view patched,
							  const std::vector<ChangedLines> &runs);

// `#line 42 "fs/proc/cmdline.c"`, without the newline.
std::string line_directive(size_t line, std::string_view file);
// `patched` with the directives in.
std::string with_line_directives(std::string_view patched, const std::vector<LineDirective> &dirs,
				 std::string_view file);
// A unified diff (`a/<path>`, `b/<path>`, for patch -p1) that puts the directives into
// `patched`; empty if there are none.
std::string line_directive_patch(std::string_view path, std::string_view patched,
				 const std::vector<LineDirective> &dirs, std::string_view file);

// The name the compiler gives `rel`, a .c file of the source directory `dir`, in
// __FILE__ and therefore in a #line directive: the path kbuild passed it, which its
// records keep as `source_<obj> := <path>` (`sources`, relative to `dir` or absolute):
// "fs/proc/cmdline.c" in a kernel tree, "/home/u/mod/hello.c" for an external module,
// "drivers/gpu/drm/amd/amdgpu/../display/dc/core/dc.c" as amdgpu's Makefile spells
// it. A .c file no record names but a recorded one #includes by a quoted name
// (kernel/sched/rt.c in build_policy.c) is the includer's directory as spelled, a
// `/`, and the included name. Otherwise nothing: no directives for that file. When
// the patched build compiles a copy of `dir` (out-of-tree mode), `as_dir` names the
// copy and replaces `dir` at the front of an absolute name.
std::optional<std::string> compiler_file_name(const std::string &dir, const std::string &rel,
					      const std::vector<std::string> &sources,
					      const std::string &as_dir = "");

} // namespace klp::build
