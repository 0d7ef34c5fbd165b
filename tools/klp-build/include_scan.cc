// The include graph of a kernel tree, from the text of its sources: every .c and
// .h under the tree (not tools/, Documentation/, scripts/, samples/, usr/, other
// architectures' arch/ directories or hidden directories) is read for `#include <...>` and `#include "..."`,
// resolved the way kbuild's search path does (the file's own directory for
// quotes, then arch/ARCH/include, its generated/, include/, the uapi
// directories), and the graph is walked backwards from the changed headers.
// Includes spelled through macros (`#include TRACE_INCLUDE(...)`) are not
// followed; the .c that defines CREATE_TRACE_POINTS also includes its trace
// header by name. On Debian's 6.1 tree: 52,000 files, a few seconds.
#include "include_scan.h"

#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <unordered_map>
#include <unordered_set>

namespace fs = std::filesystem;

namespace klp::build {
namespace {

bool skipped_top(const std::string &name)
{
	return name.starts_with(".") || name == "tools" || name == "Documentation" || name == "scripts" ||
	       name == "samples" || name == "usr" || name == "LICENSES";
}

// The name between <> or "" of an #include line, and whether it was quoted.
bool include_of(const std::string &line, std::string &name, bool &quoted)
{
	size_t i = line.find_first_not_of(" \t");
	if (i == std::string::npos || line[i] != '#')
		return false;
	i = line.find_first_not_of(" \t", i + 1);
	if (i == std::string::npos || line.compare(i, 7, "include") != 0)
		return false;
	i = line.find_first_not_of(" \t", i + 7);
	if (i == std::string::npos || (line[i] != '<' && line[i] != '"'))
		return false;
	char close = line[i] == '<' ? '>' : '"';
	size_t end = line.find(close, i + 1);
	if (end == std::string::npos)
		return false;
	quoted = close == '"';
	name = line.substr(i + 1, end - i - 1);
	return true;
}

} // namespace

IncludeScan scan_includers(const std::string &tree, const std::string &arch,
			   const std::set<std::string> &headers)
{
	IncludeScan scan;
	const std::string a = "arch/" + arch + "/include";
	const std::vector<std::string> search = {a, a + "/generated", "include", a + "/uapi",
						 a + "/generated/uapi", "include/uapi", "include/generated/uapi"};
	std::error_code ec;
	// Every file the tree has, to resolve names without asking the filesystem.
	std::unordered_set<std::string> files;
	std::vector<std::string> sources;
	for (auto it = fs::recursive_directory_iterator(tree, fs::directory_options::skip_permission_denied, ec);
	     it != fs::recursive_directory_iterator(); it.increment(ec)) {
		if (ec)
			break;
		std::string rel = it->path().lexically_relative(tree).string();
		if (it.depth() == 0 && it->is_directory(ec) && skipped_top(it->path().filename().string())) {
			it.disable_recursion_pending();
			continue;
		}
		if (it->is_directory(ec) && it->path().filename().string().starts_with(".")) {
			it.disable_recursion_pending();
			continue;
		}
		// Another architecture's code includes the header too
		// (arch/arm64/mm/ptdump.c: linux/ptdump.h), but is never this build's.
		if (it.depth() == 1 && it->is_directory(ec) && rel.starts_with("arch/") &&
		    rel != "arch/" + arch) {
			it.disable_recursion_pending();
			continue;
		}
		auto ext = it->path().extension();
		if (ext == ".h" || ext == ".c") {
			files.insert(rel);
			sources.push_back(rel);
		}
	}
	// Reverse edges: header -> the files that include it.
	std::unordered_map<std::string, std::vector<std::string>> included_by;
	for (const std::string &rel : sources) {
		std::ifstream in(tree + "/" + rel);
		scan.files_read++;
		std::string line, name;
		bool quoted = false;
		std::string dir = fs::path(rel).parent_path().string();
		while (std::getline(in, line)) {
			if (line.find("include") == std::string::npos || !include_of(line, name, quoted))
				continue;
			std::string target;
			if (quoted) {
				std::string local = fs::path(dir.empty() ? name : dir + "/" + name).lexically_normal().string();
				if (files.count(local))
					target = local;
			}
			for (size_t i = 0; target.empty() && i < search.size(); i++) {
				std::string cand = fs::path(search[i] + "/" + name).lexically_normal().string();
				if (files.count(cand))
					target = cand;
			}
			if (!target.empty())
				included_by[target].push_back(rel);
		}
	}
	std::set<std::string> seen(headers.begin(), headers.end()), out;
	std::deque<std::string> todo(headers.begin(), headers.end());
	while (!todo.empty()) {
		std::string h = todo.front();
		todo.pop_front();
		auto it = included_by.find(h);
		if (it == included_by.end())
			continue;
		for (const std::string &user : it->second) {
			if (!seen.insert(user).second)
				continue;
			if (user.ends_with(".c"))
				out.insert(user);
			// A .c included by another .c (kernel/sched/build_policy.c) passes on.
			todo.push_back(user);
		}
	}
	scan.sources.assign(out.begin(), out.end());
	return scan;
}

} // namespace klp::build
