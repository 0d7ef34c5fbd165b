// What the fuzz targets share: the fuzzer's bytes as a file for the readers that take
// a path (a memfd per input slot and process, rewritten for every input), a scratch
// directory for outputs, and the oracle every error must pass. Nothing here knows
// any one target.
#pragma once

#include "elf/error.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

// The sanitizers' report channel, when linked in: scripts/fuzz closes the tools'
// stderr (libFuzzer's -close_fd_mask), but not the sanitizers' reports.
extern "C" __attribute__((weak)) void __sanitizer_report_error_summary(const char *summary);

namespace klp::fuzz {

// Stops the run the way a sanitizer would: libFuzzer keeps the input as a crash.
[[noreturn]] inline void fail(std::string_view what, std::string_view detail)
{
	std::string message = "klpkit fuzz: " + std::string(what) + ": " + std::string(detail);
	std::fprintf(stderr, "%s\n", message.c_str());
	if (__sanitizer_report_error_summary)
		__sanitizer_report_error_summary(message.c_str());
	std::abort();
}

// An Error is one line that says something: main() prints it as
// `tool: error: <message>` (STYLE.md, Errors).
inline void check_error(const Error &error)
{
	const std::string &m = error.message();
	if (m.empty() || m.find('\n') != std::string::npos)
		fail("an error message is not one line", m);
}

// Bytes behind a path: an anonymous memory file reached as /proc/self/fd/N, which a
// reader opens afresh. Rewriting it costs a truncate and a write, no file system.
class MemFile {
public:
	explicit MemFile(const char *name)
	{
		fd_ = memfd_create(name, MFD_CLOEXEC);
		if (fd_ < 0)
			fail("memfd_create", name);
		path_ = "/proc/self/fd/" + std::to_string(fd_);
	}
	MemFile(const MemFile &) = delete;
	MemFile &operator=(const MemFile &) = delete;

	const std::string &set(std::span<const uint8_t> bytes)
	{
		if (ftruncate(fd_, 0) != 0)
			fail("ftruncate", path_);
		size_t done = 0;
		while (done < bytes.size()) {
			ssize_t n = pwrite(fd_, bytes.data() + done, bytes.size() - done, off_t(done));
			if (n <= 0)
				fail("pwrite", path_);
			done += size_t(n);
		}
		return path_;
	}
	const std::string &set(std::string_view text)
	{
		return set({reinterpret_cast<const uint8_t *>(text.data()), text.size()});
	}
	const std::string &path() const { return path_; }

private:
	int fd_ = -1;
	std::string path_;
};

// A directory of this process for the files a tool writes (through a temporary file
// and a rename, so it cannot be a memfd): in /dev/shm when there is one. Removed at
// a normal exit; a crash leaves it for inspection.
class ScratchDir {
public:
	ScratchDir()
	{
		std::string base = std::filesystem::is_directory("/dev/shm") ? "/dev/shm" : "/tmp";
		std::string templ = base + "/klpkit-fuzz-XXXXXX";
		if (!mkdtemp(templ.data()))
			fail("mkdtemp", templ);
		dir_ = templ;
	}
	~ScratchDir()
	{
		std::error_code ec;
		std::filesystem::remove_all(dir_, ec);
	}
	std::string file(const char *name) const { return dir_ + "/" + name; }

private:
	std::string dir_;
};

} // namespace klp::fuzz
