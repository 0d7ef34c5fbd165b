// klp-build --target RELEASE|running: that exact kernel's inputs, fetched or found.
// A Debian release comes from Debian's archive through
// scripts/kernel/fetch-debian-kernel --release (image, config, modules, headers and
// the same build's linux-source, into <cache>/debian/<release>/; the system's apt is
// left alone), its symbols from `klpkit kallsyms` (one nokaslr boot of that image).
// Inputs the user gave (-s, -c, -k, --kallsyms, ...) are kept; a kernel of another
// distribution is a refusal that says which inputs to give instead.
#include "kbuild.h"
#include "klp_build.h"

#include "proc/process.h"

#include <fmt/format.h>

#include <sys/utsname.h>

#include <filesystem>

namespace fs = std::filesystem;

namespace klp::build {
namespace {

std::string last_line(const std::string &log)
{
	std::string tail = log_tail(log, 1);
	while (!tail.empty() && tail.back() == '\n')
		tail.pop_back();
	return tail;
}

// <dir>/linux-source-6.1.tar.xz: the source fetch-debian-kernel put beside the image.
std::string source_tarball(const std::string &dir)
{
	std::error_code ec;
	std::vector<std::string> found;
	for (const auto &e : fs::directory_iterator(dir, ec))
		if (e.path().filename().string().starts_with("linux-source-") &&
		    e.path().filename().string().find(".tar") != std::string::npos)
			found.push_back(e.path().string());
	std::sort(found.begin(), found.end());
	return found.empty() ? "" : found.front();
}

} // namespace

Status fetch_target(const Options &opts, KernelRun &run)
{
	KernelSpec &spec = run.spec;
	std::string release = spec.target;
	if (release == "running") {
		struct utsname u {};
		if (uname(&u) != 0)
			return fail("target", "uname failed");
		release = u.release;
	}
	run.release = release; // the label of this kernel's lines from here
	StageClock clock(opts, run, "target");
	if (opts.scripts_dir.empty())
		return fail("target", "scripts/kernel/fetch-debian-kernel not found beside klp-build "
				      "(set KLPKIT_SCRIPTS_DIR)");
	// Debian's kernel releases end in the flavour: 6.1.0-57-amd64, 7.2.13+deb14-arm64.
	if (release.find('-') == std::string::npos)
		return refuse("target-unknown",
			      fmt::format("--target {}: not a Debian kernel release (like 6.1.0-57-amd64); give its "
					  "inputs instead: -s SRC -c CONFIG -k HEADERS --kallsyms FILE (or --vmlinux)",
					  release));
	Command fetch;
	fetch.argv = {opts.scripts_dir + "/kernel/fetch-debian-kernel", "--cache", opts.cache_dir, "--release", release,
		      "--modules"};
	if (opts.oot())
		fetch.argv.push_back("--no-source");
	std::error_code ec;
	fs::create_directories(opts.cache_dir + "/debian", ec);
	fetch.log = opts.cache_dir + "/debian/" + release + ".fetch.log"; // the work directory comes later
	fetch.echo = opts.verbose;
	if (int st = klp::run(fetch); st != 0)
		return refuse("target-unknown",
			      fmt::format("--target {}: not fetched from Debian's archive (exit {}): {}; give its "
					  "inputs instead: -s SRC -c CONFIG -k HEADERS --kallsyms FILE",
					  release, st, last_line(fetch.log)));
	std::string dir = opts.cache_dir + "/debian/" + release;
	auto keep = [](std::string &field, const std::string &value) {
		if (field.empty())
			field = value;
	};
	if (!opts.oot()) {
		std::string tarball = source_tarball(dir);
		if (tarball.empty())
			return fail("target", fmt::format("{}: no linux-source tarball after the fetch", dir));
		keep(spec.src, tarball);
	}
	keep(spec.config, dir + "/config");
	keep(spec.headers, dir + "/build");
	keep(spec.modules_dir, dir + "/modules");
	keep(spec.image, dir + "/vmlinuz");
	keep(spec.release, release);
	std::string symbols = "given";
	if (!opts.oot() && spec.vmlinux.empty() && spec.kallsyms.empty() && spec.system_map.empty()) {
		auto path = capture({tool_path(opts, "klpkit"), "kallsyms", dir + "/vmlinuz", "-o", dir + "/kallsyms"});
		if (!path)
			return fail("target", fmt::format("klpkit kallsyms {}: {}", release, path.error().message()));
		spec.kallsyms = dir + "/kallsyms";
		symbols = "kallsyms of one boot";
	}
	// A compiler the host lacks: the build root of the suite whose gcc built it.
	std::string how = "host compiler";
	if (spec.build_root.empty() && opts.cc.empty()) {
		auto config = read_config(spec.config);
		if (!config)
			return fail(config.error());
		std::string text = config_string(*config, "CONFIG_CC_VERSION_TEXT");
		std::string prog = text.substr(0, text.find(' '));
		if (!prog.empty() && !in_path(prog)) {
			spec.build_root = "auto";
			how = fmt::format("build root (the host has no {})", prog);
		}
	}
	clock.done(fmt::format("Debian's {} in {}; symbols: {}; {}", release, dir, symbols, how));
	return std::nullopt;
}

} // namespace klp::build
