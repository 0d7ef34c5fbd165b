// modinfo.h: one section of an ELF file, and a module's .modinfo.
#include "elf/modinfo.h"

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>

namespace klp::elf {

namespace {

// Calls visit(name, section) for each section of the file until it returns true.
template <typename Visit>
Expected<void> each_section(const std::string &path, Visit visit)
{
	elf_version(EV_CURRENT);
	int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return make_error("{}: cannot open: {}", path, strerror(errno));
	Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, nullptr);
	if (!elf || elf_kind(elf) != ELF_K_ELF) {
		if (elf)
			elf_end(elf);
		close(fd);
		return make_error("{}: not an ELF file", path);
	}
	size_t shstrndx = 0;
	if (elf_getshdrstrndx(elf, &shstrndx) == 0) {
		for (Elf_Scn *scn = elf_nextscn(elf, nullptr); scn; scn = elf_nextscn(elf, scn)) {
			GElf_Shdr sh;
			if (!gelf_getshdr(scn, &sh))
				continue;
			const char *n = elf_strptr(elf, shstrndx, sh.sh_name);
			if (n && visit(std::string_view(n), scn, sh))
				break;
		}
	}
	elf_end(elf);
	close(fd);
	return {};
}

} // namespace

Expected<std::string> elf_section(const std::string &path, const std::string &name)
{
	std::string bytes;
	auto walked = each_section(path, [&](std::string_view n, Elf_Scn *scn, const GElf_Shdr &sh) {
		if (sh.sh_type == SHT_NOBITS || n != name)
			return false;
		Elf_Data *data = elf_getdata(scn, nullptr);
		if (data && data->d_buf)
			bytes.assign(static_cast<const char *>(data->d_buf), data->d_size);
		return true;
	});
	if (!walked)
		return walked.take_error();
	return bytes;
}

Expected<std::vector<std::string>> elf_section_names(const std::string &path)
{
	std::vector<std::string> names;
	auto walked = each_section(path, [&](std::string_view n, Elf_Scn *, const GElf_Shdr &) {
		names.emplace_back(n);
		return false;
	});
	if (!walked)
		return walked.take_error();
	return names;
}

std::vector<std::string> nul_strings(const std::string &bytes)
{
	std::vector<std::string> out;
	size_t i = 0;
	while (i < bytes.size()) {
		size_t end = bytes.find('\0', i);
		if (end == std::string::npos)
			end = bytes.size();
		if (end > i)
			out.push_back(bytes.substr(i, end - i));
		i = end + 1;
	}
	return out;
}

Expected<std::map<std::string, std::string>> elf_modinfo(const std::string &path)
{
	auto bytes = elf_section(path, ".modinfo");
	if (!bytes)
		return bytes.take_error();
	std::map<std::string, std::string> info;
	for (const auto &s : nul_strings(*bytes)) {
		auto eq = s.find('=');
		if (eq != std::string::npos && !info.count(s.substr(0, eq)))
			info[s.substr(0, eq)] = s.substr(eq + 1);
	}
	return info;
}

} // namespace klp::elf
