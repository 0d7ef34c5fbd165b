// `klpkit prove`: a livepatch module proved in its kernel. The kernel boots under
// QEMU with an initramfs of busybox, this klpkit, the module and the modules it
// needs; the guest loads them, waits for the transition, runs the user's check
// script, disables and unloads the patch, and the console is judged: every step
// done, no kernel splat, no taint but the expected ones.
#pragma once

#include "elf/error.h"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace klp::klpkit {

struct ProveOptions {
	std::string module; // the livepatch MODULE.ko
	std::string kernel; // a release (found in the cache or /boot) or an image file
	std::vector<std::string> modules; // --module: loaded first, in this order
	std::string modules_dir; // --modules: the target's /lib/modules/RELEASE
	std::string check; // a script run in the guest while the patch is enabled
	std::string log; // where to keep the console (default: a temporary, kept on failure)
	std::string accel = "auto"; // auto, kvm or tcg
	std::string memory = "1G";
	std::string append; // more kernel command line
	double timeout = 600; // the whole boot, seconds
	double transition_timeout = 60; // each transition in the guest
	std::string cache_dir; // where releases' images are (<cache>/debian/<release>/vmlinuz)
};

// One step as the guest ran it, with the guest's uptime around it.
struct ProofStep {
	std::string name; // "boot", "insmod fat", "load livepatch_x", "check", "unload livepatch_x"
	std::optional<int> status; // nothing: begun, never ended
	double seconds = 0;
	std::vector<std::string> output; // what the step's command printed
};

struct Proof {
	std::string module, kernel, release, accel;
	std::vector<ProofStep> steps;
	std::vector<std::string> failures; // empty: proved
	std::vector<std::string> notes; // how it ran ("KVM did not run the guest; TCG")
	std::string taint; // the taint flags the run added, as letters ("KOE")
	std::string log; // the console log kept
	double wall_seconds = 0;
	bool proved() const { return failures.empty(); }
};

// Bad input (no such kernel, a module for another release, not a livepatch) is an
// error; a module that fails in its kernel is a Proof with failures.
Expected<Proof> prove(const ProveOptions &options);

// The console of a proof boot, judged: the guest's steps and every failure, in the
// order they show. `expected_steps` are the names the guest was told to run.
Proof judge_console(std::string_view console, const std::vector<std::string> &expected_steps);

struct ProofStyle {
	bool quiet = false; // the verdict and the failures only
	bool colour = false; // ok/FAILED/proved in colour (a terminal)
};
std::string format_proof(const Proof &proof, const ProofStyle &style = {});

// The first `most` lines of `text` that show the kernel went wrong: a Call Trace,
// WARNING:, BUG:, an Oops, a panic, a general protection fault, x86's "Unpatched
// return thunk".
std::vector<std::string> find_splats(std::string_view text, size_t most);
std::string proof_json(const Proof &proof);

} // namespace klp::klpkit
