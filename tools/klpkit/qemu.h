// Booting a kernel under QEMU for a proof: the machine for the module's architecture,
// whether KVM can be used, and one boot with the serial console in a log file, under
// a time limit. It does not read what the guest prints; the caller's watcher may.
#pragma once

#include "arch/arch.h"
#include "elf/error.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace klp::klpkit {

// Whether /dev/kvm opens and gives a VM (KVM_CREATE_VM). A machine whose KVM makes
// VMs that never run still says yes; boot() callers watch for the guest's first line.
bool kvm_available();

struct Boot {
	const arch::Arch *machine = nullptr;
	std::string accel = "tcg"; // tcg or kvm
	std::string kernel; // the image (bzImage)
	std::string initrd;
	std::string append; // the kernel command line after console= and panic settings
	std::string memory = "1G";
	std::string log; // the serial console (written from empty)
	std::string serial2; // a second serial port's bytes, raw, into this file
	double timeout_seconds = 300;
	std::function<bool()> watch; // false ends the boot as a timeout
	bool echo = false; // the console on stderr too, as it comes
};

// QEMU's exit status: 0 when the guest powered off, klp::kTimedOut when stopped.
int boot(const Boot &b);

// boot() with `accel` auto, kvm or tcg. Auto takes KVM when kvm_available(), and
// boots again under TCG when the guest has not printed `first_line` 60 s into a
// KVM boot (a KVM that makes VMs that never run). `used` is what ran; a fallback
// adds a line to `notes`.
int boot_choosing_accel(Boot b, const std::string &accel, const std::string &first_line, std::string &used,
			std::vector<std::string> &notes);

} // namespace klp::klpkit
