// The newc cpio format (cpio(5), the kernel's Documentation/driver-api/early-userspace/
// buffer-format.rst): per entry a 110-byte ASCII header of 8-digit hex fields, the NUL-
// terminated name, padding to 4 bytes, the data, padding to 4 bytes; a last entry
// named TRAILER!!!.
#include "initramfs.h"

#include <fmt/format.h>

#include <sys/stat.h>

#include <fstream>
#include <sstream>

namespace klp::klpkit {
namespace {

std::string relative(const std::string &path)
{
	size_t start = path.find_first_not_of('/');
	return start == std::string::npos ? "" : path.substr(start);
}

void pad4(std::string &out)
{
	while (out.size() % 4)
		out += '\0';
}

void append_entry(std::string &out, const std::string &name, unsigned ino, unsigned mode, unsigned nlink,
		  const std::string &data, unsigned rdev_major, unsigned rdev_minor)
{
	// magic, ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor,
	// rdevmajor, rdevminor, namesize, check
	out += fmt::format("070701{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}",
			   ino, mode, 0, 0, nlink, 0, data.size(), 0, 0, rdev_major, rdev_minor, name.size() + 1, 0);
	out += name;
	out += '\0';
	pad4(out);
	out += data;
	pad4(out);
}

} // namespace

void Initramfs::add(const std::string &path, Entry entry)
{
	std::string rel = relative(path);
	if (rel.empty())
		return;
	for (size_t slash = rel.find('/'); slash != std::string::npos; slash = rel.find('/', slash + 1))
		if (!entries_.count(rel.substr(0, slash)))
			entries_[rel.substr(0, slash)] = Entry{S_IFDIR | 0755, {}, 0, 0};
	entries_[rel] = std::move(entry);
}

bool Initramfs::has(const std::string &path) const { return entries_.count(relative(path)) != 0; }

void Initramfs::add_dir(const std::string &path, unsigned mode) { add(path, Entry{S_IFDIR | mode, {}, 0, 0}); }

void Initramfs::add_file(const std::string &path, std::string bytes, unsigned mode)
{
	add(path, Entry{S_IFREG | mode, std::move(bytes), 0, 0});
}

Expected<void> Initramfs::add_host_file(const std::string &path, const std::string &host, unsigned mode)
{
	std::ifstream in(host, std::ios::binary);
	if (!in)
		return make_error("{}: cannot read", host);
	std::stringstream s;
	s << in.rdbuf();
	if (in.bad())
		return make_error("{}: read error", host);
	add_file(path, s.str(), mode);
	return {};
}

void Initramfs::add_symlink(const std::string &path, const std::string &target)
{
	add(path, Entry{S_IFLNK | 0777, target, 0, 0});
}

void Initramfs::add_char_device(const std::string &path, unsigned major, unsigned minor, unsigned mode)
{
	add(path, Entry{S_IFCHR | mode, {}, major, minor});
}

std::string Initramfs::bytes() const
{
	std::string out;
	unsigned ino = 1;
	for (const auto &[name, e] : entries_)
		append_entry(out, name, ino++, e.mode, S_ISDIR(e.mode) ? 2 : 1, e.data, e.rdev_major, e.rdev_minor);
	append_entry(out, "TRAILER!!!", 0, 0, 1, "", 0, 0);
	return out;
}

} // namespace klp::klpkit
