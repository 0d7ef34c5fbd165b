// The main() of a fuzz target outside libFuzzer (the regression tests, any build):
// feeds each FILE, each file under each DIR (recursively, in name order; README.md
// files are not inputs) and each path listed in an @LIST file to
// LLVMFuzzerTestOneInput, one at a time. A crash or a sanitizer report fails the run;
// so do a missing path and no input at all.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv);

namespace fs = std::filesystem;

namespace {

bool collect(const fs::path &path, std::vector<fs::path> &inputs)
{
	std::error_code ec;
	if (fs::is_directory(path, ec)) {
		std::vector<fs::path> found;
		for (const auto &entry : fs::recursive_directory_iterator(path))
			if (entry.is_regular_file() && entry.path().filename() != "README.md")
				found.push_back(entry.path());
		std::sort(found.begin(), found.end());
		inputs.insert(inputs.end(), found.begin(), found.end());
		return true;
	}
	if (!fs::is_regular_file(path, ec)) {
		std::fprintf(stderr, "replay: %s: no such file or directory\n", path.c_str());
		return false;
	}
	inputs.push_back(path);
	return true;
}

} // namespace

int main(int argc, char **argv)
{
	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	std::vector<fs::path> inputs;
	bool ok = true;
	for (int i = 1; i < argc; i++) {
		std::string arg = argv[i];
		if (!arg.starts_with("@")) {
			ok &= collect(arg, inputs);
			continue;
		}
		std::ifstream list(arg.substr(1));
		if (!list) {
			std::fprintf(stderr, "replay: %s: cannot open\n", arg.c_str() + 1);
			ok = false;
		}
		for (std::string line; std::getline(list, line);)
			if (!line.empty())
				ok &= collect(line, inputs);
	}
	if (!ok)
		return 1;
	if (inputs.empty()) {
		std::fprintf(stderr, "replay: no inputs\n");
		return 1;
	}
	for (const fs::path &p : inputs) {
		std::ifstream in(p, std::ios::binary);
		std::vector<uint8_t> bytes{std::istreambuf_iterator<char>(in),
					   std::istreambuf_iterator<char>()};
		std::fprintf(stderr, "replay: %s (%zu bytes)\n", p.c_str(), bytes.size());
		LLVMFuzzerTestOneInput(bytes.data(), bytes.size());
	}
	std::printf("replay: %zu inputs, no crash\n", inputs.size());
	return 0;
}
