// klpkit: a livepatch module proved in its kernel under QEMU (prove), and
// livepatches on the machine being patched (root). list shows each loaded
// livepatch of the kernel's core and of klpkit-core.ko; info describes a module
// file; load inserts a module built
// for the running kernel and waits for its transition, naming the tasks that hold it
// up; unload disables a livepatch, waits for the transition back and removes the
// module.
#include "boot.h"
#include "elf/file_io.h"
#include "guest.h"
#include "installed.h"
#include "kallsyms_dump.h"
#include "livepatch/exit_codes.h"
#include "livepatches.h"
#include "prove.h"

#include <fmt/format.h>

#include <sys/utsname.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <cstdlib>
#include <string>
#include <vector>

using namespace klp::klpkit;
using klp::kExitError;
using klp::kExitOk;
using klp::kExitRefused;

namespace {

constexpr const char *usage = R"(usage: klpkit prove MODULE.ko --kernel RELEASE|VMLINUZ [--check SCRIPT] [options]
       klpkit boot --kernel RELEASE|VMLINUZ --script SCRIPT [--file SRC[:DEST]]... [options]
       klpkit kallsyms RELEASE|VMLINUZ [-o|--output FILE] [--force] [--timeout SECONDS]
       klpkit list
       klpkit info MODULE.ko
       klpkit load [--timeout SECONDS] MODULE.ko
       klpkit unload [--timeout SECONDS] NAME
       klpkit install [--release REL] MODULE.ko
       klpkit uninstall [--release REL] NAME
       klpkit installed [--release REL]
       klpkit load-installed [--timeout SECONDS]
       klpkit --version
  prove   boot the module's kernel under QEMU (KVM when it works, else TCG),
          load the module, wait for the transition, run --check SCRIPT in the
          guest (busybox sh) while it is enabled, disable and unload it, and
          judge the console (every step done, no Call Trace/WARNING/BUG, no
          taint but K, O, E). Options: --module FILE.ko (loaded first, in
          order; klpkit-core.ko beside MODULE.ko is found), --modules DIR (the
          target's /lib/modules/RELEASE: the modules the patch's objects are),
          --json FILE|-, --log FILE (the console), -q|--quiet (the verdict
          and failures only), --accel auto|kvm|tcg,
          --memory SIZE, --append ARGS, --timeout S (the boot, default 600),
          --transition-timeout S (default 60). RELEASE: an image in
          $KLPKIT_CACHE/debian/RELEASE/vmlinuz or /boot/vmlinuz-RELEASE.
          Exit status 0 proved, 1 not proved, 2 usage or refused input.
  boot    run SCRIPT (busybox sh, in /klp) in the kernel under QEMU with
          busybox, klpkit and the --file files (SRC to /klp/NAME, or to an
          absolute DEST); fails on the script's non-zero exit, a splat in the
          kernel log, no end, a line beginning with a --fail-on TEXT, or no
          line beginning with an --expect TEXT. Options: --log FILE,
          --serial2 FILE (ttyS1, raw), --append ARGS, --memory SIZE,
          --accel auto|kvm|tcg, --timeout S (default 300), -v (the console
          on stderr as it comes). Exit status 0 passed, 1 failed, 2 usage.
  kallsyms  the kernel's /proc/kallsyms from one QEMU boot with nokaslr (the
          link-time addresses klp-build --kallsyms reads; x86_64 and arm64
          images), kept in
          $KLPKIT_CACHE/debian/RELEASE/kallsyms unless -o; a kept dump is
          reused without --force. Prints its path.
  list    each loaded livepatch (the kernel's core, /sys/kernel/livepatch, and
          klpkit-core.ko's, /sys/kernel/klpkit): enabled, in transition, replace,
          its objects and functions
  info    what a livepatch module file is: its name, the kernel it is for, the
          core it needs, the functions it patches by object, whether it is loaded
  load    insert MODULE.ko (its vermagic must be the running kernel's) and wait
          for the transition (default 60 s); past it, the tasks that hold it up
          are named and the patch is left in transition
  unload  disable the livepatch NAME, wait for the transition back and remove its
          module (NAME: as in list; '-' and '_' are the same)
  install copy MODULE.ko to /var/lib/klpkit/REL/ (REL: the running kernel's
          release unless given; the module's vermagic must name it), after
          the ones installed before, for load-installed
  uninstall  remove an installed livepatch (it stays loaded until unloaded)
  installed  the installed livepatches of REL, in the order they load
  load-installed  load the running release's installed livepatches in order,
          skipping loaded ones (klpkit.service runs it at boot)
Exit status: 0 done, 1 error or a transition that did not end in time, 2 usage.
)";

int fail(const std::string &message)
{
	fmt::print(stderr, "klpkit: error: {}\n", message);
	return kExitError;
}

std::string blockers(const Roots &roots, int target)
{
	std::string out;
	for (const auto &t : blocking_tasks(roots, target))
		out += fmt::format("\n  {} {}{}", t.pid, t.comm, t.stack.empty() ? "" : ": " + t.stack);
	return out.empty() ? " (no task is behind; the transition is finishing)" : out;
}

int load(const Roots &roots, const std::string &ko, double timeout)
{
	struct utsname u {};
	if (uname(&u) != 0)
		return fail("uname failed");
	auto t0 = std::chrono::steady_clock::now();
	auto name = insert_module(ko, u.release);
	if (!name)
		return fail(name.error().message());
	auto patch = find_livepatch(roots, *name);
	if (!patch)
		return fail(patch.error().message());
	if (!*patch)
		return fail(fmt::format("{}: loaded as module {}, but no livepatch {} is in sysfs (not a "
					"livepatch module?)",
					ko, *name, *name));
	if (!wait_transition((*patch)->dir, timeout))
		return fail(fmt::format("{}: the transition did not end in {} s; still in the old code:{}\n"
					"'klpkit unload {}' reverses it",
					*name, timeout, blockers(roots, 1), *name));
	fmt::print("klpkit: {}: enabled ({} core), transition done in {:.1f} s\n", *name, (*patch)->core,
		   since(t0));
	return kExitOk;
}

int unload(const Roots &roots, const std::string &name, double timeout)
{
	auto t0 = std::chrono::steady_clock::now();
	auto patch = find_livepatch(roots, name);
	if (!patch)
		return fail(patch.error().message());
	if (!*patch)
		return fail(fmt::format("no livepatch {} is loaded ('klpkit list' shows them)", name));
	const Livepatch &p = **patch;
	if (p.enabled) {
		if (auto w = write_attribute(p.dir, "enabled", "0"); !w)
			return fail(w.error().message());
	}
	// A disabled livepatch's directory goes once its transition back is over.
	if (!wait_gone(p.dir, timeout))
		return fail(fmt::format("{}: the transition back did not end in {} s; still in the patched "
					"code:{}",
					p.name, timeout, blockers(roots, 0)));
	if (auto r = remove_module(p.name, timeout); !r)
		return fail(r.error().message());
	fmt::print("klpkit: {}: disabled and unloaded in {:.1f} s\n", p.name, since(t0));
	return kExitOk;
}

bool parse_seconds(const std::string &option, const std::string &v, double &out)
{
	char *end = nullptr;
	out = std::strtod(v.c_str(), &end);
	if (end && !*end && out > 0)
		return true;
	fmt::print(stderr, "klpkit: error: {} {}: expected seconds\n", option, v);
	return false;
}

int prove_command(const std::vector<std::string> &args)
{
	ProveOptions o;
	o.cache_dir = klp::default_cache_dir();
	std::string json;
	ProofStyle style;
	for (size_t i = 0; i < args.size(); i++) {
		const std::string &a = args[i];
		if (a == "-h" || a == "--help")
			return fmt::print("{}", usage), kExitOk;
		if (a == "-q" || a == "--quiet") {
			style.quiet = true;
			continue;
		}
		if (!a.starts_with("--")) {
			if (!o.module.empty())
				return fmt::print(stderr, "klpkit: error: prove takes one MODULE.ko ({} and {})\n", o.module, a), kExitRefused;
			o.module = a;
			continue;
		}
		if (i + 1 >= args.size())
			return fmt::print(stderr, "klpkit: error: {} needs a value\n", a), kExitRefused;
		const std::string &v = args[++i];
		// Options that take a string as it is.
		const std::map<std::string, std::string *> strings = {
			{"--kernel", &o.kernel}, {"--modules", &o.modules_dir}, {"--check", &o.check},
			{"--json", &json},       {"--log", &o.log},             {"--memory", &o.memory},
			{"--append", &o.append},
		};
		if (auto it = strings.find(a); it != strings.end()) {
			*it->second = v;
		} else if (a == "--module") {
			o.modules.push_back(v);
		} else if (a == "--accel") {
			if (v != "auto" && v != "kvm" && v != "tcg")
				return fmt::print(stderr, "klpkit: error: --accel {}: expected auto, kvm or tcg\n", v), kExitRefused;
			o.accel = v;
		} else if (a == "--timeout" || a == "--transition-timeout") {
			if (!parse_seconds(a, v, a == "--timeout" ? o.timeout : o.transition_timeout))
				return kExitRefused;
		} else
			return fmt::print(stderr, "klpkit: error: prove: unknown option {} {}\n", a, v), kExitRefused;
	}
	if (o.module.empty() || o.kernel.empty())
		return fmt::print(stderr, "klpkit: error: prove needs MODULE.ko and --kernel RELEASE|VMLINUZ\n"), kExitRefused;
	auto proof = prove(o);
	if (!proof)
		return fmt::print(stderr, "klpkit: error: {}\n", proof.error().message()), kExitRefused;
	// With --json -, the JSON is stdout and the report goes to stderr.
	FILE *report = json == "-" ? stderr : stdout;
	const char *no_color = std::getenv("NO_COLOR");
	style.colour = isatty(fileno(report)) && !(no_color && *no_color);
	fmt::print(report, "{}", format_proof(*proof, style));
	if (json == "-")
		fmt::print("{}", proof_json(*proof));
	else if (!json.empty())
		if (auto w = klp::write_file_atomically(json, proof_json(*proof)); !w)
			return fmt::print(stderr, "klpkit: error: {}\n", w.error().message()), kExitError;
	return proof->proved() ? kExitOk : kExitError;
}

int boot_command(const std::vector<std::string> &args)
{
	BootOptions o;
	o.cache_dir = klp::default_cache_dir();
	for (size_t i = 0; i < args.size(); i++) {
		const std::string &a = args[i];
		if (a == "-h" || a == "--help")
			return fmt::print("{}", usage), kExitOk;
		if (a == "-v" || a == "--verbose") {
			o.echo = true;
			continue;
		}
		if (i + 1 >= args.size())
			return fmt::print(stderr, "klpkit: error: boot: {} needs a value\n", a), kExitRefused;
		const std::string &v = args[++i];
		const std::map<std::string, std::string *> strings = {
			{"--kernel", &o.kernel}, {"--script", &o.script}, {"--log", &o.log},
			{"--serial2", &o.serial2}, {"--append", &o.append}, {"--memory", &o.memory},
		};
		const std::map<std::string, std::vector<std::string> *> lists = {
			{"--file", &o.files}, {"--expect", &o.expect}, {"--fail-on", &o.fail_on}};
		if (auto it = strings.find(a); it != strings.end()) {
			*it->second = v;
		} else if (auto l = lists.find(a); l != lists.end()) {
			l->second->push_back(v);
		} else if (a == "--accel" && (v == "auto" || v == "kvm" || v == "tcg")) {
			o.accel = v;
		} else if (a == "--timeout") {
			if (!parse_seconds(a, v, o.timeout))
				return kExitRefused;
		} else {
			return fmt::print(stderr, "klpkit: error: boot: unexpected {} {}\n", a, v), kExitRefused;
		}
	}
	if (o.kernel.empty() || o.script.empty())
		return fmt::print(stderr, "klpkit: error: boot needs --kernel RELEASE|VMLINUZ and --script SCRIPT\n"),
		       kExitRefused;
	auto r = boot_script(o);
	if (!r)
		return fmt::print(stderr, "klpkit: error: {}\n", r.error().message()), kExitRefused;
	for (const auto &n : r->notes)
		fmt::print(stderr, "klpkit boot: note: {}\n", n);
	for (const auto &f : r->failures)
		fmt::print(stderr, "klpkit boot: FAILED: {}\n", f);
	fmt::print(stderr, "klpkit boot: {} in {} ({}): {}; script began at guest uptime {:.1f} s, wall {:.1f} s; console: {}\n",
		   o.script, r->release.empty() ? r->kernel : r->release, r->accel,
		   r->failures.empty() ? "passed" : "FAILED", r->guest_seconds, r->wall_seconds,
		   r->log.empty() ? "(not kept)" : r->log);
	return r->failures.empty() ? kExitOk : kExitError;
}

int kallsyms_command(const std::vector<std::string> &args)
{
	KallsymsOptions o;
	o.cache_dir = klp::default_cache_dir();
	for (size_t i = 0; i < args.size(); i++) {
		const std::string &a = args[i];
		if (a == "-h" || a == "--help") {
			return fmt::print("{}", usage), kExitOk;
		} else if (a == "--force") {
			o.force = true;
		} else if ((a == "-o" || a == "--output") && i + 1 < args.size()) {
			o.output = args[++i];
		} else if (a == "--timeout" && i + 1 < args.size()) {
			if (!parse_seconds(a, args[++i], o.timeout))
				return kExitRefused;
		} else if (!a.starts_with("-") && o.kernel.empty()) {
			o.kernel = a;
		} else {
			return fmt::print(stderr, "klpkit: error: kallsyms: unexpected {}\n", a), kExitRefused;
		}
	}
	if (o.kernel.empty())
		return fmt::print(stderr, "klpkit: error: kallsyms needs RELEASE or VMLINUZ\n"), kExitRefused;
	auto dump = dump_kallsyms(o);
	if (!dump)
		return fail(dump.error().message());
	if (dump->symbols)
		fmt::print(stderr, "klpkit: {} symbols in {:.1f} s\n", dump->symbols, dump->seconds);
	fmt::print("{}\n", dump->path);
	return kExitOk;
}

} // namespace

int main(int argc, char **argv)
{
	std::vector<std::string> args(argv + 1, argv + argc);
	if (!args.empty() && args[0] == "prove")
		return prove_command({args.begin() + 1, args.end()});
	if (!args.empty() && args[0] == "boot")
		return boot_command({args.begin() + 1, args.end()});
	if (!args.empty() && args[0] == "kallsyms")
		return kallsyms_command({args.begin() + 1, args.end()});
	Roots roots;
	double timeout = 60;
	std::string root = "/", release_option;
	struct utsname u {};
	std::string running = uname(&u) == 0 ? u.release : "";
	std::vector<std::string> rest;
	for (size_t i = 0; i < args.size(); i++) {
		const std::string &a = args[i];
		if (a == "--version") {
			fmt::print("klpkit {}\n", KLPKIT_VERSION);
			return kExitOk;
		}
		if (a == "-h" || a == "--help") {
			fmt::print("{}", usage);
			return kExitOk;
		}
		// --sys / --proc: another root for sysfs and procfs (tests).
		if ((a == "--timeout" || a == "--sys" || a == "--proc" || a == "--root" || a == "--release") &&
		    i + 1 < args.size()) {
			const std::string &v = args[++i];
			if (a == "--root") {
				root = v; // where var/lib/klpkit is (tests)
			} else if (a == "--release") {
				release_option = v;
			} else if (a == "--sys") {
				roots.sys = v;
			} else if (a == "--proc") {
				roots.proc = v;
			} else {
				char *end = nullptr;
				timeout = std::strtod(v.c_str(), &end);
				if (!end || *end || !(timeout > 0))
					return fmt::print(stderr, "klpkit: error: --timeout {}: expected seconds\n", v), kExitRefused;
			}
			continue;
		}
		if (a.starts_with("-"))
			return fmt::print(stderr, "klpkit: error: unknown option {}\n{}", a, usage), kExitRefused;
		rest.push_back(a);
	}
	if (rest.empty())
		return fmt::print(stderr, "{}", usage), kExitRefused;
	const std::string &cmd = rest[0];
	if (cmd == "list" && rest.size() == 1) {
		auto patches = read_livepatches(roots);
		if (!patches)
			return fail(patches.error().message());
		fmt::print("{}", format_livepatches(*patches));
		return kExitOk;
	}
	if (cmd == "info" && rest.size() == 2) {
		auto info = read_module_info(rest[1]);
		if (!info)
			return fail(info.error().message());
		auto loaded = find_livepatch(roots, info->name);
		if (!loaded)
			return fail(loaded.error().message());
		fmt::print("{}", format_module_info(*info, *loaded));
		return kExitOk;
	}
	std::string release = release_option.empty() ? running : release_option;
	if (cmd == "install" && rest.size() == 2) {
		auto to = install_module(root, rest[1], release);
		if (!to)
			return fail(to.error().message());
		fmt::print("klpkit: installed {}\n", *to);
		return kExitOk;
	}
	if (cmd == "uninstall" && rest.size() == 2) {
		if (auto r = uninstall_module(root, rest[1], release); !r)
			return fail(r.error().message());
		fmt::print("klpkit: {} uninstalled for {}\n", rest[1], release);
		return kExitOk;
	}
	if (cmd == "installed" && rest.size() == 1) {
		auto all = installed_modules(root, release);
		if (all.empty())
			fmt::print("no livepatch installed for {}\n", release);
		for (const auto &i : all)
			fmt::print("{} {}\n", i.name, i.path);
		return kExitOk;
	}
	if (cmd == "load-installed" && rest.size() == 1) {
		int status = kExitOk;
		for (const auto &i : installed_modules(root, running)) {
			auto loaded = find_livepatch(roots, i.name);
			if (loaded && *loaded) {
				fmt::print("klpkit: {}: already loaded\n", i.name);
				continue;
			}
			if (load(roots, i.path, timeout) != 0)
				status = kExitError; // the next ones still load
		}
		return status;
	}
	if (cmd == "load" && rest.size() == 2)
		return load(roots, rest[1], timeout);
	if (cmd == "unload" && rest.size() == 2)
		return unload(roots, rest[1], timeout);
	fmt::print(stderr, "klpkit: error: {}: expected prove, boot, kallsyms, list, info, load, unload, install, uninstall, installed or load-installed\n{}", cmd, usage);
	return kExitRefused;
}
