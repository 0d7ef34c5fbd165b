// The dump travels gzip'd. On the host's machine it goes raw over a second serial
// port (the console would add \r and take kernel messages in between); QEMU's arm64
// `virt` has one serial port, so there it goes base64'd on the console between two
// marker lines, with the console's log level down to emergencies. gzip's CRC checks
// it, the guest's line count and size say it is whole. Measured on 6.1.0-57-amd64:
// 94k symbols, 0.8 MB gzip'd.
#include "kallsyms_dump.h"

#include "elf/file_io.h"
#include "guest.h"
#include "proc/process.h"
#include "qemu.h"

#include <fmt/format.h>

#include <elf.h>

#include <algorithm>
#include <filesystem>

namespace fs = std::filesystem;

namespace klp::klpkit {
namespace {

constexpr std::string_view init_dump = R"SH(echo 0 >/proc/sys/kernel/kptr_restrict
gzip -c /proc/kallsyms >/tmp/kallsyms.gz
echo "KLPKIT-KALLSYMS lines=$(wc -l </proc/kallsyms) bytes=$(wc -c </tmp/kallsyms.gz)"
)SH";
constexpr std::string_view init_serial2 = R"SH(stty -F /dev/ttyS1 raw -echo
cat /tmp/kallsyms.gz >/dev/ttyS1
)SH";
constexpr std::string_view init_console = R"SH(echo 1 >/proc/sys/kernel/printk
echo KLPKIT-KALLSYMS-BASE64
base64 /tmp/kallsyms.gz
echo KLPKIT-KALLSYMS-END
)SH";
constexpr std::string_view init_end = R"SH(echo "KLPKIT-KALLSYMS SENT"
sync
poweroff -f
)SH";

constexpr std::string_view base64_begin = "KLPKIT-KALLSYMS-BASE64\n";
constexpr std::string_view base64_end = "KLPKIT-KALLSYMS-END";

// The base64 lines between the markers of the console log, without the \r the
// console adds; nothing if a marker is missing.
std::optional<std::string> console_base64(const std::string &console)
{
	std::string text;
	std::remove_copy(console.begin(), console.end(), std::back_inserter(text), '\r');
	size_t begin = text.find(base64_begin);
	if (begin == std::string::npos)
		return std::nullopt;
	begin += base64_begin.size();
	size_t end = text.find(base64_end, begin);
	if (end == std::string::npos)
		return std::nullopt;
	return text.substr(begin, end - begin);
}

// The address of `_stext` in a dump (every arch lists it; arm64 has no `_text`); 0 if
// there is none.
uint64_t text_address(const std::string &dump)
{
	size_t at = dump.find(" T _stext\n");
	if (at == std::string::npos)
		return 0;
	size_t line = dump.rfind('\n', at);
	line = line == std::string::npos ? 0 : line + 1;
	return std::strtoull(dump.c_str() + line, nullptr, 16);
}

// "lines=94000" from the guest's line.
size_t field(const std::string &console, const std::string &key)
{
	size_t at = console.find("KLPKIT-KALLSYMS lines=");
	if (at == std::string::npos)
		return 0;
	size_t k = console.find(key + "=", at);
	return k == std::string::npos ? 0 : std::strtoul(console.c_str() + k + key.size() + 1, nullptr, 10);
}

} // namespace

Expected<KallsymsDump> dump_kallsyms(const KallsymsOptions &o)
{
	auto t0 = std::chrono::steady_clock::now();
	auto kernel = resolve_kernel(o.kernel, o.cache_dir);
	if (!kernel)
		return kernel.take_error();
	auto [image, release] = *kernel;
	std::string out = o.output;
	if (out.empty()) {
		if (release.empty())
			return make_error("{}: not a release's image, its release is unknown: give the output with -o", image);
		out = o.cache_dir + "/debian/" + release + "/kallsyms";
	}
	std::error_code ec;
	if (!o.force && fs::file_size(out, ec) > 0 && !ec)
		return KallsymsDump{out, 0, since(t0)};

	uint16_t machine = image_machine(image);
	const arch::Arch *target = arch::find(machine);
	if (!target)
		return make_error("{}: not a kernel image of a machine klpkit boots ({})", image,
				  arch::supported_names());
	// The host's machine has a second serial port for the raw dump.
	bool serial2 = machine == arch::host_machine();
	Initramfs img;
	if (auto r = add_guest_base(img, machine, o.cache_dir); !r)
		return r.take_error();
	img.add_file("/init",
		     fmt::format("{}{}{}{}", init_preamble, init_dump, serial2 ? init_serial2 : init_console,
				 init_end),
		     0755);
	auto work = make_work_dir("kallsyms");
	if (!work)
		return work.take_error();
	std::string initrd = *work + "/initrd.cpio", log = *work + "/console.log", gz = *work + "/kallsyms.gz";
	auto fail = [&](std::string why) -> Error {
		fs::remove(initrd);
		return make_error("{}: {}; console: {}", image, why, log);
	};
	if (auto r = write_file_atomically(initrd, img.bytes()); !r)
		return fail(r.error().message());
	Boot b;
	b.machine = target;
	b.kernel = image;
	b.initrd = initrd;
	b.append = "nokaslr";
	b.log = log;
	if (serial2)
		b.serial2 = gz;
	b.timeout_seconds = o.timeout;
	int status = boot(b);
	auto console = read_file(log);
	if (status != 0 || !console || console->find("KLPKIT-KALLSYMS SENT") == std::string::npos)
		return fail(status == kTimedOut ? fmt::format("no dump in {} s", o.timeout)
						: fmt::format("the guest did not send its /proc/kallsyms (QEMU status {})", status));
	if (!serial2) {
		auto text = console_base64(*console);
		if (!text)
			return fail("no base64 dump between the markers on the console");
		if (auto r = write_file_atomically(gz + ".b64", *text); !r)
			return fail(r.error().message());
		auto bytes = capture({"base64", "-d", gz + ".b64"});
		if (!bytes)
			return fail("the base64 dump does not decode: " + bytes.error().message());
		if (auto r = write_file_atomically(gz, *bytes); !r)
			return fail(r.error().message());
	}
	auto sent = read_file(gz);
	if (!sent || sent->size() != field(*console, "bytes"))
		return fail(fmt::format("got {} bytes of the dump, the guest sent {}", sent ? sent->size() : 0,
					field(*console, "bytes")));
	auto text = capture({"gzip", "-dc", gz});
	if (!text)
		return fail("the dump does not unpack: " + text.error().message());
	size_t lines = std::count(text->begin(), text->end(), '\n');
	if (lines != field(*console, "lines"))
		return fail(fmt::format("got {} lines, the guest had {}", lines, field(*console, "lines")));
	// nokaslr: the kernel text starts where it was linked, 0xffffffff81000000 on
	// x86_64; on arm64 it depends on the VA size, and 0 means addresses are hidden.
	if (machine == EM_X86_64 && text->find("ffffffff81000000 T _text\n") == std::string::npos)
		return fail("no _text at ffffffff81000000: addresses hidden or KASLR still on");
	if (text_address(*text) == 0)
		return fail("no _stext address: addresses hidden");
	fs::create_directories(fs::path(out).parent_path(), ec);
	if (auto r = write_file_atomically(out, *text); !r)
		return fail(r.error().message());
	fs::remove_all(*work);
	return KallsymsDump{out, lines, since(t0)};
}

} // namespace klp::klpkit
