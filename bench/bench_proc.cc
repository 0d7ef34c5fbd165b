// Times a whole process, startup and exit included: runs a command N times (after
// one warm-up run) and prints the median and best wall time, the median CPU time
// (user + system) and the median minor page faults, from wait4()'s rusage. Output
// of the command goes to /dev/null. Usage:
//   bench-proc [-n RUNS] [-l LABEL] -- COMMAND [ARG...]
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

struct Run {
	double wall_ms = 0;
	double cpu_ms = 0;
	long minflt = 0;
	int status = 0;
};

double ms(const timeval &t) { return t.tv_sec * 1e3 + t.tv_usec / 1e3; }

bool run_once(char **argv, Run &out)
{
	auto start = std::chrono::steady_clock::now();
	pid_t pid = fork();
	if (pid < 0)
		return false;
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 1);
		dup2(null, 2);
		execvp(argv[0], argv);
		_exit(127);
	}
	int status = 0;
	struct rusage ru {};
	if (wait4(pid, &status, 0, &ru) != pid)
		return false;
	auto end = std::chrono::steady_clock::now();
	out.wall_ms = std::chrono::duration<double, std::milli>(end - start).count();
	out.cpu_ms = ms(ru.ru_utime) + ms(ru.ru_stime);
	out.minflt = ru.ru_minflt;
	out.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	return true;
}

template <typename T> T median(std::vector<T> v)
{
	std::sort(v.begin(), v.end());
	return v[v.size() / 2];
}

} // namespace

int main(int argc, char **argv)
{
	int runs = 21;
	std::string label;
	int arg = 1;
	for (; arg < argc && strcmp(argv[arg], "--"); arg += 2) {
		if (arg + 1 >= argc)
			break;
		if (!strcmp(argv[arg], "-n"))
			runs = std::max(1, atoi(argv[arg + 1]));
		else if (!strcmp(argv[arg], "-l"))
			label = argv[arg + 1];
		else
			break;
	}
	if (arg >= argc || strcmp(argv[arg], "--") || arg + 1 >= argc) {
		fprintf(stderr, "usage: bench-proc [-n RUNS] [-l LABEL] -- COMMAND [ARG...]\n");
		return 1;
	}
	char **cmd = argv + arg + 1;
	if (label.empty())
		label = cmd[0];

	Run warm;
	if (!run_once(cmd, warm)) {
		perror("bench-proc");
		return 1;
	}
	std::vector<double> wall, cpu;
	std::vector<long> faults;
	for (int i = 0; i < runs; i++) {
		Run r;
		if (!run_once(cmd, r)) {
			perror("bench-proc");
			return 1;
		}
		wall.push_back(r.wall_ms);
		cpu.push_back(r.cpu_ms);
		faults.push_back(r.minflt);
	}
	printf("%-44s median %8.2f ms  best %8.2f ms  cpu %8.2f ms  faults %6ld  exit %d\n",
	       label.c_str(), median(wall), *std::min_element(wall.begin(), wall.end()),
	       median(cpu), median(faults), warm.status);
	return 0;
}
