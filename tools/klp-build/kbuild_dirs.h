// Which kbuild directory builds a source file, asked of kbuild itself: make reads a
// directory's Kbuild/Makefile the way the build does (continuation lines, variables,
// includes, CONFIG_ values) and prints its object lists; nothing is compiled. The
// search over directories is here; what to do with the answer is targets.cc's.
#pragma once

#include "buildroot.h"
#include "elf/error.h"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace klp::build {

// One directory as kbuild sees it, in kbuild's own names (tree-relative, "..": kept):
// the objects it builds, composite objects expanded into their parts
// (`kvm-amd-y += svm/nested.o` in arch/x86/kvm -> "arch/x86/kvm/svm/nested.o"), and
// the directories it descends into.
struct KbuildDir {
	std::vector<std::string> objects;
	std::vector<std::string> subdirs;
};

// Answers for one directory ("arch/x86/kvm"); an error when its kbuild file cannot be
// read on its own (e.g. a Makefile that only a parent's includes).
using AskKbuild = std::function<Expected<KbuildDir>(const std::string &dir)>;

// Runs make on the tree's scripts/Makefile.build for `dir` with `make_vars` (CC=,
// and ARCH=/CROSS_COMPILE= for another architecture: kbuild_vars()) and
// prints the lists (scripts/Makefile.lib's real-obj-y/-m, real-objs-y/-m before
// 4.19, lib-y, and subdir-ym). A lib-y object (lib/cmdline.o) goes into the
// directory's lib.a, which vmlinux links from where it uses it.
// Runs inside `root` when it is not empty.
Expected<KbuildDir> ask_kbuild(const std::string &tree, const std::vector<std::string> &make_vars,
			       const std::string &dir,
			       const BuildRoot &root = {});

// ask_kbuild for `tree`, each directory asked once for the life of the function.
AskKbuild cached_ask_kbuild(const std::string &tree, const std::vector<std::string> &make_vars,
			    const BuildRoot &root = {});

struct KbuildOwner {
	std::string dir; // whose kbuild file lists the object: "arch/x86/kvm"
	std::string goal; // kbuild's name for it, what `make` builds from the top
	std::string object; // the file: `goal` without ".."
};

// The directory that builds `object` ("arch/x86/kvm/svm/nested.o"), searching its own
// directory and those above it, and beside them the directories they enter. Empty,
// with `why` set, when none does or kbuild does not reach the one that does.
std::optional<KbuildOwner> find_kbuild_owner(const std::string &tree, const std::string &object,
					     const AskKbuild &ask, std::string &why);

// The directory make descends to for a goal: the goal's own, or for
// "drivers/gpu/drm/amd/amdgpu/../display/dc/core/dc.o" the one that lists it.
std::string goal_directory(const std::string &goal);

// Whether make, asked for a single object of `dir` from the top, builds `dir` twice
// at once: a directory on the way enters two subdirectories on the object's path
// (drivers/Makefile has `obj-y += char/` and `obj-y += char/ipmi/`; kbuild's
// single-target descent follows both, and with -j2 the two compile the same
// object into the same files). The answer names the directory and the two; none
// when each directory on the way enters one.
std::optional<std::string> entered_twice(const std::string &dir, const AskKbuild &ask);

// Whether this config's kbuild never enters `dir`: the nearest directory above it
// whose kbuild file answers lists no subdirectory toward it (drivers/Makefile has
// `obj-$(CONFIG_OF) += of/`; without CONFIG_OF, drivers/of is not built, though
// its own Makefile lists base.o). The answer names that directory; none when it
// is entered, or when nothing can tell: top-level directories, arch/ (whose
// directories the arch Makefile's core-y/drivers-y/libs-y also add), no kbuild
// file above. Directories may be asked more than once: pass cached_ask_kbuild.
std::optional<std::string> not_entered_by(const std::string &dir, const AskKbuild &ask);

} // namespace klp::build
