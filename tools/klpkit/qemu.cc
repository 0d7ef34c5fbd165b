// QEMU command lines for the architectures proved so far, and KVM's probe. The
// guest gets one CPU (under TCG a second doubles the boot time and makes every
// transition retry once per second), no network or disk: only the initramfs.
#include "qemu.h"

#include "proc/process.h"

#include <elf.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace klp::klpkit {

bool kvm_available()
{
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		return false;
	bool ok = ioctl(kvm, KVM_GET_API_VERSION, 0) == KVM_API_VERSION;
	int vm = ok ? ioctl(kvm, KVM_CREATE_VM, 0) : -1;
	if (vm >= 0)
		close(vm);
	close(kvm);
	return vm >= 0;
}

int boot(const Boot &b)
{
	// QEMU's output is the console: the log starts empty, not with the command line.
	if (FILE *f = std::fopen(b.log.c_str(), "w"))
		std::fclose(f);
	Command cmd;
	cmd.argv = {std::string(b.machine->qemu_system), "-accel", b.accel};
	for (std::string_view a : b.machine->qemu_args)
		cmd.argv.emplace_back(a);
	std::string append = "console=" + std::string(b.machine->console) + " panic=-1 oops=panic";
	if (!b.append.empty())
		append += " " + b.append;
	for (const char *a : {"-smp", "1", "-nographic", "-monitor", "none", "-serial", "stdio", "-no-reboot"})
		cmd.argv.emplace_back(a);
	if (!b.serial2.empty())
		cmd.argv.insert(cmd.argv.end(), {"-serial", "file:" + b.serial2});
	cmd.argv.insert(cmd.argv.end(), {"-m", b.memory, "-kernel", b.kernel, "-initrd", b.initrd, "-append", append});
	cmd.log = b.log;
	cmd.log_header = false;
	cmd.echo = b.echo;
	cmd.timeout_seconds = b.timeout_seconds;
	cmd.watch = b.watch;
	return run(cmd);
}

namespace {

bool file_has(const std::string &path, const std::string &text)
{
	std::ifstream in(path, std::ios::binary);
	std::stringstream s;
	s << in.rdbuf();
	return s.str().find(text) != std::string::npos;
}

} // namespace

int boot_choosing_accel(Boot b, const std::string &accel, const std::string &first_line, std::string &used,
			std::vector<std::string> &notes)
{
	// KVM runs the host's machine only.
	bool foreign = b.machine->machine != arch::host_machine();
	used = accel == "auto" ? (!foreign && kvm_available() ? "kvm" : "tcg") : accel;
	for (;;) {
		b.accel = used;
		b.watch = nullptr;
		if (used == "kvm") {
			auto start = std::chrono::steady_clock::now();
			b.watch = [&b, start, first_line] {
				return std::chrono::steady_clock::now() - start < std::chrono::seconds(60) ||
				       file_has(b.log, first_line);
			};
		}
		int status = boot(b);
		if (status == kTimedOut && used == "kvm" && accel == "auto" && !file_has(b.log, first_line)) {
			notes.push_back("KVM did not run the guest in 60 s; booted again under TCG");
			used = "tcg";
			continue;
		}
		return status;
	}
}

} // namespace klp::klpkit
