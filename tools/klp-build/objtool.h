// objtool where kbuild runs it on a link, not on the object (objtool.cc): the rule,
// kbuild's own command for it, and what a run on one object must leave out.
#pragma once

#include "buildroot.h"

#include "klp_build.h"

#include <map>
#include <string>
#include <vector>

namespace klp::build {

struct ObjtoolChoice {
	bool run = false; // klp-build runs objtool on both copies before the diff
	bool module = false; // as on a module's link (objtool --module)
	std::string why;
};

// Whether kbuild gave this object's code objtool's output only on a link (vmlinux.o,
// a multi-object module), from the target's .config and the object's parent.
ObjtoolChoice choose_objtool(const std::map<std::string, std::string> &config, const ObjectPair &pair);

// kbuild's objtool command, "$(objtool) $(objtool-args)" of scripts/Makefile.lib, as
// it is for an object of kbuild directory `obj_dir` (an external module's directory
// with `extmod`), with --module for a module's part. Run from `make_dir`.
Expected<std::vector<std::string>> ask_objtool_command(const std::string &make_dir,
						       const std::string &obj_dir, bool extmod,
						       const std::vector<std::string> &make_vars, bool module,
						       const BuildRoot &root = {});

// Removes .ibt_endbr_seal (and its relocations) from an object objtool ran on alone:
// which ENDBRs may be sealed is a question about the whole link.
Expected<void> drop_endbr_seal(const std::string &object);

} // namespace klp::build
