// The JSON summary (--json FILE, docs/klp-build.md): per kernel, its inputs, stages
// with their times, every decision, and every recompiled object with its parent
// and create-diff-object's own report (functions, relocations, refusals).
#include "summary.h"

#include "kbuild.h"

#include <nlohmann/json.hpp>

namespace klp::build {
namespace {

nlohmann::json object_json(const ObjectPair &p)
{
	nlohmann::json j = {{"object", p.rel}, {"changed", p.changed}};
	if (!p.changed)
		return j;
	j["parent"] = p.parent;
	j["parent_reason"] = p.parent_reason;
	j["parent_symbols"] = p.parent_symtab;
	j["objtool"] = {{"run", !p.objtool_command.empty()}, {"reason", p.objtool_reason}};
	if (!p.objtool_command.empty())
		j["objtool"]["command"] = p.objtool_command;
	j["diff"] = p.diff_result.empty() ? "not-run" : p.diff_result;
	if (!p.diff_message.empty())
		j["diff_message"] = p.diff_message;
	auto text = p.report.empty() ? Expected<std::string>(make_error("none")) : read_text(p.report);
	if (text) {
		auto report = nlohmann::json::parse(*text, nullptr, false);
		if (report.is_object()) {
			auto functions = nlohmann::json::array();
			for (const auto &f : report.value("functions", nlohmann::json::array()))
				if (f.value("status", "") == "changed" || f.value("status", "") == "new")
					functions.push_back(f);
			j["functions"] = functions;
			j["report"] = report;
		}
	}
	return j;
}

nlohmann::json kernel_json(const KernelRun &run)
{
	nlohmann::json j;
	j["release"] = run.release;
	j["mode"] = run.mode == Mode::tree ? "kernel-tree" : "out-of-tree";
	if (!run.core.reason.empty()) {
		j["core"] = {{"kind", core_kind_name(run.core.kind)}, {"reason", run.core.reason}};
		if (!run.core_module.empty())
			j["core"]["module"] = run.core_module;
	}
	j["result"] = result_name(run.result);
	j["exit_code"] = exit_code(run.result);
	if (run.result != Result::built)
		j["stop"] = {{"kind", run.stop.kind}, {"message", run.stop.message}};
	j["module"] = run.module_ko.empty() ? nlohmann::json(nullptr) : nlohmann::json(run.module_ko);
	if (!run.split_modules.empty())
		j["modules"] = run.split_modules;
	if (!run.proof_json.empty())
		j["proof"] = run.proof_json;
	j["seconds"] = run.seconds;
	j["inputs"] = {{"tree", run.tree},
		       {"source", run.spec.src},
		       {"headers", run.headers},
		       {"symvers", run.symvers},
		       {"config", run.config},
		       {"symbols", run.symbols}};
	if (!run.oot_modules.empty())
		j["inputs"]["oot_modules"] = run.oot_modules;
	j["compiler"] = {{"command", run.cc}, {"version", run.cc_version}};
	// kbuild's ARCH of the target, and the make variables of a cross build.
	j["arch"] = run.arch ? std::string(run.arch->kbuild_arch) : "";
	j["cross"] = run.cross;
	j["changed_files"] = run.changed_files;
	j["targets"] = run.targets;
	j["full_build"] = run.full_build;
	j["entry_sizes"] = nlohmann::json::object();
	for (const auto &[section, size] : run.entry_sizes)
		j["entry_sizes"][section] = {{"bytes", size.bytes}, {"from", size.from}};
	auto stages = nlohmann::json::array();
	for (const auto &s : run.stages)
		stages.push_back({{"name", s.name}, {"seconds", s.seconds}, {"summary", s.summary}});
	j["stages"] = stages;
	j["decisions"] = run.decisions;
	j["warnings"] = run.warnings;
	auto objects = nlohmann::json::array();
	for (const auto &p : run.objects)
		objects.push_back(object_json(p));
	j["objects"] = objects;
	return j;
}

} // namespace

Expected<void> write_summary(const Options &opts, const std::vector<KernelRun> &runs, Result overall)
{
	nlohmann::json j;
	j["tool"] = "klp-build";
	j["command"] = opts.argv;
	j["patches"] = opts.patches;
	j["name"] = opts.name;
	j["replace"] = opts.replace;
	j["split"] = opts.split;
	j["line_directives"] = opts.line_directives;
	j["result"] = result_name(overall);
	j["exit_code"] = exit_code(overall);
	auto kernels = nlohmann::json::array();
	for (const auto &r : runs)
		kernels.push_back(kernel_json(r));
	j["kernels"] = kernels;
	return write_text(opts.json_path,
			  j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
}

} // namespace klp::build
