// Detects an appended module signature, reads `.modinfo`, and signs a module by
// running the kernel tree's scripts/sign-file. It does not parse signatures.
#include "module_file.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

extern char **environ;

namespace klp::convert {

namespace {

// The last `n` bytes of a file (fewer if it is shorter).
Expected<std::string> read_tail(const std::string &path, size_t n)
{
	int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return make_error("{}: cannot open: {}", path, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) != 0) {
		int err = errno;
		close(fd);
		return make_error("{}: cannot stat: {}", path, strerror(err));
	}
	size_t size = size_t(st.st_size);
	size_t len = std::min(size, n);
	std::string tail(len, '\0');
	ssize_t got = pread(fd, tail.data(), len, off_t(size - len));
	int err = errno;
	close(fd);
	if (got != ssize_t(len))
		return make_error("{}: cannot read: {}", path, got < 0 ? strerror(err) : "short read");
	return tail;
}

} // namespace

Expected<bool> is_signed(const std::string &path)
{
	auto tail = read_tail(path, module_sig_magic.size());
	if (!tail)
		return tail.take_error();
	return *tail == module_sig_magic;
}

std::vector<std::pair<std::string, std::string>> read_modinfo(const elf::Object &obj)
{
	std::vector<std::pair<std::string, std::string>> info;
	const elf::Section *sec = obj.find_section(".modinfo");
	if (!sec)
		return info;
	std::string_view bytes(reinterpret_cast<const char *>(sec->data.data()), sec->data.size());
	while (!bytes.empty()) {
		size_t end = bytes.find('\0');
		std::string_view entry = bytes.substr(0, end);
		bytes.remove_prefix(end == std::string_view::npos ? bytes.size() : end + 1);
		if (entry.empty())
			continue; // alignment padding between entries
		size_t eq = entry.find('=');
		if (eq == std::string_view::npos)
			info.emplace_back(std::string(entry), "");
		else
			info.emplace_back(std::string(entry.substr(0, eq)),
					  std::string(entry.substr(eq + 1)));
	}
	return info;
}

Expected<void> complete_sign_options(SignOptions &opts, const std::string &kernel_dir)
{
	if (kernel_dir.empty()) {
		if (opts.sign_file.empty())
			return make_error("--sign needs --kernel-dir DIR (for DIR/scripts/sign-file) or "
					  "--sign-file PATH");
		return success();
	}
	if (opts.sign_file.empty())
		opts.sign_file = kernel_dir + "/scripts/sign-file";
	std::ifstream config(kernel_dir + "/.config");
	std::string line;
	const std::string key = "CONFIG_MODULE_SIG_HASH=\"";
	while (std::getline(config, line)) {
		if (line.starts_with(key) && line.size() > key.size() && line.back() == '"') {
			opts.hash = line.substr(key.size(), line.size() - key.size() - 1);
			break;
		}
	}
	return success();
}

Expected<void> sign_module(const SignOptions &opts, const std::string &path)
{
	if (access(opts.sign_file.c_str(), X_OK) != 0)
		return make_error("{}: cannot run sign-file: {}", opts.sign_file, strerror(errno));
	std::vector<std::string> args = {opts.sign_file, opts.hash, opts.key, opts.cert, path};
	std::vector<char *> argv;
	for (auto &a : args)
		argv.push_back(a.data());
	argv.push_back(nullptr);
	pid_t pid;
	int rc = posix_spawn(&pid, opts.sign_file.c_str(), nullptr, nullptr, argv.data(), environ);
	if (rc != 0)
		return make_error("{}: cannot run: {}", opts.sign_file, strerror(rc));
	int status = 0;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return make_error("{}: cannot wait for sign-file: {}", path, strerror(errno));
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return make_error("{}: {} {} failed ({} {})", path, opts.sign_file, opts.hash,
				  WIFEXITED(status) ? "exit status" : "signal",
				  WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
	auto now_signed = is_signed(path);
	if (!now_signed)
		return now_signed.take_error();
	if (!*now_signed)
		return make_error("{}: {} succeeded but appended no module signature", path,
				  opts.sign_file);
	return success();
}

} // namespace klp::convert
