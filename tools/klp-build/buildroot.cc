// Build roots: which suite holds a kernel's compiler, making a root of it with
// debootstrap, and entering it with bubblewrap. It does not decide which commands run
// inside (make.cc and the passes do) and never changes the host's own system.
#include "buildroot.h"

#include "kbuild.h"
#include "proc/process.h"

#include <fmt/format.h>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <regex>

namespace fs = std::filesystem;

namespace klp::build {
namespace {

const char *record_name = ".klpkit-buildroot";

// What kbuild runs besides the compiler: make and binutils come with buildd; bc,
// flex, bison, libelf and libssl for `make prepare` and objtool; pahole (dwarves)
// for BTF; kmod, cpio, rsync, python3, xz and zstd for the scripts some configs call;
// patchutils, gawk and libxxhash-dev (objtool's klp subcommands, 6.19+) for the
// kernel's own scripts/livepatch/klp-build (bench/upstream-klp-build).
const std::vector<std::string> kbuild_packages = {"bc",   "bison",   "flex",    "libelf-dev", "libssl-dev",
						  "kmod", "cpio",    "rsync",   "python3",    "dwarves",
						  "xz-utils", "zstd", "patchutils", "gawk", "libxxhash-dev"};

bool is_exec(const std::string &p)
{
	return access(p.c_str(), X_OK) == 0;
}

// "/", "/usr", "/usr/lib", "/etc": the root's own; a bind there would hide it.
bool is_system_dir(const fs::path &p)
{
	static const std::vector<std::string> tops = {"usr", "etc", "lib", "lib32", "lib64", "libx32", "bin",
						      "sbin", "var", "proc", "dev", "sys", "run", "boot"};
	auto it = p.begin();
	if (it == p.end() || ++it == p.end())
		return true; // "/" or empty
	std::string top = it->string();
	size_t depth = std::distance(p.begin(), p.end()) - 1;
	return std::find(tops.begin(), tops.end(), top) != tops.end() && depth <= 2;
}

// "/srv/roots/sid/" and "roots/sid" as one absolute path without a trailing '/'.
std::string root_path(const std::string &dir)
{
	std::error_code ec;
	std::string abs = fs::absolute(dir, ec).lexically_normal().string();
	while (abs.size() > 1 && abs.back() == '/')
		abs.pop_back();
	return abs;
}

} // namespace

const std::vector<SuiteCompiler> &build_root_suites()
{
	// The gcc each suite's own kernels are built with (CONFIG_CC_VERSION_TEXT of
	// linux-image-*: "gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0" in bookworm).
	static const std::vector<SuiteCompiler> suites = {
		{"bullseye", 10}, {"bookworm", 12}, {"trixie", 14}, {"sid", 16}};
	return suites;
}

std::optional<SuiteCompiler> find_suite(const std::string &suite)
{
	for (const auto &s : build_root_suites())
		if (suite == s.suite)
			return s;
	return std::nullopt;
}

Expected<std::string> suite_for_compiler(const std::string &text)
{
	std::string known;
	for (const auto &s : build_root_suites())
		known += fmt::format("{}{} (gcc-{})", known.empty() ? "" : ", ", s.suite, s.gcc_major);
	if (text.empty())
		return make_error("the target's config has no CONFIG_CC_VERSION_TEXT: cannot tell which "
				  "build root it needs; give --build-root DIR");
	if (text.find("clang") != std::string::npos)
		return make_error("'{}': build roots hold Debian's gcc only ({}); give --build-root DIR "
				  "with that clang, or CC",
				  text, known);
	// "x86_64-linux-gnu-gcc-16 (Debian 16.2.0-4) 16.2.0", "gcc (Debian 10.2.1-6) 10.2.1".
	static const std::regex debian(R"(\(Debian ([0-9]+)\.)");
	std::smatch m;
	if (!std::regex_search(text, m, debian))
		return make_error("'{}' is not a Debian gcc: no build root holds it ({}); give "
				  "--build-root DIR",
				  text, known);
	int major = std::stoi(m[1]);
	for (const auto &s : build_root_suites())
		if (s.gcc_major == major)
			return std::string(s.suite);
	return make_error("'{}': no build root suite builds its kernels with gcc-{} ({}); give "
			  "--build-root DIR",
			  text, major, known);
}

std::vector<std::string> BuildRoot::wrap(const std::vector<std::string> &argv, const std::string &cwd) const
{
	std::vector<std::string> w = {"bwrap", "--bind", dir, "/", "--dev", "/dev", "--proc", "/proc",
				      "--tmpfs", "/tmp", "--ro-bind-try", "/etc/resolv.conf", "/etc/resolv.conf",
				      // A host TMPDIR may not exist inside.
				      "--unsetenv", "TMPDIR"};
	for (const auto &b : binds)
		w.insert(w.end(), {"--bind", b, b});
	w.insert(w.end(), {"--chdir", cwd.empty() ? "/" : cwd, "--"});
	w.insert(w.end(), argv.begin(), argv.end());
	return w;
}

std::string BuildRoot::find_program(const std::string &prog) const
{
	if (prog.find('/') != std::string::npos)
		return is_exec(dir + prog) ? dir + prog : "";
	for (const char *d : {"/usr/local/bin/", "/usr/bin/", "/bin/"})
		if (is_exec(dir + d + prog))
			return dir + d + prog;
	return "";
}

void BuildRoot::bind(const std::string &path)
{
	if (path.empty())
		return;
	std::error_code ec;
	fs::path p = fs::weakly_canonical(fs::absolute(path, ec), ec);
	if (ec || !fs::is_directory(p, ec) || is_system_dir(p))
		return;
	auto covers = [](const fs::path &outer, const fs::path &inner) {
		auto [o, i] = std::mismatch(outer.begin(), outer.end(), inner.begin(), inner.end());
		return o == outer.end();
	};
	for (const auto &b : binds)
		if (covers(b, p))
			return;
	// A new parent replaces the children bound before it.
	std::erase_if(binds, [&](const std::string &b) { return covers(p, b); });
	binds.push_back(p.string());
	std::sort(binds.begin(), binds.end());
}

namespace {

bool is_cross(const arch::Arch *target)
{
	return target && target->machine != arch::host_machine();
}

} // namespace

std::string default_build_root(const std::string &cache_dir, const std::string &suite,
			       const arch::Arch *target)
{
	std::string dir = cache_dir + "/buildroots/" + suite;
	return is_cross(target) ? dir + "-" + std::string(target->debian_arch) : dir;
}

Expected<BuildRoot> open_build_root(const std::string &dir, const std::string &suite)
{
	std::string abs = root_path(dir);
	auto record = read_text(abs + "/" + record_name);
	if (!record)
		return make_error("{}: not a build root (no {}; make one with klp-build --make-build-root "
				  "SUITE)",
				  abs, record_name);
	BuildRoot root;
	root.dir = abs;
	static const std::regex line(R"((?:^|\n)suite=([a-z]+))");
	std::smatch m;
	if (std::regex_search(*record, m, line))
		root.suite = m[1];
	if (root.suite.empty())
		return make_error("{}/{}: no suite= line", abs, record_name);
	if (!suite.empty() && root.suite != suite)
		return make_error("{} is a {} root, not {}", abs, root.suite, suite);
	if (!is_exec(abs + "/usr/bin/make"))
		return make_error("{}: build root without /usr/bin/make", abs);
	return root;
}

Expected<BuildRoot> make_build_root(const std::string &dir, const std::string &suite, const std::string &log,
				    bool echo, const arch::Arch *target)
{
	auto sc = find_suite(suite);
	if (!sc) {
		std::string known;
		for (const auto &s : build_root_suites())
			known += fmt::format("{}{}", known.empty() ? "" : ", ", s.suite);
		return make_error("build root suite '{}': expected one of {}", suite, known);
	}
	std::error_code ec;
	std::string abs = root_path(dir);
	// Made already (perhaps by root, for a user who cannot write beside it).
	if (fs::exists(abs + "/" + record_name, ec))
		return open_build_root(abs, suite);
	fs::create_directories(fs::path(abs).parent_path(), ec);
	// Two runs wanting the same root take turns; the second finds it made.
	int lock = open((abs + ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (lock < 0)
		return make_error("{}.lock: {}", abs, strerror(errno));
	flock(lock, LOCK_EX);
	struct Unlock {
		int fd;
		~Unlock() { close(fd); }
	} unlock{lock};

	if (fs::exists(abs + "/" + record_name, ec))
		return open_build_root(abs, suite);
	if (fs::exists(abs, ec) && !fs::is_empty(abs, ec))
		return make_error("{}: exists and is not a build root; remove it or name another "
				  "directory",
				  abs);
	if (geteuid() != 0)
		return make_error("making a build root needs root (debootstrap): run `sudo klp-build "
				  "--make-build-root {} --build-root {}` once",
				  suite, abs);
	for (const char *prog : {"debootstrap", "bwrap"})
		if (!in_path(prog))
			return make_error("making a build root needs {} (apt-get install debootstrap "
					  "bubblewrap)",
					  prog);

	const char *mirror_env = std::getenv("KLPKIT_DEBIAN_MIRROR");
	std::string mirror = mirror_env && *mirror_env ? mirror_env : "http://deb.debian.org/debian";
	std::string tmp = abs + ".tmp";
	fs::remove_all(tmp, ec);
	auto cleanup = [&] { fs::remove_all(tmp, ec); };

	Command boot;
	boot.argv = {"debootstrap", "--variant=buildd", suite, tmp, mirror};
	boot.log = log;
	boot.echo = echo;
	if (int st = run(boot); st != 0) {
		cleanup();
		return make_error("debootstrap {} failed (exit {}); see {}", suite, st, log);
	}
	BuildRoot root;
	root.dir = tmp;
	root.suite = suite;
	std::vector<std::string> install = {"apt-get", "install", "-y", "-q", "--no-install-recommends",
					    fmt::format("gcc-{}", sc->gcc_major)};
	if (is_cross(target))
		install.push_back(fmt::format("gcc-{}-{}", sc->gcc_major, target->gnu_triplet));
	install.insert(install.end(), kbuild_packages.begin(), kbuild_packages.end());
	Command apt;
	apt.argv = root.wrap(install);
	apt.env = {{"DEBIAN_FRONTEND", "noninteractive"}};
	apt.log = log;
	apt.echo = echo;
	if (int st = run(apt); st != 0) {
		cleanup();
		return make_error("installing the kernel build tools in the {} root failed (exit {}); "
				  "see {}",
				  suite, st, log);
	}
	Command clean;
	clean.argv = root.wrap({"apt-get", "clean"});
	clean.log = log;
	run(clean);
	if (auto w = write_text(tmp + "/" + record_name, fmt::format("suite={}\nmirror={}\n", suite, mirror)); !w) {
		cleanup();
		return w.take_error();
	}
	fs::remove(abs, ec); // an empty directory left by a user
	fs::rename(tmp, abs, ec);
	if (ec) {
		cleanup();
		return make_error("cannot move {} to {}: {}", tmp, abs, ec.message());
	}
	return open_build_root(abs, suite);
}

} // namespace klp::build
