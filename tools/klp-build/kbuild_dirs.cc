// Asking kbuild which objects a directory builds (make on scripts/Makefile.build,
// nothing compiled) and finding the directory that builds a given object. Grepping
// Makefiles misses what kbuild understands: `\` continuations, objects in
// subdirectories (`kvm-amd-y += svm/nested.o`), variables (`$(AMDDALPATH)`), included
// makefiles and CONFIG_ values. Choosing targets from the answer is targets.cc's job.
#include "kbuild_dirs.h"

#include "proc/process.h"

#include <fmt/format.h>

#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <sstream>

namespace fs = std::filesystem;

namespace klp::build {
namespace {

std::string normal(const std::string &path) { return fs::path(path).lexically_normal().string(); }

std::string parent_of(const std::string &dir)
{
	auto slash = dir.rfind('/');
	return slash == std::string::npos ? std::string() : dir.substr(0, slash);
}

std::vector<std::string> words(std::string_view text)
{
	std::vector<std::string> out;
	std::istringstream in{std::string(text)};
	std::string w;
	while (in >> w)
		out.push_back(w);
	return out;
}

// Each directory asked once per search; directories without a kbuild file, or whose
// kbuild file cannot be read on its own, answer nothing.
class Search {
public:
	Search(const std::string &tree, const std::string &object, const AskKbuild &ask)
		: tree_(tree), object_(object), ask_(ask)
	{
	}

	const KbuildDir *dir(const std::string &d)
	{
		auto it = cache_.find(d);
		if (it == cache_.end()) {
			std::optional<KbuildDir> answer;
			std::error_code ec;
			if (fs::exists(tree_ + "/" + d + "/Kbuild", ec) || fs::exists(tree_ + "/" + d + "/Makefile", ec))
				if (auto k = ask_(d))
					answer = std::move(*k);
			it = cache_.emplace(d, std::move(answer)).first;
		}
		return it->second ? &*it->second : nullptr;
	}

	// kbuild's name for the object, if `k` lists it.
	std::optional<std::string> goal_in(const KbuildDir &k) const
	{
		for (const auto &o : k.objects)
			if (normal(o) == object_)
				return o;
		return std::nullopt;
	}

private:
	const std::string &tree_;
	const std::string &object_;
	const AskKbuild &ask_;
	std::map<std::string, std::optional<KbuildDir>> cache_;
};

} // namespace

Expected<KbuildDir> ask_kbuild(const std::string &tree, const std::vector<std::string> &make_vars,
			       const std::string &dir,
			       const BuildRoot &root)
{
	// kbuild's lists are complete only once every makefile is read; a recipe is
	// expanded after that, so the query is a goal whose recipe prints them. The
	// names changed in 4.19 (real-objs-y -> real-obj-y); the old ones expand empty
	// on new kernels and the other way round. From 6.13 the kbuild file is read
	// from $(srcroot)/$(obj) (srcroot is set by the top Makefile, which is skipped).
	static const std::string query =
		"klp-build-query: ; $(info objects $(real-obj-y) $(real-obj-m) $(real-objs-y) $(real-objs-m) $(lib-y))"
		"$(info subdirs $(subdir-ym))@:";
	std::vector<std::string> argv = {"make", "-C", tree, "-s", "--no-print-directory",
					 "-f", "scripts/Makefile.build", "obj=" + dir, "srctree=.", "srcroot=.",
					 "objtree=.", "need-builtin=1", "need-modorder=1"};
	// For the cc-option tests some kbuild files make while they are read.
	argv.insert(argv.end(), make_vars.begin(), make_vars.end());
	argv.insert(argv.end(), {"--eval=" + query, "klp-build-query"});
	auto out = capture(root.empty() ? argv : root.wrap(argv));
	if (!out)
		return make_error("{}: kbuild cannot read its kbuild file on its own: {}", dir,
				  out.error().message());
	KbuildDir k;
	bool objects = false, subdirs = false;
	std::istringstream in(*out);
	std::string line;
	while (std::getline(in, line)) {
		if (line.starts_with("objects")) {
			k.objects = words(std::string_view(line).substr(7));
			objects = true;
		} else if (line.starts_with("subdirs")) {
			k.subdirs = words(std::string_view(line).substr(7));
			subdirs = true;
		}
	}
	if (!objects || !subdirs)
		return make_error("{}: no answer from kbuild for {} (not a kernel tree?)", tree, dir);
	return k;
}

AskKbuild cached_ask_kbuild(const std::string &tree, const std::vector<std::string> &make_vars,
			    const BuildRoot &root)
{
	auto answers = std::make_shared<std::map<std::string, Expected<KbuildDir>>>();
	return [tree, make_vars, root, answers](const std::string &dir) -> Expected<KbuildDir> {
		auto it = answers->find(dir);
		if (it == answers->end())
			it = answers->emplace(dir, ask_kbuild(tree, make_vars, dir, root)).first;
		return it->second;
	};
}

std::optional<KbuildOwner> find_kbuild_owner(const std::string &tree, const std::string &object,
					     const AskKbuild &ask, std::string &why)
{
	Search search(tree, object, ask);
	// The object's directory and those above it, deepest first:
	// arch/x86/kvm/svm, arch/x86/kvm, arch/x86, arch.
	std::vector<std::string> above;
	for (std::string d = parent_of(object); !d.empty(); d = parent_of(d))
		above.push_back(d);
	std::set<std::string> on_path(above.begin(), above.end());

	for (size_t i = 0; i < above.size(); i++) {
		const KbuildDir *k = search.dir(above[i]);
		if (!k)
			continue;
		// `kvm-amd-y += svm/nested.o` in arch/x86/kvm (svm/ has no Makefile);
		// `libxfs/xfs_ag.o` in fs/xfs.
		if (auto goal = search.goal_in(*k))
			return KbuildOwner{above[i], *goal, object};
		if (i == 0)
			continue;
		// A directory this one enters, beside the object's path, may reach the
		// object through "..": drivers/gpu/drm enters amd/amdgpu, whose Makefile
		// builds ../display/dc/core/dc.o (drivers/gpu/drm/amd/display has no
		// kbuild file of its own). Only directories under the next one down the
		// object's path (here drivers/gpu/drm/amd) are looked at.
		std::string under = above[i - 1] + "/";
		std::deque<std::string> queue;
		std::set<std::string> seen;
		auto enqueue = [&](const KbuildDir &from) {
			for (const auto &s : from.subdirs) {
				std::string n = normal(s);
				if (n.starts_with(under) && !on_path.count(n) && seen.insert(n).second)
					queue.push_back(n);
			}
		};
		enqueue(*k);
		while (!queue.empty()) {
			std::string d = queue.front();
			queue.pop_front();
			const KbuildDir *beside = search.dir(d);
			if (!beside)
				continue;
			if (auto goal = search.goal_in(*beside))
				return KbuildOwner{d, *goal, object};
			enqueue(*beside);
		}
	}
	why = fmt::format("kbuild lists no {} in {} or a directory above it (not enabled in this config?)",
			  object, parent_of(object).empty() ? "." : parent_of(object));
	return std::nullopt;
}

std::string goal_directory(const std::string &goal)
{
	std::string dir = parent_of(goal);
	if (auto up = dir.find("/.."); up != std::string::npos)
		dir.resize(up);
	return dir;
}

std::optional<std::string> entered_twice(const std::string &dir, const AskKbuild &ask)
{
	std::string target = normal(dir);
	for (std::string above = parent_of(target); !above.empty(); above = parent_of(above)) {
		auto k = ask(above);
		if (!k)
			continue;
		std::vector<std::string> toward;
		for (const auto &s : k->subdirs) {
			std::string n = normal(s);
			if (n == target || target.starts_with(n + "/"))
				toward.push_back(n);
		}
		if (toward.size() > 1)
			return fmt::format("{} enters {} and {}", above, toward[0], toward[1]);
	}
	return std::nullopt;
}

std::optional<std::string> not_entered_by(const std::string &dir, const AskKbuild &ask)
{
	std::string target = normal(dir);
	std::optional<std::string> nearest;
	while (!target.starts_with("arch/") && target.find('/') != std::string::npos) {
		std::string via;
		for (std::string above = parent_of(target); !above.empty() && via.empty(); above = parent_of(above)) {
			auto k = ask(above);
			if (!k)
				continue;
			if (!nearest)
				nearest = above;
			for (const auto &s : k->subdirs) {
				std::string n = normal(s);
				// Entered, directly or through a directory without a kbuild
				// file that answers (drivers/gpu/drm enters amd/amdgpu).
				if (n == target || (target.starts_with(n + "/") && !ask(n)))
					via = above;
			}
		}
		if (via.empty())
			return nearest;
		target = via;
		nearest.reset();
	}
	return std::nullopt;
}

} // namespace klp::build
