// What klp-build tells the user while it works: one line per stage with its elapsed
// time, notes worth a line of their own, and (with -d) every decision. Also the
// small vocabulary of results and stops shared by the passes.
#include "klp_build.h"

#include "livepatch/exit_codes.h"

#include <fmt/format.h>

#include <cstdio>

namespace klp::build {

const char *step_name(Step s)
{
	switch (s) {
	case Step::orig:
		return "orig";
	case Step::patched:
		return "patched";
	case Step::diff:
		return "diff";
	case Step::module:
		return "module";
	}
	return "?";
}

const char *result_name(Result r)
{
	switch (r) {
	case Result::built:
		return "built";
	case Result::refused:
		return "refused";
	case Result::no_change:
		return "no-change";
	case Result::error:
		return "error";
	}
	return "?";
}

int exit_code(Result r)
{
	switch (r) {
	case Result::built:
		return kExitOk;
	case Result::error:
		return kExitError;
	case Result::refused:
		return kExitRefused;
	case Result::no_change:
		return kExitNoChange;
	}
	return kExitError;
}

std::string painted(const Options &opts, Result result, const std::string &word)
{
	if (!opts.colour)
		return word;
	const char *sgr = result == Result::built ? "32" : result == Result::error ? "31" : "33";
	return fmt::format("\033[1;{}m{}\033[0m", sgr, word);
}

Stop refuse(std::string kind, std::string message)
{
	return Stop{Result::refused, std::move(kind), std::move(message)};
}

Stop fail(std::string kind, std::string message)
{
	return Stop{Result::error, std::move(kind), std::move(message)};
}

Stop fail(const Error &error) { return Stop{Result::error, "error", error.message()}; }

double seconds_since(std::chrono::steady_clock::time_point t)
{
	return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

StageClock::StageClock(const Options &opts, KernelRun &run, std::string name)
	: opts_(opts), run_(run), name_(std::move(name)), start_(std::chrono::steady_clock::now())
{
}

void StageClock::done(const std::string &summary)
{
	double s = seconds_since(start_);
	run_.stages.push_back({name_, s, summary});
	if (!opts_.quiet)
		fmt::print(stderr, "klp-build: {}: {}: {} ({:.1f}s)\n", run_.label(), name_, summary, s);
}

void note(const Options &opts, KernelRun &run, const std::string &text)
{
	run.decisions.push_back(text);
	if (!opts.quiet)
		fmt::print(stderr, "klp-build: {}: {}\n", run.label(), text);
}

void warn(const Options &opts, KernelRun &run, const std::string &text)
{
	run.warnings.push_back(text);
	note(opts, run, "warning: " + text);
}

void patch_notes(const Options &opts, KernelRun &run, const std::vector<std::string> &notes)
{
	for (const auto &n : notes) {
		if (n.find("with fuzz") == std::string::npos)
			note(opts, run, "patch: " + n);
		else
			warn(opts, run, "patch: " + n.substr(0, n.find_last_not_of('.') + 1) +
						"; a hunk applied with fuzz may sit in another place than its "
						"author meant: check the patched functions in the summary");
	}
}

void decide(const Options &opts, KernelRun &run, const std::string &text)
{
	run.decisions.push_back(text);
	if (opts.debug)
		fmt::print(stderr, "klp-build: {}: debug: {}\n", run.label(), text);
}

} // namespace klp::build
