// Make command lines for source trees and external modules, and running them with
// their output in a log that is shown only when they fail (or live with -v).
#include "make.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>

namespace fs = std::filesystem;

namespace klp::build {

std::string log_path(const KernelRun &run, const std::string &name)
{
	std::error_code ec;
	fs::create_directories(run.work + "/logs", ec);
	return run.work + "/logs/" + name + ".log";
}

namespace {

std::string kcflags()
{
	std::string flags = klp_kcflags;
	// The user's own KCFLAGS are kept (kbuild reads them from the environment too).
	if (const char *env = std::getenv("KCFLAGS"); env && *env)
		flags = std::string(env) + " " + flags;
	return flags;
}

} // namespace

std::vector<std::string> in_root(const KernelRun &run, const std::vector<std::string> &argv,
				 const std::string &cwd)
{
	return run.root.empty() ? argv : run.root.wrap(argv, cwd);
}

std::vector<std::string> kbuild_vars(const KernelRun &run)
{
	std::vector<std::string> vars = {"CC=" + shell_line(run.cc)};
	vars.insert(vars.end(), run.cross.begin(), run.cross.end());
	return vars;
}

Command tree_make(const Options &opts, const KernelRun &run, const std::string &dir,
		  const std::vector<std::string> &goals, const std::string &log_name, bool set_release)
{
	Command cmd;
	cmd.argv = {"make", "-C", dir, fmt::format("-j{}", run.serial_make ? 1 : opts.jobs)};
	auto vars = kbuild_vars(run);
	cmd.argv.insert(cmd.argv.end(), vars.begin(), vars.end());
	cmd.argv.push_back("KCFLAGS=" + kcflags());
	// Debian builds with KERNELRELEASE=6.1.0-56-amd64 on the command line (its Makefile
	// says 6.1.192): UTS_RELEASE and vermagic in the objects follow the target.
	if (set_release && !run.release.empty())
		cmd.argv.push_back("KERNELRELEASE=" + run.release);
	if (!opts.verbose)
		cmd.argv.push_back("-s");
	cmd.argv.insert(cmd.argv.end(), goals.begin(), goals.end());
	cmd.argv = in_root(run, cmd.argv);
	cmd.log = log_path(run, log_name);
	cmd.echo = opts.verbose;
	return cmd;
}

Command module_make(const Options &opts, const KernelRun &run, const std::string &dir,
		    const std::vector<std::string> &args, const std::string &log_name)
{
	Command cmd;
	cmd.argv = {"make", "-C", run.headers, "M=" + dir, fmt::format("-j{}", opts.jobs)};
	auto vars = kbuild_vars(run);
	cmd.argv.insert(cmd.argv.end(), vars.begin(), vars.end());
	cmd.argv.insert(cmd.argv.end(), args.begin(), args.end());
	// The work directory is a fresh temporary: its name must not reach the module
	// (__FILE__ strings, DWARF), or the same inputs would give different bytes.
	std::string root = fs::path(run.work).parent_path().string();
	if (!root.empty() && root.find_first_of(" \t\n'\"\\$#") == std::string::npos) {
		std::string map = "-ffile-prefix-map=" + root + "=/klp-build";
		auto kcflags = std::find_if(cmd.argv.begin(), cmd.argv.end(),
					    [](const std::string &a) { return a.starts_with("KCFLAGS="); });
		if (kcflags != cmd.argv.end())
			*kcflags += " " + map;
		else if (const char *env = std::getenv("KCFLAGS"); env && *env)
			cmd.argv.push_back(fmt::format("KCFLAGS={} {}", env, map));
		else
			cmd.argv.push_back("KCFLAGS=" + map);
	}
	cmd.argv = in_root(run, cmd.argv);
	cmd.log = log_path(run, log_name);
	cmd.echo = opts.verbose;
	return cmd;
}

std::string patched_flags(const Options &opts, KernelRun &run)
{
	std::string flags;
	const std::string &dir = opts.template_dir;
	if (dir.find_first_of(" \t\n'\"\\$#") != std::string::npos)
		note(opts, run, fmt::format("warning: {} is not on the patched files' include path "
					    "(make would split its name): #include \"kpatch-macros.h\" "
					    "will not be found",
					    dir));
	else if (!dir.empty())
		flags += " -idirafter " + dir;
	// The bundled core's names for the kernel's livepatch API, whichever header
	// the patch uses (kmod-template/klpkit-bundled.h).
	if (run.core.kind == CoreKind::bundled) {
		flags += " -DKLPKIT_CORE_BUNDLED=1";
		if (flags.find(" -idirafter ") != std::string::npos)
			flags += " -include " + dir + "/klpkit-bundled.h";
	}
	return flags;
}

Command with_patched_flags(const Options &opts, KernelRun &run, Command cmd)
{
	std::string flags = patched_flags(opts, run);
	if (flags.empty())
		return cmd;
	auto kcflags = std::find_if(cmd.argv.begin(), cmd.argv.end(),
				    [](const std::string &a) { return a.starts_with("KCFLAGS="); });
	if (kcflags == cmd.argv.end())
		cmd.argv.push_back("KCFLAGS=" + flags.substr(1));
	else
		*kcflags += flags;
	return cmd;
}

Status run_step(const Options &opts, const Command &cmd, const std::string &what,
		const std::string &kind)
{
	int status = run(cmd);
	if (status == 0)
		return std::nullopt;
	if (interrupted())
		return fail("interrupted", what + ": interrupted");
	std::string msg = fmt::format("{} failed (exit {}): {}", what, status, shell_line(cmd.argv));
	if (!cmd.log.empty() && !opts.verbose)
		msg += fmt::format("\n--- last lines of {} ---\n{}", cmd.log, log_tail(cmd.log, 60));
	return fail(kind, msg);
}

} // namespace klp::build
