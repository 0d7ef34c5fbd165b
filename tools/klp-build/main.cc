// klp-build: source patches in, a verified livepatch module out, for each target
// kernel named. build_kernel() is the whole algorithm, one pass per line; a failure
// for one kernel is reported and the next kernel is still built.
#include "klp_build.h"

#include "kbuild.h"
#include "options.h"
#include "livepatch/exit_codes.h"
#include "proc/process.h"
#include "summary.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <set>

namespace fs = std::filesystem;
using namespace klp::build;

namespace {

#define KLP_STEP(expr)                                                                  \
	do {                                                                            \
		if (Status klp_step_ = (expr))                                          \
			return klp_step_;                                               \
	} while (0)

Status checked(klp::Expected<void> e)
{
	if (!e)
		return fail(e.error());
	return std::nullopt;
}

// <root>/<release>: fresh, unless -S resumes in it.
Status open_work_dir(const Options &opts, KernelRun &run, const std::string &root,
		     std::set<std::string> &used)
{
	std::string name = run.release;
	if (!used.insert(name).second)
		name += fmt::format("-{}", run.index + 1);
	run.work = root + "/" + name;
	std::error_code ec;
	if (!opts.short_circuit)
		fs::remove_all(run.work, ec);
	fs::create_directories(run.work, ec);
	if (ec)
		return fail("work-dir", fmt::format("{}: {}", run.work, ec.message()));
	return std::nullopt;
}

Status check(const Options &opts, KernelRun &run, const std::string &root,
	     std::set<std::string> &used)
{
	StageClock clock(opts, run, "check");
	KLP_STEP(resolve_kernel(opts, run));
	KLP_STEP(open_work_dir(opts, run, root, used));
	KLP_STEP(check_patches(opts, run));
	// The kernel's livepatch core, or klpkit-core.ko where the config has none.
	KLP_STEP(select_core(opts, run));
	// kbuild, the compiler and objtool of the target's own Debian suite, if asked.
	KLP_STEP(enter_build_root(opts, run));
	KLP_STEP(check_compiler_and_config(opts, run));
	clock.done(fmt::format("{} patch(es), {} file(s); {}; {}; {} core ({})", opts.patches.size(),
			       run.changed_files.size(), run.cc_version,
			       run.mode == Mode::tree ? "kernel tree" : "out-of-tree module",
			       core_kind_name(run.core.kind), run.core.reason));
	return std::nullopt;
}

Status build_kernel(const Options &opts, KernelRun &run, const std::string &root,
		    std::set<std::string> &used)
{
	if (!run.spec.target.empty())
		KLP_STEP(fetch_target(opts, run));
	KLP_STEP(check(opts, run, root, used));
	KLP_STEP(prepare_tree(opts, run));
	if (opts.short_circuit)
		KLP_STEP(checked(load_state(run)));
	if (opts.first_step <= Step::orig && run.mode == Mode::tree) {
		KLP_STEP(choose_targets(opts, run));
		KLP_STEP(build_original(opts, run));
		KLP_STEP(checked(save_state(run)));
	}
	if (opts.first_step <= Step::patched) {
		KLP_STEP(run.mode == Mode::tree ? build_patched(opts, run) : build_oot(opts, run));
		KLP_STEP(checked(save_state(run)));
	}
	if (opts.first_step <= Step::diff) {
		KLP_STEP(find_parents(opts, run));
		// Objects whose objtool output kbuild makes only on a link get it here.
		KLP_STEP(run_objtool_like_kbuild(opts, run));
		// The target's own special-section layouts, never one kernel's constants.
		KLP_STEP(find_entry_sizes(opts, run));
		KLP_STEP(diff_objects(opts, run));
		KLP_STEP(checked(save_state(run)));
	}
	// The other modules the patch's code uses (from the diff reports, so also
	// after -S module): the verifier checks their .klp.sym symbols too.
	KLP_STEP(find_used_modules(opts, run));
	// The patch module links against klpkit-core.ko's exports.
	if (run.core.kind == CoreKind::bundled)
		KLP_STEP(build_core_module(opts, run));
	if (opts.split)
		return build_split_modules(opts, run);
	KLP_STEP(link_module(opts, run));
	KLP_STEP(verify_module(opts, run));
	return std::nullopt;
}

// Errors outrank refusals outrank "no change".
Result worst(Result a, Result b)
{
	auto rank = [](Result r) {
		switch (r) {
		case Result::built:
			return 0;
		case Result::no_change:
			return 1;
		case Result::refused:
			return 2;
		case Result::error:
			return 3;
		}
		return 3;
	};
	return rank(a) >= rank(b) ? a : b;
}

std::string make_work_root(const Options &opts)
{
	std::error_code ec;
	if (opts.keep_tmp) {
		std::string root = opts.output_dir + "/klp-tmp";
		fs::create_directories(root, ec);
		return root;
	}
	const char *tmpdir = std::getenv("TMPDIR");
	std::string pattern = std::string(tmpdir && *tmpdir ? tmpdir : "/tmp") + "/klp-build.XXXXXX";
	std::vector<char> buf(pattern.begin(), pattern.end());
	buf.push_back('\0');
	if (!mkdtemp(buf.data()))
		return "";
	return buf.data();
}

} // namespace

int main(int argc, char **argv)
{
	klp::install_signal_handlers();
	auto parsed = parse_options(argc, argv);
	if (!parsed) {
		fmt::print(stderr, "klp-build: error: {}\n", parsed.error().message());
		return klp::kExitError;
	}
	if (!parsed->help.empty()) {
		std::cout << parsed->help;
		return klp::kExitOk;
	}
	const Options &opts = parsed->options;
	if (!parsed->make_build_root.empty()) {
		std::string suite = parsed->make_build_root;
		const std::string &path = opts.kernels.front().config;
		auto config = path.empty() ? klp::make_error("--make-build-root auto needs -c CONFIG")
					   : read_config(path);
		// With -c CONFIG of another architecture, the root gets its cross compiler.
		const klp::arch::Arch *target = config ? klp::arch::find_by_config(*config) : nullptr;
		if (suite == "auto") {
			// The suite whose gcc built the kernel of -c CONFIG.
			auto chosen = config ? suite_for_compiler(config_string(*config, "CONFIG_CC_VERSION_TEXT"))
					     : klp::Expected<std::string>(config.take_error());
			if (!chosen) {
				fmt::print(stderr, "klp-build: error: {}{}\n", path.empty() ? "" : path + ": ",
					   chosen.error().message());
				return klp::kExitError;
			}
			suite = *chosen;
		}
		std::string dir = opts.kernels.front().build_root;
		if (dir.empty() || dir == "auto")
			dir = default_build_root(opts.cache_dir, suite, target);
		std::error_code ec;
		fs::create_directories(opts.cache_dir, ec);
		std::string log = default_build_root(opts.cache_dir, suite, target) + ".log";
		auto made = make_build_root(dir, suite, log, opts.verbose, target);
		if (!made) {
			fmt::print(stderr, "klp-build: error: {}\n", made.error().message());
			return klp::kExitError;
		}
		std::cout << made->dir << "\n";
		return klp::kExitOk;
	}
	// Where the results go must exist before minutes of building, not after.
	for (const std::string &dir : {opts.output_dir, opts.json_path.empty()
						? std::string()
						: fs::path(opts.json_path).parent_path().string()}) {
		std::error_code ec;
		if (!dir.empty() && !fs::is_directory(dir) && !fs::create_directories(dir, ec)) {
			fmt::print(stderr, "klp-build: error: {}: cannot create the directory: {}\n", dir,
				   ec.message());
			return klp::kExitError;
		}
	}
	std::string root = make_work_root(opts);
	if (root.empty()) {
		fmt::print(stderr, "klp-build: error: cannot create a work directory\n");
		return klp::kExitError;
	}

	std::vector<KernelRun> runs(opts.kernels.size());
	std::set<std::string> used;
	Result overall = Result::built;
	for (size_t i = 0; i < opts.kernels.size(); i++) {
		KernelRun &run = runs[i];
		run.spec = opts.kernels[i];
		run.index = i;
		run.module_name = opts.name;
		auto start = std::chrono::steady_clock::now();
		Status st = build_kernel(opts, run, root, used);
		// A proof is of the module written: after everything else of this kernel.
		if (!st && opts.prove)
			st = prove_module(opts, run);
		if (st) {
			run.result = st->result;
			run.stop = *st;
		}
		run.tree_lock.reset();
		run.seconds = seconds_since(start);
		overall = worst(overall, run.result);
		if (run.result == Result::built && !run.core_module.empty())
			fmt::print(stderr, "klp-build: {}: {} {} and {} (load klpkit-core.ko first) ({:.1f}s)\n",
				   run.label(), painted(opts, run.result, "wrote"), run.module_ko, run.core_module,
				   run.seconds);
		else if (run.result == Result::built)
			fmt::print(stderr, "klp-build: {}: {} {} ({:.1f}s)\n", run.label(),
				   painted(opts, run.result, "wrote"),
				   run.split_modules.empty() ? run.module_ko : fmt::format("{}", fmt::join(run.split_modules, ", ")),
				   run.seconds);
		else
			fmt::print(stderr, "klp-build: {}: {}: {}{}\n", run.label(),
				   painted(opts, run.result,
					   run.result == Result::no_change ? "no change" : result_name(run.result)),
				   run.stop.message,
				   opts.keep_tmp || run.result != Result::error
					   ? ""
					   : "\n(run with -T to keep the work directory)");
	}
	if (opts.kernels.size() > 1) {
		size_t built = 0;
		for (const auto &r : runs)
			built += r.result == Result::built;
		fmt::print(stderr, "klp-build: {} of {} kernels built\n", built, runs.size());
	}
	if (!opts.json_path.empty()) {
		if (auto w = write_summary(opts, runs, overall); !w) {
			fmt::print(stderr, "klp-build: error: {}\n", w.error().message());
			overall = worst(overall, Result::error);
		}
	}
	std::error_code ec;
	if (opts.keep_tmp)
		fmt::print(stderr, "klp-build: work directory kept: {}\n", root);
	else
		fs::remove_all(root, ec);
	return exit_code(overall);
}
