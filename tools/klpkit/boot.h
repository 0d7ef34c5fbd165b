// `klpkit boot`: a script run in a kernel under QEMU, the harness the proofs use
// opened to any script (the kernel tests' cases, a reproducer, a benchmark). The
// guest is busybox with klpkit and the given files; /init runs the script with
// its output on the console, then the kernel log. The run fails on the script's
// non-zero exit, a splat in the kernel log, a line the caller names as failure, a
// missing line the caller expects, or no end (crash, hang, timeout).
#pragma once

#include "elf/error.h"

#include <string>
#include <vector>

namespace klp::klpkit {

struct BootOptions {
	std::string kernel; // a release or an image file
	std::string script; // run as /klp/script by busybox sh, in /klp
	std::vector<std::string> files; // SRC (to /klp/<name>) or SRC:DEST (an absolute guest path)
	std::string log; // the console (default: a temporary, kept on failure)
	std::string serial2; // a second serial port (ttyS1), raw, into this file
	std::string append;
	std::string memory = "1G";
	std::string accel = "auto";
	double timeout = 300;
	std::vector<std::string> expect; // each must begin a console line
	std::vector<std::string> fail_on; // none may begin a console line
	bool echo = false; // the console on stderr as it comes
	std::string cache_dir;
};

struct BootResult {
	std::string kernel, release, accel, log;
	int script_status = -1; // -1: the script never ended
	double guest_seconds = 0; // guest uptime when the script began
	double wall_seconds = 0;
	std::vector<std::string> failures; // empty: passed
	std::vector<std::string> notes; // how it ran (a KVM fallback)
};

Expected<BootResult> boot_script(const BootOptions &options);

} // namespace klp::klpkit
