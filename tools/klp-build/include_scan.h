// Which sources of a kernel tree include changed headers, read from the sources'
// own #include lines (include_scan.cc): the candidates a header-coupled patch
// recompiles in a tree without a build, instead of the whole kernel.
#pragma once

#include <set>
#include <string>
#include <vector>

namespace klp::build {

struct IncludeScan {
	// The .c files (tree-relative) that include one of the headers, directly or
	// through other headers, in some configuration: `#if` is not evaluated, so
	// this is a superset of what any one config compiles; kbuild and the compiler
	// narrow it down.
	std::vector<std::string> sources;
	size_t files_read = 0;
};

// `arch` is the tree's arch/ directory of the target ("x86"): its include
// directories come first, as kbuild's -I order has them. `headers` are
// tree-relative ("include/linux/skbuff.h", "net/ipv4/tcp_impl.h").
IncludeScan scan_includers(const std::string &tree, const std::string &arch,
			   const std::set<std::string> &headers);

} // namespace klp::build
