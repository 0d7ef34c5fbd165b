#include "elf/input_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace klp {

Expected<void> check_input_file(const std::string &path)
{
	struct stat st;
	if (stat(path.c_str(), &st) != 0)
		return make_error("{}: cannot open: {}", path, std::strerror(errno));
	if (S_ISDIR(st.st_mode))
		return make_error("{}: is a directory, not a file", path);
	if (S_ISFIFO(st.st_mode))
		return success(); // opened once, by its reader: a test open would end it
	if (!S_ISREG(st.st_mode))
		return make_error("{}: not a regular file", path);
	int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return make_error("{}: cannot open: {}", path, std::strerror(errno));
	close(fd);
	return success();
}

} // namespace klp
