// Runs create-diff-object on every changed pair, -j at a time (the pairs are
// independent), and reads back their exit codes and JSON reports: 0 a diff object
// for the module, 3 only line-number noise, 2 a refusal that stops this kernel.
#include "klp_build.h"

#include "kbuild.h"
#include "make.h"

#include "elf/object.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <set>

namespace fs = std::filesystem;

namespace klp::build {

std::string tool_path(const Options &opts, const std::string &name)
{
	std::error_code ec;
	std::string local = opts.tools_dir + "/" + name;
	return fs::exists(local, ec) ? local : name;
}

namespace {

nlohmann::json read_report(const std::string &path)
{
	auto text = read_text(path);
	if (!text)
		return nullptr;
	return nlohmann::json::parse(*text, nullptr, false);
}

std::string last_line(const std::string &log)
{
	std::string tail = log_tail(log, 1);
	while (!tail.empty() && tail.back() == '\n')
		tail.pop_back();
	return tail;
}

// From the symbols of both sides of every object, read once:
// - new_globals: globals a patched object defines that its original did not: `int
//   new_limit` added to a.c and used by the change of b.c. Every diff object is
//   told, so that b.c's reference links to a.c's copy in the module instead of
//   becoming a livepatch relocation to a symbol the running kernel does not have.
// - undefined: what the patched objects leave undefined. A new global function of
//   a.c that b.c's change calls stays in a.c's diff object; one nothing of the
//   patch calls is dead code of the patch (create-diff-object --patch-references).
struct PatchNames {
	std::set<std::string> new_globals;
	std::set<std::string> undefined;
};

Expected<PatchNames> patch_names(const std::vector<ObjectPair *> &pairs)
{
	PatchNames out;
	for (const ObjectPair *pair : pairs) {
		elf::ReadOptions symbols_only{.skip_debug_contents = true};
		auto orig = elf::Object::read(pair->orig, symbols_only);
		if (!orig)
			return orig.take_error();
		auto patched = elf::Object::read(pair->patched, symbols_only);
		if (!patched)
			return patched.take_error();
		std::set<std::string_view> before;
		for (auto &sym : (*orig)->symbols)
			if (!sym->is_local() && sym->sec)
				before.insert(sym->name);
		for (auto &sym : (*patched)->symbols) {
			if (sym->name.empty())
				continue;
			if (!sym->is_local() && sym->sec && !before.count(sym->name))
				out.new_globals.insert(sym->name);
			if (sym->is_undefined())
				out.undefined.insert(sym->name);
		}
	}
	return out;
}

} // namespace

Status diff_objects(const Options &opts, KernelRun &run)
{
	StageClock clock(opts, run, "diff");
	std::error_code ec;
	fs::remove_all(run.work + "/diff", ec);
	fs::create_directories(run.work + "/diff", ec);
	std::string cdo = tool_path(opts, "create-diff-object");

	std::vector<ObjectPair *> pairs;
	std::vector<Command> cmds;
	std::set<std::string> names = {"klpkit-patch", run.module_name};
	for (auto &pair : run.objects) {
		if (!pair.changed)
			continue;
		// Plain, unique names: kmod-template links them from one directory.
		std::string name = flat_name(pair.rel);
		for (int n = 2; names.count(name); n++)
			name = fmt::format("{}-{}", flat_name(pair.rel), n);
		names.insert(name);
		pair.diff = run.work + "/diff/" + name + ".o";
		pair.report = run.work + "/diff/" + name + ".json";
		Command cmd;
		cmd.argv = {cdo,
			    "--orig", pair.diff_orig.empty() ? pair.orig : pair.diff_orig,
			    "--patched", pair.diff_patched.empty() ? pair.patched : pair.diff_patched,
			    "--parent", pair.parent,
			    "--symtab", pair.parent_symtab,
			    "--symvers", run.symvers,
			    "--patch-name", run.module_name,
			    "-o", pair.diff,
			    "--json", pair.report};
		for (const auto &[section, size] : run.entry_sizes) {
			cmd.argv.push_back("--entry-size");
			cmd.argv.push_back(fmt::format("{}={}", section, size.bytes));
		}
		if (run.kallsyms_text_only)
			cmd.argv.push_back("--kallsyms-text-only");
		if (opts.debug)
			cmd.argv.push_back("--debug");
		cmd.log = log_path(run, "diff-" + name);
		fs::remove(cmd.log, ec);
		cmd.echo = opts.verbose;
		cmds.push_back(std::move(cmd));
		pairs.push_back(&pair);
	}
	auto symbols = patch_names(pairs);
	if (!symbols)
		return fail(symbols.error());
	auto write_list = [&](const std::string &option, const std::string &file,
			      const std::set<std::string> &list) -> Status {
		std::string path = run.work + "/diff/" + file;
		if (auto w = write_text(path, list.empty() ? std::string() : fmt::format("{}\n", fmt::join(list, "\n")));
		    !w)
			return fail(w.error());
		for (Command &cmd : cmds)
			cmd.argv.insert(cmd.argv.end(), {option, path});
		return std::nullopt;
	};
	if (!symbols->new_globals.empty())
		if (auto st = write_list("--patch-symbols", "patch-symbols", symbols->new_globals))
			return st;
	if (auto st = write_list("--patch-references", "patch-references", symbols->undefined))
		return st;
	auto status = run_parallel(cmds, opts.jobs);
	if (interrupted())
		return fail("interrupted", "diff: interrupted");
	// Parallel jobs only log (their output would interleave): -v shows the logs now.
	if (opts.verbose && opts.jobs > 1 && cmds.size() > 1)
		for (const auto &cmd : cmds)
			fmt::print(stderr, "{}", log_tail(cmd.log, 1000));

	std::vector<std::string> refusals, errors, functions;
	size_t written = 0, klp_relocs = 0;
	for (size_t i = 0; i < pairs.size(); i++) {
		ObjectPair &pair = *pairs[i];
		pair.diff_message = last_line(cmds[i].log);
		nlohmann::json report = read_report(pair.report);
		switch (status[i]) {
		case 0:
			pair.diff_result = "written";
			written++;
			break;
		case 3:
			pair.diff_result = "no-change";
			pair.diff.clear();
			decide(opts, run, fmt::format("{}: no functional change (only line numbers)", pair.rel));
			break;
		case 2:
			pair.diff_result = "refused";
			pair.diff.clear();
			if (report.is_object() && report["refusals"].is_array() && !report["refusals"].empty()) {
				for (const auto &r : report["refusals"])
					refusals.push_back(fmt::format("{}: {} {}: {}", pair.rel,
								       r.value("kind", "?"), r.value("symbol", "?"),
								       r.value("reason", "?")));
			} else {
				refusals.push_back(fmt::format("{}: {}", pair.rel, pair.diff_message));
			}
			break;
		default:
			pair.diff_result = "error";
			pair.diff.clear();
			errors.push_back(fmt::format("{}: create-diff-object exit {}:\n{}", pair.rel, status[i],
						     log_tail(cmds[i].log, 20)));
		}
		if (pair.diff_result == "written" && report.is_object()) {
			for (const auto &f : report.value("functions", nlohmann::json::array()))
				if (f.value("status", "") == "changed" || f.value("status", "") == "new")
					functions.push_back(f.value("name", "?") +
							    (f.value("status", "") == "new" ? " (new)" : ""));
			klp_relocs += report.value("klp_relocations", nlohmann::json::array()).size();
		}
	}
	if (!errors.empty()) {
		std::string msg = "create-diff-object failed:";
		for (const auto &e : errors)
			msg += "\n  " + e;
		return fail("diff-failed", msg);
	}
	if (!refusals.empty()) {
		std::string msg = "the change cannot be livepatched:";
		for (const auto &r : refusals)
			msg += "\n  " + r;
		return refuse("diff-refused", msg);
	}
	std::string fn_list;
	for (size_t i = 0; i < functions.size() && i < 8; i++)
		fn_list += (i ? ", " : "") + functions[i];
	if (functions.size() > 8)
		fn_list += fmt::format(", ... ({} more)", functions.size() - 8);
	clock.done(fmt::format("{} diff object(s); {} function(s){}; {} livepatch relocation(s)", written,
			       functions.size(), fn_list.empty() ? "" : " (" + fn_list + ")", klp_relocs));
	if (written == 0)
		return Stop{Result::no_change, "no-change",
			    "no functional change: the objects differ only in line numbers"};
	return std::nullopt;
}

} // namespace klp::build
