// Fuzz target: create-diff-object on a pair, in-process (cdo.h), every pass and the
// output and report written. The input is the pair and its context in one (split by
// parts.h's split_parts()), so that the fuzzer mutates both sides and the
// context together:
//
//   orig.o | patched.o | symtab | Module.symvers | parent | patch-symbols | patch-references
//
// An empty (or missing) part is the command's default: the symtab is orig.o itself,
// no exports, parent vmlinux, no patch symbols or references. make_parts.cc writes
// such inputs from a fixture case's files.
#include "parts.h"
#include "support.h"

#include "cdo.h"

#include <algorithm>

using namespace klp;

namespace {

fuzz::MemFile orig("orig.o"), patched("patched.o"), symtab("symtab"),
	symvers("Module.symvers"), patch_symbols("patch-symbols"),
	patch_references("patch-references");
fuzz::ScratchDir scratch;

// The parent is a word of the command line (create-diff-object --parent): the
// part's first line.
std::string first_line(std::span<const uint8_t> part)
{
	std::string s(part.begin(), part.end());
	s.erase(std::min(s.find('\n'), s.size()));
	return s;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	auto parts = fuzz::split_parts(data, size, 7);
	cdo::Options o;
	o.orig_path = orig.set(parts[0]);
	o.patched_path = patched.set(parts[1]);
	o.symtab_path = parts[2].empty() ? o.orig_path : symtab.set(parts[2]);
	o.symvers_path = symvers.set(parts[3]);
	if (!parts[4].empty())
		o.parent = first_line(parts[4]);
	if (!parts[5].empty())
		o.patch_symbols_path = patch_symbols.set(parts[5]);
	if (!parts[6].empty())
		o.patch_references_path = patch_references.set(parts[6]);
	o.patch_name = "livepatch-fuzz";
	o.output_path = scratch.file("out.o");
	o.json_path = scratch.file("report.json");

	auto outcome = cdo::create_diff_object(o);
	if (!outcome)
		fuzz::check_error(outcome.error());
	return 0;
}
