// kpatch-build: kpatch-build's command line, run as klp-build (kpatch_compat.h). It
// says what differs, shows the klp-build command it runs, and becomes that process.
#include "kpatch_compat.h"
#include "livepatch/exit_codes.h"
#include "proc/process.h"

#include <fmt/format.h>

#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace fs = std::filesystem;
using namespace klp::build;

int main(int argc, char **argv)
{
	struct utsname u {};
	KpatchHost host;
	if (uname(&u) == 0)
		host.running_release = u.release;
	host.exists = [](const std::string &path) {
		std::error_code ec;
		return fs::is_regular_file(path, ec);
	};
	auto t = translate_kpatch_build(std::vector<std::string>(argv + 1, argv + argc), host);
	if (!t) {
		fmt::print(stderr, "kpatch-build: error: {}\n", t.error().message());
		return klp::kExitError;
	}
	if (t->help) {
		fmt::print("{}", kpatch_usage());
		return klp::kExitOk;
	}
	// klp-build beside this program (a build directory, an installed bin/), else $PATH.
	std::error_code ec;
	fs::path self = fs::read_symlink("/proc/self/exe", ec);
	std::string klp_build = "klp-build";
	if (!ec && fs::exists(self.parent_path() / "klp-build", ec))
		klp_build = (self.parent_path() / "klp-build").string();
	for (const auto &note : t->notes)
		fmt::print(stderr, "kpatch-build: note: {}\n", note);
	std::vector<std::string> command = {klp_build};
	command.insert(command.end(), t->args.begin(), t->args.end());
	fmt::print(stderr, "kpatch-build: running {}\n", klp::shell_line(command));
	std::vector<char *> cargv;
	for (auto &a : command)
		cargv.push_back(a.data());
	cargv.push_back(nullptr);
	execvp(cargv[0], cargv.data());
	fmt::print(stderr, "kpatch-build: error: cannot run {}: {}\n", klp_build, std::strerror(errno));
	return klp::kExitError;
}
