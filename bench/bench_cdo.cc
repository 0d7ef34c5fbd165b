// Times create-diff-object in-process on one object pair: the best and the median of
// N runs, and the process's peak resident memory. Usage:
//   bench-cdo [-n RUNS] ORIG.o PATCHED.o SYMTAB SYMVERS [PARENT]
#include "cdo.h"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <vector>

// `tu4000-patched.o`, or `sys/patched.o` for a pair in a directory of its own.
static std::string label(const std::string &path)
{
	std::filesystem::path p(path);
	std::string name = p.filename().string();
	if (name == "patched.o")
		return (p.parent_path().filename() / name).string();
	return name;
}

int main(int argc, char **argv)
{
	int runs = 5;
	int arg = 1;
	if (argc > 2 && !strcmp(argv[1], "-n")) {
		runs = std::max(1, atoi(argv[2]));
		arg = 3;
	}
	if (argc - arg < 4) {
		fprintf(stderr, "usage: bench-cdo [-n RUNS] ORIG.o PATCHED.o SYMTAB SYMVERS [PARENT]\n");
		return 1;
	}
	klp::cdo::Options opts;
	opts.orig_path = argv[arg];
	opts.patched_path = argv[arg + 1];
	opts.symtab_path = argv[arg + 2];
	opts.symvers_path = argv[arg + 3];
	if (argc - arg > 4)
		opts.parent = argv[arg + 4];
	opts.patch_name = "bench";
	opts.output_path = (std::filesystem::temp_directory_path() / "bench-cdo-out.o").string();

	// Silence the per-run summary on stderr.
	FILE *saved = fdopen(dup(2), "w");
	freopen("/dev/null", "w", stderr);
	std::vector<double> ms;
	int outcome = -1;
	for (int i = 0; i < runs; i++) {
		auto start = std::chrono::steady_clock::now();
		auto result = klp::cdo::create_diff_object(opts);
		auto end = std::chrono::steady_clock::now();
		if (!result) {
			fprintf(saved, "error: %s\n", result.error().message().c_str());
			return 1;
		}
		outcome = klp::cdo::exit_code(*result);
		ms.push_back(std::chrono::duration<double, std::milli>(end - start).count());
	}
	std::sort(ms.begin(), ms.end());
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	auto size = [](const char *p) { return std::filesystem::file_size(p) / 1024; };
	fprintf(saved, "%-40s %8zu KiB  best %8.2f ms  median %8.2f ms  peak RSS %6ld MiB  exit %d\n",
		label(opts.patched_path).c_str(), size(argv[arg + 1]),
		ms.front(), ms[ms.size() / 2], ru.ru_maxrss / 1024, outcome);
	std::filesystem::remove(opts.output_path);
	return 0;
}
