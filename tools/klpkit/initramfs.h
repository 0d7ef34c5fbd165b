// An initramfs for a proof boot: a newc cpio archive (the format the kernel unpacks
// into its rootfs) built in memory from directories, files, symlinks and device
// nodes. Uncompressed, so that no decompressor has to be in the guest kernel; every
// entry is owned by root with time 0, written in path order: the same inputs give
// the same bytes. It knows nothing of what the guest runs.
#pragma once

#include "elf/error.h"

#include <map>
#include <string>

namespace klp::klpkit {

class Initramfs {
public:
	// Paths are absolute in the guest ("/bin/busybox"); parents are made as needed.
	void add_dir(const std::string &path, unsigned mode = 0755);
	void add_file(const std::string &path, std::string bytes, unsigned mode = 0644);
	// Copies a host file (its bytes; `mode` as given, not the host's).
	Expected<void> add_host_file(const std::string &path, const std::string &host, unsigned mode);
	void add_symlink(const std::string &path, const std::string &target);
	void add_char_device(const std::string &path, unsigned major, unsigned minor, unsigned mode);
	bool has(const std::string &path) const;

	// The archive, with its TRAILER!!! entry.
	std::string bytes() const;

private:
	struct Entry {
		unsigned mode = 0; // with the file type bits
		std::string data; // file contents or symlink target
		unsigned rdev_major = 0, rdev_minor = 0;
	};
	void add(const std::string &path, Entry entry);
	std::map<std::string, Entry> entries_; // by guest path, without the leading '/'
};

} // namespace klp::klpkit
