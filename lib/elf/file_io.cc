#include "elf/file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

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

std::string default_cache_dir()
{
	if (const char *c = std::getenv("KLPKIT_CACHE"); c && *c)
		return c;
	if (const char *h = std::getenv("HOME"); h && *h)
		return std::string(h) + "/.cache/klpkit";
	return "/tmp/klpkit-cache";
}

Expected<std::string> read_file(const std::string &path)
{
	KLP_TRY(check_input_file(path));
	std::ifstream in(path, std::ios::binary);
	if (!in)
		return make_error("{}: cannot open: {}", path, std::strerror(errno));
	std::string text;
	in.seekg(0, std::ios::end);
	auto size = in.tellg();
	if (size > 0) {
		text.resize(size_t(size));
		in.seekg(0);
		in.read(text.data(), size);
	} else {
		// A pipe or /proc file: no size known up front.
		std::ostringstream ss;
		in.clear();
		in.seekg(0);
		ss << in.rdbuf();
		text = ss.str();
	}
	if (in.bad())
		return make_error("{}: read error", path);
	return text;
}

Expected<void> write_file_atomically(const std::string &path, std::string_view bytes)
{
	std::string tmp = path + ".tmp.XXXXXX";
	int fd = mkstemp(tmp.data());
	if (fd < 0)
		return make_error("{}: cannot create a temporary file: {}", path, std::strerror(errno));
	fchmod(fd, 0644);
	size_t done = 0;
	while (done < bytes.size()) {
		ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int err = errno;
			close(fd);
			unlink(tmp.c_str());
			return make_error("{}: cannot write: {}", path, std::strerror(err));
		}
		done += size_t(n);
	}
	if (close(fd) != 0 || rename(tmp.c_str(), path.c_str()) != 0) {
		int err = errno;
		unlink(tmp.c_str());
		return make_error("{}: cannot write: {}", path, std::strerror(err));
	}
	return success();
}

} // namespace klp
