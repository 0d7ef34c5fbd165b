// The host side of every guest: files read whole, static executables told apart,
// kernel images found by release, busybox laid out, scratch directories.
#include "guest.h"

#include "arch/arch.h"
#include "elf/file_io.h"
#include "proc/process.h"

#include <elf.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

namespace fs = std::filesystem;

namespace klp::klpkit {
// Whether an ELF executable has no program interpreter: it runs in a guest with
// nothing but itself. Reads the ELF and program headers only.
Expected<bool> is_static_executable(const std::string &path)
{
	std::ifstream in(path, std::ios::binary);
	Elf64_Ehdr eh;
	if (!in.read(reinterpret_cast<char *>(&eh), sizeof(eh)) || std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_phentsize != sizeof(Elf64_Phdr))
		return make_error("{}: not a 64-bit ELF executable", path);
	in.seekg(std::streamoff(eh.e_phoff));
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		if (!in.read(reinterpret_cast<char *>(&ph), sizeof(ph)))
			return make_error("{}: program headers out of the file", path);
		if (ph.p_type == PT_INTERP)
			return false;
	}
	return true;
}

// A release found in the cache klp-build and the fetch script fill, or in /boot.
Expected<std::pair<std::string, std::string>> resolve_kernel(const std::string &kernel, const std::string &cache_dir)
{
	std::error_code ec;
	if (fs::is_regular_file(kernel, ec))
		return std::pair{kernel, image_release(kernel).value_or("")};
	if (kernel.find('/') != std::string::npos)
		return make_error("--kernel {}: no such image", kernel);
	for (const std::string &image : {cache_dir + "/debian/" + kernel + "/vmlinuz", "/boot/vmlinuz-" + kernel})
		if (fs::is_regular_file(image, ec))
			return std::pair{image, kernel};
	return make_error("--kernel {}: no image of that release in {}/debian/{}/ or /boot (give the image's "
			  "path, or fetch it: scripts/kernel/fetch-debian-kernel --release {})",
			  kernel, cache_dir, kernel, kernel);
}

uint16_t image_machine(const std::string &image)
{
	std::string head;
	{
		std::ifstream in(image, std::ios::binary);
		head.resize(0x210);
		in.read(head.data(), std::streamsize(head.size()));
		head.resize(size_t(in.gcount()));
	}
	if (head.size() >= 2 && uint8_t(head[0]) == 0x1f && uint8_t(head[1]) == 0x8b) {
		// Debian's arm64 vmlinuz is a gzip'd Image: its header is what counts.
		auto out = capture({"sh", "-c", "gzip -dc \"$1\" 2>/dev/null | head -c 64", "sh", image});
		head = out ? *out : "";
	}
	if (head.size() >= 0x206 && head.compare(0x202, 4, "HdrS") == 0)
		return EM_X86_64;
	// Documentation/arch/arm64/booting.rst: the magic "ARM\x64" at offset 56.
	if (head.size() >= 64 && head.compare(56, 4, std::string("ARM\x64", 4)) == 0)
		return EM_AARCH64;
	return EM_NONE;
}

Expected<void> add_guest_base(Initramfs &img, uint16_t machine, const std::string &cache_dir)
{
	bool host = machine == arch::host_machine();
	const arch::Arch *a = arch::find(machine);
	if (!a)
		return make_error("no guest for {}: klpkit boots {}", arch::machine_name(machine),
				  arch::supported_names());
	std::string busybox = host ? find_program("busybox")
				   : cache_dir + "/guest/" + std::string(a->uname) + "/busybox";
	if (host && busybox.empty())
		return make_error("busybox is not installed (apt-get install busybox-static)");
	if (!host) {
		if (!fs::is_regular_file(busybox))
			return make_error("no {} busybox at {} (fetch Debian's: scripts/kernel/debian_archive.py "
					  "busybox {})",
					  a->uname, busybox, a->debian_arch);
		// e_machine, from the ELF header (a static executable's .rela.plt has no
		// symbol table, which the object reader rightly refuses in an object).
		unsigned char ehdr[20] = {};
		std::ifstream in(busybox, std::ios::binary);
		in.read(reinterpret_cast<char *>(ehdr), sizeof ehdr);
		uint16_t got = uint16_t(ehdr[18] | ehdr[19] << 8);
		if (!in || std::memcmp(ehdr, ELFMAG, SELFMAG) != 0 || got != machine)
			return make_error("{}: not a busybox for {} (ELF machine {})", busybox, a->uname, got);
	}
	auto is_static = is_static_executable(busybox);
	if (!is_static)
		return is_static.take_error();
	if (!*is_static)
		return make_error("{} is not static: the guest has no C library (Debian's busybox-static)", busybox);
	if (auto r = img.add_host_file("/bin/busybox", busybox, 0755); !r)
		return r;
	if (host) {
		auto applets = capture({busybox, "--list-full"});
		if (!applets)
			return applets.take_error();
		std::istringstream in(*applets);
		for (std::string applet; std::getline(in, applet);)
			if (!applet.empty() && !img.has(applet))
				img.add_symlink("/" + applet, "/bin/busybox");
	} else {
		// Another machine's busybox does not run here: /init installs its applets
		// (`busybox --install -s`), which needs /bin/sh and the directories.
		img.add_symlink("/bin/sh", "/bin/busybox");
		for (const char *d : {"/sbin", "/usr/bin", "/usr/sbin"})
			img.add_dir(d);
	}
	for (const char *d : {"/proc", "/sys", "/dev", "/tmp", "/root", "/etc"})
		img.add_dir(d);
	img.add_char_device("/dev/console", 5, 1, 0600);
	img.add_char_device("/dev/null", 1, 3, 0666);
	if (!host)
		return success(); // this klpkit is built for the host
	auto self = is_static_executable("/proc/self/exe");
	if (!self)
		return self.take_error();
	if (!*self)
		return make_error("this klpkit is not statically linked: the guest has no C++ runtime for it");
	return img.add_host_file("/klp/klpkit", "/proc/self/exe", 0755);
}

double since(std::chrono::steady_clock::time_point t0)
{
	return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::optional<std::string> image_release(const std::string &image)
{
	// Documentation/arch/x86/boot.rst: "HdrS" at 0x202, the protocol version at
	// 0x206, kernel_version (2.00+) at 0x20e: the string's offset minus 0x200.
	std::ifstream in(image, std::ios::binary);
	char head[0x210] = {};
	if (!in.read(head, sizeof(head)) || std::memcmp(head + 0x202, "HdrS", 4) != 0)
		return std::nullopt;
	unsigned version = uint8_t(head[0x206]) | uint8_t(head[0x207]) << 8;
	unsigned offset = uint8_t(head[0x20e]) | uint8_t(head[0x20f]) << 8;
	if (version < 0x200 || offset == 0)
		return std::nullopt;
	char text[256] = {};
	in.seekg(offset + 0x200);
	if (!in.read(text, sizeof(text) - 1) && in.gcount() == 0)
		return std::nullopt;
	std::string release(text, strnlen(text, sizeof(text) - 1));
	release = release.substr(0, release.find(' '));
	if (release.empty())
		return std::nullopt;
	return release;
}

Expected<std::string> make_work_dir(const std::string &what)
{
	const char *tmpdir = std::getenv("TMPDIR");
	std::string pattern = std::string(tmpdir && *tmpdir ? tmpdir : "/tmp") + "/klpkit-" + what + "-XXXXXX";
	std::vector<char> buf(pattern.begin(), pattern.end());
	buf.push_back('\0');
	if (!mkdtemp(buf.data()))
		return make_error("{}: cannot make a directory: {}", pattern, std::strerror(errno));
	return std::string(buf.data());
}

} // namespace klp::klpkit
