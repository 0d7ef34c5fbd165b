// replay.h says when a recorded kbuild command stands in for make.
#include "replay.h"

#include "kbuild.h"
#include "make.h"

#include <fmt/format.h>

#include <filesystem>
#include <regex>

namespace fs = std::filesystem;

namespace klp::build {

Expected<std::string> shell_command_of(const std::string &recorded)
{
	static constexpr std::string_view pound = "$(pound)";
	std::string out;
	out.reserve(recorded.size());
	for (size_t i = 0; i < recorded.size(); i++) {
		if (recorded[i] != '$') {
			out += recorded[i];
		} else if (i + 1 < recorded.size() && recorded[i + 1] == '$') {
			out += '$';
			i++;
		} else if (std::string_view(recorded).substr(i).starts_with(pound)) {
			out += '#';
			i += pound.size() - 1;
		} else {
			return make_error("a make reference at column {} of the recorded command", i + 1);
		}
	}
	return out;
}

std::optional<std::string> depfile_of(const std::string &command)
{
	static const std::regex mmd(R"((^|\s)-Wp,-MMD,(\S+))");
	std::smatch m;
	if (!std::regex_search(command, m, mmd))
		return std::nullopt;
	return m[2].str();
}

Expected<std::string> with_kcflags_after(const std::string &recorded, const std::string &flags)
{
	const std::string ours = std::string(" ") + klp_kcflags;
	size_t at = recorded.find(ours);
	if (at == std::string::npos || recorded.find(ours, at + 1) != std::string::npos)
		return make_error("the recorded command does not hold '{}' once", klp_kcflags);
	size_t end = at + ours.size();
	if (end < recorded.size() && recorded[end] != ' ')
		return make_error("the recorded command does not hold '{}' once", klp_kcflags);
	std::string out = recorded;
	out.insert(end, flags);
	return out;
}

Command replay_command(const Options &opts, const KernelRun &run, const std::string &command,
		       const std::string &log_name)
{
	Command cmd;
	cmd.argv = in_root(run, {"sh", "-c", command}, run.tree);
	if (run.root.empty())
		cmd.cwd = run.tree;
	cmd.log = log_path(run, log_name);
	cmd.echo = opts.verbose;
	return cmd;
}

void remove_depfile(const KernelRun &run, const std::string &command)
{
	if (auto dep = depfile_of(command)) {
		std::error_code ec;
		fs::remove(fs::path(run.tree) / *dep, ec);
	}
}

Expected<void> write_record(const KernelRun &run, const std::string &rel, const std::string &recorded,
			    const std::string &cmd_file)
{
	auto command = shell_command_of(recorded);
	if (!command)
		return command.take_error();
	auto dep = depfile_of(*command);
	if (!dep)
		return make_error("{}: the recorded command names no -Wp,-MMD dependency file", rel);
	std::string fixdep = run.tree + "/scripts/basic/fixdep";
	auto text = capture(in_root(run, {fixdep, *dep, rel, recorded}, run.tree),
			    run.root.empty() ? run.tree : "");
	remove_depfile(run, *command);
	if (!text)
		return make_error("{}: fixdep: {}", rel, text.error().message());
	return write_text(cmd_file, *text);
}

} // namespace klp::build
