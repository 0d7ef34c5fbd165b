// make-fuzz-parts OUT FILE...: joins the files into one fuzz input with support.h's
// part separator (parts.h); a FILE of `-` is an empty part. The seeds of cdo_pair are
// made with it from the fixture cases.
#include "parts.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iterator>

int main(int argc, char **argv)
{
	if (argc < 3) {
		std::fprintf(stderr, "usage: make-fuzz-parts OUT FILE...\n");
		return 2;
	}
	std::ofstream out(argv[1], std::ios::binary | std::ios::trunc);
	for (int i = 2; i < argc; i++) {
		if (i > 2)
			out << klp::fuzz::part_separator;
		if (std::string_view(argv[i]) == "-")
			continue;
		std::ifstream in(argv[i], std::ios::binary);
		if (!in) {
			std::fprintf(stderr, "make-fuzz-parts: %s: cannot open\n", argv[i]);
			return 1;
		}
		std::copy(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>(),
			  std::ostreambuf_iterator<char>(out));
	}
	out.close();
	if (!out) {
		std::fprintf(stderr, "make-fuzz-parts: %s: cannot write\n", argv[1]);
		return 1;
	}
	return 0;
}
