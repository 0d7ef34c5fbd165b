// klp-build --prove: the verified module proved in its kernel by `klpkit prove`
// (tools/klpkit/prove.h), run as a child: the guest runs that static binary, not
// klp-build. The proof's JSON and console go beside the module; a module that
// is not proved is renamed MODULE.ko.unproved.
#include "klp_build.h"

#include "proc/process.h"

#include <fmt/format.h>

#include <filesystem>

namespace fs = std::filesystem;

namespace klp::build {

Status prove_module(const Options &opts, KernelRun &run)
{
	StageClock clock(opts, run, "prove");
	std::string base = run.module_ko.substr(0, run.module_ko.size() - 3); // without ".ko"
	std::string kernel = !run.spec.image.empty() ? run.spec.image : run.release;
	Command prove;
	prove.argv = {tool_path(opts, "klpkit"), "prove", run.module_ko, "--kernel", kernel,
		      "--json", base + ".proof.json", "--log", base + ".console.log"};
	if (!opts.prove_check.empty())
		prove.argv.insert(prove.argv.end(), {"--check", opts.prove_check});
	if (!run.spec.modules_dir.empty())
		prove.argv.insert(prove.argv.end(), {"--modules", run.spec.modules_dir});
	if (!run.core_module.empty())
		prove.argv.insert(prove.argv.end(), {"--module", run.core_module});
	prove.log = run.work + "/prove.log";
	prove.log_header = false;
	prove.echo = opts.verbose;
	int status = klp::run(prove);
	std::string unproved = run.module_ko + ".unproved";
	std::error_code ec;
	if (status == 0) {
		fs::remove(unproved, ec); // an earlier run's
		run.proof_json = base + ".proof.json";
		clock.done(fmt::format("proved in {} under QEMU ({})", run.release, run.proof_json));
		return std::nullopt;
	}
	std::string tail = log_tail(prove.log, 12);
	while (!tail.empty() && tail.back() == '\n')
		tail.pop_back();
	// klpkit prove: 1 the module failed in its kernel, 2 it could not be proved.
	// Either way no .ko is left where a deployment would pick it up.
	fs::rename(run.module_ko, unproved, ec);
	if (status == 1)
		return fail("not-proved", fmt::format("{} did not prove in its kernel (kept as {}):\n{}", run.module_ko,
						      unproved, tail));
	return fail("prove-failed",
		    fmt::format("klpkit prove could not run (exit {}; module kept as {}): {}", status, unproved, tail));
}

} // namespace klp::build
