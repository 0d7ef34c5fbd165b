// The guest of `klpkit boot`: its /init, the files laid out as asked, one boot,
// and the judgement of the console (the script's status between markers, the
// kernel log's splats, the caller's expected and failing lines).
#include "boot.h"

#include "elf/file_io.h"
#include "guest.h"
#include "proc/process.h"
#include "prove.h"
#include "qemu.h"

#include <fmt/format.h>

#include <elf.h>
#include <sys/stat.h>

#include <filesystem>
#include <sstream>

namespace fs = std::filesystem;

namespace klp::klpkit {
namespace {

// The console after /init's markers: the script's output, then the kernel log
// between DMESG markers (the console is turned down to errors first, so that the
// log comes out whole, not interleaved).
constexpr std::string_view init_steps = R"SH(echo "KLPKIT-BOOT BEGIN uptime=$(up)"
cd /klp
sh /klp/script
rc=$?
echo "KLPKIT-BOOT END rc=$rc uptime=$(up)"
dmesg -n 1
echo "KLPKIT-BOOT DMESG BEGIN"
dmesg
echo "KLPKIT-BOOT DMESG END"
echo "KLPKIT-BOOT DONE"
sync
poweroff -f
)SH";

double after(const std::string &text, const std::string &key)
{
	size_t at = text.find(key);
	return at == std::string::npos ? -1 : std::strtod(text.c_str() + at + key.size(), nullptr);
}

bool has_line_starting(const std::string &console, const std::string &prefix)
{
	std::istringstream in(console);
	for (std::string line; std::getline(in, line);)
		if (line.starts_with(prefix))
			return true;
	return false;
}

} // namespace

Expected<BootResult> boot_script(const BootOptions &o)
{
	auto t0 = std::chrono::steady_clock::now();
	auto kernel = resolve_kernel(o.kernel, o.cache_dir);
	if (!kernel)
		return kernel.take_error();
	if (auto ok = check_input_file(o.script); !ok)
		return ok.take_error();
	if (o.accel == "kvm" && !kvm_available())
		return make_error("--accel kvm: /dev/kvm cannot make a VM here (--accel auto falls back to TCG)");
	// The image's machine; a format it cannot tell boots as the host's.
	uint16_t machine = image_machine(kernel->first);
	if (machine == EM_NONE)
		machine = arch::host_machine();
	const arch::Arch *guest = arch::find(machine);
	if (!guest)
		return make_error("--kernel {}: an image for {}; klpkit boots {}", kernel->first,
				  arch::machine_name(machine), arch::supported_names());
	if (o.accel == "kvm" && machine != arch::host_machine())
		return make_error("--accel kvm: the image is for {}, KVM runs {} guests only", guest->uname,
				  arch::machine_name(arch::host_machine()));
	Initramfs img;
	if (auto r = add_guest_base(img, machine, o.cache_dir); !r)
		return r.take_error();
	if (auto r = img.add_host_file("/klp/script", o.script, 0755); !r)
		return r.take_error();
	for (const auto &f : o.files) {
		// SRC:DEST puts it at DEST; SRC alone at /klp/<name>. Executables stay so.
		size_t colon = f.find(':');
		std::string src = colon == std::string::npos ? f : f.substr(0, colon);
		std::string dest = colon == std::string::npos ? "/klp/" + fs::path(f).filename().string()
							      : f.substr(colon + 1);
		if (!dest.starts_with("/"))
			return make_error("--file {}: the guest path must be absolute", f);
		struct stat st {};
		if (stat(src.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
			return make_error("--file {}: {} is not a file", f, src);
		if (auto r = img.add_host_file(dest, src, (st.st_mode & 0111) ? 0755 : 0644); !r)
			return r.take_error();
	}
	img.add_file("/init", std::string(init_preamble) + std::string(init_steps), 0755);
	auto work = make_work_dir("boot");
	if (!work)
		return work.take_error();
	std::string initrd = *work + "/initrd.cpio";
	std::string log = o.log.empty() ? *work + "/console.log" : o.log;
	if (auto r = write_file_atomically(initrd, img.bytes()); !r) {
		fs::remove_all(*work);
		return r.take_error();
	}

	BootResult r;
	r.kernel = kernel->first;
	r.release = kernel->second;
	Boot b;
	b.machine = guest;
	b.kernel = r.kernel;
	b.initrd = initrd;
	b.append = o.append;
	b.memory = o.memory;
	b.log = log;
	b.serial2 = o.serial2;
	b.timeout_seconds = o.timeout;
	b.echo = o.echo;
	int status = boot_choosing_accel(b, o.accel, "KLPKIT-BOOT BEGIN", r.accel, r.notes);
	fs::remove(initrd);

	std::string console;
	if (auto c = read_file(log))
		console = *c;
	std::erase(console, '\r');
	r.guest_seconds = after(console, "KLPKIT-BOOT BEGIN uptime=");
	if (status == kTimedOut)
		r.failures.push_back(fmt::format("stopped after {} s (--timeout)", o.timeout));
	else if (status != 0)
		r.failures.push_back(fmt::format("{} exited with status {}", b.machine->qemu_system, status));
	size_t end = console.find("KLPKIT-BOOT END rc=");
	if (console.find("KLPKIT-BOOT BEGIN") == std::string::npos)
		r.failures.push_back("the guest never ran its /init: the kernel did not boot");
	else if (end == std::string::npos)
		r.failures.push_back("the script never ended: the guest crashed, hung or ran out of time");
	else if ((r.script_status = std::atoi(console.c_str() + end + 19)) != 0)
		r.failures.push_back(fmt::format("the script exited with status {}", r.script_status));
	// The kernel's own log: whole when the script ended, else what the console has.
	size_t dmesg = console.find("KLPKIT-BOOT DMESG BEGIN");
	std::string kernel_log = dmesg == std::string::npos ? console : console.substr(dmesg);
	if (auto splats = find_splats(kernel_log, 1); !splats.empty())
		r.failures.push_back("kernel splat: " + splats.front());
	if (console.find("KLPKIT-BOOT DONE") == std::string::npos && end != std::string::npos)
		r.failures.push_back("no final marker after the script: the guest crashed or hung");
	for (const auto &e : o.expect)
		if (!has_line_starting(console, e))
			r.failures.push_back(fmt::format("no line begins with '{}'", e));
	for (const auto &f : o.fail_on)
		if (has_line_starting(console, f))
			r.failures.push_back(fmt::format("a line begins with '{}'", f));
	if (!o.log.empty()) {
		r.log = o.log;
		fs::remove_all(*work);
	} else if (!r.failures.empty()) {
		r.log = log; // kept for the failure's reader
	} else {
		fs::remove_all(*work);
	}
	r.wall_seconds = since(t0);
	return r;
}

} // namespace klp::klpkit
