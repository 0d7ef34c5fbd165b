// The work directory's memory for -S/--short-circuit: after each step, what a later
// run needs to start at the next one (the tree, the targets, every object pair and
// its parent) is saved to <work>/state.json; -S STEP loads it back.
#include "klp_build.h"

#include "kbuild.h"

#include <nlohmann/json.hpp>

namespace klp::build {

Expected<void> save_state(const KernelRun &run)
{
	nlohmann::json j;
	j["release"] = run.release;
	j["core"] = core_kind_name(run.core.kind);
	j["tree"] = run.tree;
	j["changed_files"] = run.changed_files;
	j["targets"] = run.targets;
	j["make_goals"] = run.make_goals;
	j["serial_make"] = run.serial_make;
	j["full_build"] = run.full_build;
	auto objects = nlohmann::json::array();
	for (const auto &p : run.objects)
		objects.push_back({{"rel", p.rel},
				   {"orig", p.orig},
				   {"patched", p.patched},
				   {"cmd_file", p.cmd_file},
				   {"changed", p.changed},
				   {"parent", p.parent},
				   {"parent_reason", p.parent_reason},
				   {"single_object_module", p.single_object_module},
				   {"parent_symtab", p.parent_symtab},
				   {"diff", p.diff},
				   {"report", p.report},
				   {"diff_result", p.diff_result}});
	j["objects"] = objects;
	return write_text(run.work + "/state.json",
			  j.dump(1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
}

Expected<void> load_state(KernelRun &run)
{
	std::string path = run.work + "/state.json";
	auto text = read_text(path);
	if (!text)
		return make_error("-S needs the work directory of an earlier run with -T: {}",
				  text.error().message());
	auto j = nlohmann::json::parse(*text, nullptr, false);
	if (!j.is_object() || j.value("release", "") != run.release)
		return make_error("{}: not a state file of {}", path, run.release);
	// The patched objects were compiled for one core (-DKLPKIT_CORE_BUNDLED).
	if (std::string core = j.value("core", "kernel"); core != core_kind_name(run.core.kind))
		return make_error("{}: the kept work directory was built for the {} core, this run is for the {} "
				  "core (--core)",
				  path, core, core_kind_name(run.core.kind));
	run.changed_files = j.value("changed_files", std::vector<std::string>{});
	run.targets = j.value("targets", std::vector<std::string>{});
	run.make_goals = j.value("make_goals", std::map<std::string, std::string>{});
	run.serial_make = j.value("serial_make", false);
	run.full_build = j.value("full_build", false);
	run.objects.clear();
	for (const auto &o : j.value("objects", nlohmann::json::array())) {
		ObjectPair p;
		p.rel = o.value("rel", "");
		p.orig = o.value("orig", "");
		p.patched = o.value("patched", "");
		p.cmd_file = o.value("cmd_file", "");
		p.changed = o.value("changed", false);
		p.parent = o.value("parent", "");
		p.parent_reason = o.value("parent_reason", "");
		p.single_object_module = o.value("single_object_module", false);
		p.parent_symtab = o.value("parent_symtab", "");
		p.diff = o.value("diff", "");
		p.report = o.value("report", "");
		p.diff_result = o.value("diff_result", "");
		run.objects.push_back(std::move(p));
	}
	return success();
}

} // namespace klp::build
