// Child processes with fork/exec: a log file or a tee to stderr, a bounded number of
// parallel jobs, a time limit, and an interrupt flag so that Ctrl-C ends the children
// (they share our process group) while the tool itself lives on to undo its changes
// (klp-build reverts the source tree).
#include "proc/process.h"

#include <fmt/format.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <sstream>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cerrno>
#include <cstring>
#include <deque>
#include <fstream>
#include <map>

namespace klp {
namespace {

std::atomic<bool> g_interrupted{false};

void on_signal(int) { g_interrupted = true; }

int decode_status(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return -1;
}

// The child side: environment, directory, output, exec. Only async-signal-safe
// calls matter after fork in a threaded program; klp-build has one thread.
[[noreturn]] void exec_child(const Command &cmd, int out_fd)
{
	for (const auto &[k, v] : cmd.env)
		setenv(k.c_str(), v.c_str(), 1);
	for (const auto &k : cmd.unset_env)
		unsetenv(k.c_str());
	if (!cmd.cwd.empty() && chdir(cmd.cwd.c_str()) != 0) {
		dprintf(2, "%s: cannot enter %s: %s\n", program_invocation_short_name, cmd.cwd.c_str(), strerror(errno));
		_exit(127);
	}
	int null_fd = open("/dev/null", O_RDONLY);
	if (null_fd >= 0)
		dup2(null_fd, 0);
	if (out_fd >= 0) {
		dup2(out_fd, 1);
		dup2(out_fd, 2);
	}
	std::vector<char *> argv;
	for (const auto &a : cmd.argv)
		argv.push_back(const_cast<char *>(a.c_str()));
	argv.push_back(nullptr);
	execvp(argv[0], argv.data());
	dprintf(2, "%s: cannot run %s: %s\n", program_invocation_short_name, argv[0], strerror(errno));
	_exit(127);
}

// Starts a child; with `echo`, its output goes through a pipe that `pump` copies to
// both the log and our stderr.
struct Child {
	pid_t pid = -1;
	int pipe_fd = -1;
	int log_fd = -1;
};

Child start(const Command &cmd)
{
	Child c;
	int out_fd = -1;
	if (!cmd.log.empty()) {
		c.log_fd = open(cmd.log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (c.log_fd >= 0 && cmd.log_header) {
			std::string head = "$ " + shell_line(cmd.argv) + "\n";
			if (write(c.log_fd, head.data(), head.size()) < 0) {
				// the log is a convenience; the command still runs
			}
		}
	}
	int pipefd[2] = {-1, -1};
	if (cmd.echo && pipe2(pipefd, O_CLOEXEC) == 0) {
		out_fd = pipefd[1];
		c.pipe_fd = pipefd[0];
	} else if (c.log_fd >= 0) {
		out_fd = c.log_fd;
	}
	fflush(stdout);
	fflush(stderr);
	c.pid = fork();
	if (c.pid == 0)
		exec_child(cmd, out_fd);
	if (pipefd[1] >= 0)
		close(pipefd[1]);
	return c;
}

// Copies what the echoed child wrote to our stderr and its log; false at the end
// of its output (the pipe is then closed).
bool forward(Child &c)
{
	char buf[8192];
	ssize_t n;
	while ((n = read(c.pipe_fd, buf, sizeof(buf))) < 0 && errno == EINTR) {
	}
	if (n <= 0) {
		close(c.pipe_fd);
		c.pipe_fd = -1;
		return false;
	}
	if (write(2, buf, size_t(n)) < 0) {
		// the copy is a convenience; the log still gets it
	}
	if (c.log_fd >= 0 && write(c.log_fd, buf, size_t(n)) < 0) {
	}
	return true;
}

void pump(Child &c)
{
	while (c.pipe_fd >= 0 && forward(c)) {
	}
}

int finish(Child &c)
{
	int status = 0;
	int result = -1;
	if (c.pid > 0) {
		while (waitpid(c.pid, &status, 0) < 0 && errno == EINTR) {
		}
		result = decode_status(status);
	}
	if (c.log_fd >= 0)
		close(c.log_fd);
	return result;
}

} // namespace

bool interrupted() { return g_interrupted; }

void install_signal_handlers()
{
	struct sigaction sa = {};
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, nullptr);
	sigaction(SIGTERM, &sa, nullptr);
	sigaction(SIGHUP, &sa, nullptr);
}

namespace {

// SIGTERM, then SIGKILL if it is still there 5 s later; reaped.
void stop_child(Child &c)
{
	kill(c.pid, SIGTERM);
	for (int i = 0; i < 50; i++) {
		int status = 0;
		if (waitpid(c.pid, &status, WNOHANG) == c.pid) {
			c.pid = -1;
			return;
		}
		usleep(100 * 1000);
	}
	kill(c.pid, SIGKILL);
	while (waitpid(c.pid, nullptr, 0) < 0 && errno == EINTR) {
	}
	c.pid = -1;
}

// The child under a time limit or a watcher: polled every 100 ms (its echoed
// output copied meanwhile).
int run_watched(const Command &cmd, Child &c)
{
	using clock = std::chrono::steady_clock;
	auto deadline = clock::now() + std::chrono::duration<double>(cmd.timeout_seconds);
	for (;;) {
		if (c.pipe_fd >= 0) {
			struct pollfd fd = {c.pipe_fd, POLLIN, 0};
			if (poll(&fd, 1, 100) > 0)
				forward(c);
		} else {
			usleep(100 * 1000);
		}
		int status = 0;
		pid_t done = waitpid(c.pid, &status, WNOHANG);
		if (done == c.pid) {
			c.pid = -1;
			pump(c);
			if (c.log_fd >= 0)
				close(c.log_fd);
			return decode_status(status);
		}
		bool late = cmd.timeout_seconds > 0 && clock::now() >= deadline;
		if (late || g_interrupted || (cmd.watch && !cmd.watch())) {
			stop_child(c);
			if (c.pipe_fd >= 0)
				close(c.pipe_fd);
			if (c.log_fd >= 0)
				close(c.log_fd);
			return g_interrupted ? 128 + SIGINT : kTimedOut;
		}
	}
}

} // namespace

int run(const Command &cmd)
{
	if (g_interrupted)
		return 128 + SIGINT;
	Child c = start(cmd);
	if (c.pid < 0)
		return -1;
	if (cmd.timeout_seconds > 0 || cmd.watch)
		return run_watched(cmd, c);
	pump(c);
	return finish(c);
}

std::vector<int> run_parallel(const std::vector<Command> &cmds, unsigned jobs)
{
	std::vector<int> status(cmds.size(), -1);
	if (jobs <= 1) {
		for (size_t i = 0; i < cmds.size(); i++)
			status[i] = run(cmds[i]);
		return status;
	}
	// Echoed output of parallel jobs would interleave: they log to files only.
	std::map<pid_t, std::pair<size_t, Child>> running;
	size_t next = 0;
	while (next < cmds.size() || !running.empty()) {
		while (next < cmds.size() && running.size() < jobs && !g_interrupted) {
			Command quiet = cmds[next];
			quiet.echo = false;
			Child c = start(quiet);
			if (c.pid < 0)
				status[next] = -1;
			else
				running.emplace(c.pid, std::pair{next, c});
			next++;
		}
		if (g_interrupted && next < cmds.size())
			next = cmds.size();
		if (running.empty())
			break;
		int st = 0;
		pid_t pid = waitpid(-1, &st, 0);
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		auto it = running.find(pid);
		if (it == running.end())
			continue;
		auto [index, child] = it->second;
		if (child.log_fd >= 0)
			close(child.log_fd);
		status[index] = decode_status(st);
		running.erase(it);
	}
	return status;
}

Expected<std::string> capture(const std::vector<std::string> &argv, const std::string &cwd,
			      const std::vector<int> &ok)
{
	int out[2];
	int err[2];
	if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0)
		return make_error("pipe: {}", strerror(errno));
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid == 0) {
		int null_fd = open("/dev/null", O_RDONLY);
		if (null_fd >= 0)
			dup2(null_fd, 0);
		dup2(out[1], 1);
		dup2(err[1], 2);
		if (!cwd.empty() && chdir(cwd.c_str()) != 0)
			_exit(127);
		std::vector<char *> args;
		for (const auto &a : argv)
			args.push_back(const_cast<char *>(a.c_str()));
		args.push_back(nullptr);
		execvp(args[0], args.data());
		dprintf(2, "cannot run %s: %s\n", args[0], strerror(errno));
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	// Read both pipes to the end; poll so a child that fills one pipe never waits
	// on us reading the other.
	std::string text, errors;
	struct pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
	std::string *sinks[2] = {&text, &errors};
	int open_fds = 2;
	char buf[8192];
	while (open_fds > 0) {
		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (int i = 0; i < 2; i++) {
			if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			ssize_t n = read(fds[i].fd, buf, sizeof(buf));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				close(fds[i].fd);
				fds[i].fd = -1;
				open_fds--;
				continue;
			}
			sinks[i]->append(buf, size_t(n));
		}
	}
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
	}
	int code = decode_status(status);
	if (std::find(ok.begin(), ok.end(), code) == ok.end()) {
		while (!errors.empty() && errors.back() == '\n')
			errors.pop_back();
		return make_error("{} failed (exit {}){}{}", shell_line(argv), code,
				  errors.empty() ? "" : ": ", errors);
	}
	return text;
}

std::string find_program(const std::string &prog)
{
	const char *path = std::getenv("PATH");
	std::istringstream dirs(path ? path : "/usr/bin:/bin");
	std::string dir;
	while (std::getline(dirs, dir, ':'))
		if (!dir.empty() && access((dir + "/" + prog).c_str(), X_OK) == 0)
			return dir + "/" + prog;
	return "";
}

std::string shell_line(const std::vector<std::string> &argv)
{
	std::string line;
	for (const auto &a : argv) {
		if (!line.empty())
			line += ' ';
		bool plain = !a.empty() && a.find_first_not_of("abcdefghijklmnopqrstuvwxyz"
							       "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
							       "0123456789-_./=+:,@%") ==
							   std::string::npos;
		if (plain) {
			line += a;
			continue;
		}
		line += '\'';
		for (char ch : a) {
			if (ch == '\'')
				line += "'\\''";
			else
				line += ch;
		}
		line += '\'';
	}
	return line;
}

std::string log_tail(const std::string &path, size_t lines)
{
	std::ifstream in(path);
	std::deque<std::string> last;
	std::string line;
	while (std::getline(in, line)) {
		last.push_back(line);
		if (last.size() > lines)
			last.pop_front();
	}
	std::string out;
	for (const auto &l : last)
		out += l + "\n";
	return out;
}

} // namespace klp
