// What the fuzz targets share: the fuzzer's bytes as a file for the readers that take
// a path (a memfd per input slot and process, rewritten for every input), a scratch
// directory for outputs, and the oracle every error must pass. Nothing here knows
// any one target.
#pragma once

#include "elf/error.h"

#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
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

// An Error says what is wrong (main() prints it as `tool: error: <message>`). It is
// not checked for being one line: a message quotes names from the input, and a name
// may hold a newline.
inline void check_error(const Error &error)
{
	if (error.message().empty())
		fail("an empty error message", "");
}

// What the tools write is of the inputs' size, never gigabytes: a file grown past
// 64 MiB stops the process (SIGXFSZ, which libFuzzer reports as a crash) instead of
// filling the disk or /dev/shm (a section aligned to 2^35 was written as 32 GiB).
[[maybe_unused]] static const bool output_size_limited = [] {
	struct rlimit limit;
	if (getrlimit(RLIMIT_FSIZE, &limit) != 0)
		return false;
	limit.rlim_cur = std::min<rlim_t>(limit.rlim_max, rlim_t(64) << 20);
	return setrlimit(RLIMIT_FSIZE, &limit) == 0;
}();

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
// and a rename, so it cannot be a memfd): under $TMPDIR, else in /dev/shm when there
// is one. Removed at a normal exit; a crash or a timeout leaves it (scripts/fuzz
// gives each run a TMPDIR of its own and removes it).
class ScratchDir {
public:
	ScratchDir()
	{
		const char *tmpdir = std::getenv("TMPDIR");
		std::string base = tmpdir && *tmpdir ? tmpdir
				   : std::filesystem::is_directory("/dev/shm") ? "/dev/shm"
									       : "/tmp";
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
