// Every kind of the malformed-input corpus (corpus.cc) at every place it lists: the
// tool exits 1, prints exactly one `<tool>: error: ` line that names the bad file and
// the entry (the kind's pattern), prints nothing on stdout, and leaves its output
// directory empty: no output file, no temporary. A baseline test first shows that
// each place, given only valid inputs, succeeds: the damage alone makes the error.
#include "corpus.h"
#include "test_util.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using namespace klp::test;
using namespace klp::malformed;

namespace {

struct Result {
	int status = -1; // exit code; -1 if killed by a signal
	std::string out, err;
};

std::string slurp(const std::string &path)
{
	auto b = read_bytes(path);
	return {b.begin(), b.end()};
}

// Runs `bin args` with stdout and stderr captured outside the output directory.
Result run(const std::string &bin, const std::vector<std::string> &args, const fs::path &cwd)
{
	TempDir capture;
	std::string out = capture.file("stdout"), err = capture.file("stderr");
	pid_t pid = fork();
	if (pid == 0) {
		int o = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int e = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (o < 0 || e < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0 || chdir(cwd.c_str()) < 0)
			_exit(126);
		std::vector<char *> argv{const_cast<char *>(bin.c_str())};
		for (const std::string &a : args)
			argv.push_back(const_cast<char *>(a.c_str()));
		argv.push_back(nullptr);
		execv(bin.c_str(), argv.data());
		_exit(127);
	}
	int status = 0;
	waitpid(pid, &status, 0);
	Result r;
	r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	r.out = slurp(out);
	r.err = slurp(err);
	return r;
}

// The valid inputs every place starts from.
struct Valid {
	fs::path cases = fs::path(FIXTURE_CASES_DIR) / "k1-proc-cmdline";
	fs::path fixtures = KLPCONV_FIXTURES;
	std::string orig = (cases / "orig.o").string();
	std::string patched = (cases / "patched.o").string();
	std::string symtab = (cases / "symtab").string();
	std::string symvers = (cases / "Module.symvers").string();
	std::string module = (fixtures / "patch.ko").string();
	std::string btrfs = (fixtures / "btrfs.ko").string();
	std::string vmlinux = (fixtures / "vmlinux").string();
	std::string handwritten = (fixtures / "handwritten.ko").string();
	std::string kc_symvers = std::string(KLPCONV_SOURCES) + "/Module.symvers";
	// Made once: patch.ko converted (for --check), and a symbol map (for --symbols).
	TempDir made;
	std::string converted = made.file("converted.ko");
	std::string map = made.file("symbols.klp");
	std::string kallsyms = made.file("kallsyms");
	std::string oot_src = made.file("oot");

	Valid()
	{
		Result c = run(KLPCONV_BIN, {module, converted}, made.path());
		EXPECT_EQ(c.status, 0) << c.err;
		Result m = run(KLPCONV_BIN,
			       {"symbols", "--vmlinux", vmlinux, "--module", "btrfs=" + btrfs, "-o", map},
			       made.path());
		EXPECT_EQ(m.status, 0) << m.err;
		write_file(kallsyms, "ffffffff81000000 T _stext\nffffffff81000100 t scale\n");
		fs::create_directories(oot_src);
	}
};

const Valid &valid()
{
	static const Valid v;
	return v;
}

struct Invocation {
	std::string bin;
	std::vector<std::string> args;
	std::string tool; // the error line's prefix
};

// The command line of `place`, with `bad` where the place's input goes and the
// tool's output in `out`.
Invocation invocation(Place place, const std::string &bad, const fs::path &out)
{
	const Valid &v = valid();
	auto cdo = [&](std::string orig, std::string patched, std::string symtab, std::string symvers) {
		return Invocation{CDO_BIN,
				  {"--orig", orig, "--patched", patched, "--parent", "vmlinux", "--symtab",
				   symtab, "--symvers", symvers, "--patch-name", "livepatch-bad", "-o",
				   (out / "out.o").string(), "--json", (out / "report.json").string()},
				  "create-diff-object"};
	};
	auto kc = [&](std::vector<std::string> args) {
		return Invocation{KLPCONV_BIN, std::move(args), "klp-convert"};
	};
	std::string klp = (out / "symbols.klp").string(), ko = (out / "out.ko").string();
	switch (place) {
	case cdo_orig:
		return cdo(bad, v.patched, v.symtab, v.symvers);
	case cdo_patched:
		return cdo(v.orig, bad, v.symtab, v.symvers);
	case cdo_symtab:
		return cdo(v.orig, v.patched, bad, v.symvers);
	case cdo_symvers:
		return cdo(v.orig, v.patched, v.symtab, bad);
	case convert_in:
		return kc({bad, ko});
	case check_module:
		return kc({"--check", bad, "--vmlinux", v.vmlinux, "--module", "btrfs=" + v.btrfs,
			   "--symvers", v.kc_symvers});
	case symbols_module:
		return kc({"symbols", "--vmlinux", v.vmlinux, "--module", "btrfs=" + bad, "-o", klp});
	case symbols_vmlinux:
		return kc({"symbols", "--vmlinux", bad, "-o", klp});
	case symbols_kallsyms:
		return kc({"symbols", "--kallsyms", bad, "-o", klp});
	case check_symvers:
		return kc({"--check", v.converted, "--vmlinux", v.vmlinux, "--module",
			   "btrfs=" + v.btrfs, "--symvers", bad});
	case convert_map:
		return kc({"--symbols", bad, v.handwritten, ko});
	case build_patch:
		return Invocation{KLP_BUILD_BIN,
				  {"--oot-module-src", v.oot_src, "--oot-module", "oot.ko", "-o",
				   out.string(), bad},
				  "klp-build"};
	}
	return {};
}

// The valid input a place reads, which ELF kinds damage.
std::string base_of(Place place)
{
	const Valid &v = valid();
	switch (place) {
	case cdo_orig:
	case cdo_symtab:
		return v.orig;
	case cdo_patched:
		return v.patched;
	case convert_in:
		return v.module;
	case check_module:
		return v.converted;
	case symbols_module:
		return v.btrfs;
	case symbols_vmlinux:
		return v.vmlinux;
	default:
		return "";
	}
}

std::string place_name(Place p)
{
	static const std::map<Place, std::string> names = {
		{cdo_orig, "cdo_orig"},
		{cdo_patched, "cdo_patched"},
		{cdo_symtab, "cdo_symtab"},
		{cdo_symvers, "cdo_symvers"},
		{convert_in, "convert_in"},
		{check_module, "check_module"},
		{symbols_module, "symbols_module"},
		{symbols_vmlinux, "symbols_vmlinux"},
		{symbols_kallsyms, "symbols_kallsyms"},
		{check_symvers, "check_symvers"},
		{convert_map, "convert_map"},
		{build_patch, "build_patch"},
	};
	return names.at(p);
}

std::set<std::string> entries(const fs::path &dir)
{
	std::set<std::string> out;
	for (const auto &e : fs::directory_iterator(dir))
		out.insert(e.path().filename().string());
	return out;
}

struct Case {
	size_t kind;
	Place place;
};

std::vector<Case> all_cases()
{
	std::vector<Case> cases;
	for (size_t k = 0; k < kinds().size(); k++)
		for (uint32_t p = 1; p <= build_patch; p <<= 1)
			if (kinds()[k].places & p)
				cases.push_back({k, Place(p)});
	return cases;
}

class Corpus : public ::testing::TestWithParam<Case> {};

TEST_P(Corpus, OneLineExit1NothingWritten)
{
	const Kind &kind = kinds()[GetParam().kind];
	Place place = GetParam().place;
	SCOPED_TRACE(kind.what);
	TempDir dir;
	fs::path out = dir.path() / "out";
	fs::create_directories(out);
	std::string bad = dir.file("bad-" + kind.name);
	switch (kind.file) {
	case Kind::File::directory:
		fs::create_directories(bad);
		break;
	case Kind::File::missing:
		break;
	case Kind::File::module:
		fs::copy_file(valid().module, bad);
		break;
	case Kind::File::regular:
		if (kind.damage) {
			auto bytes = read_bytes(base_of(place));
			ASSERT_FALSE(bytes.empty()) << "no base input for " << place_name(place);
			ASSERT_NO_THROW(kind.damage(bytes));
			write_file(bad, std::string(bytes.begin(), bytes.end()));
		} else {
			write_file(bad, kind.text);
		}
		break;
	}
	Invocation inv = invocation(place, bad, out);
	Result r = run(inv.bin, inv.args, dir.path());

	EXPECT_EQ(r.status, 1) << r.err;
	std::string prefix = inv.tool + ": error: ";
	bool one_line = r.err.starts_with(prefix) && r.err.ends_with('\n') &&
			r.err.find('\n') == r.err.size() - 1;
	EXPECT_TRUE(one_line) << "stderr is not one error line:\n" << r.err;
	size_t at = r.err.find(bad);
	EXPECT_NE(at, std::string::npos) << "does not name " << bad << ":\n" << r.err;
	if (at != std::string::npos) {
		std::string rest = r.err.substr(at + bad.size());
		EXPECT_TRUE(std::regex_search(rest, std::regex(kind.entry)))
			<< "does not match /" << kind.entry << "/:\n"
			<< r.err;
	}
	EXPECT_TRUE(r.out.empty()) << r.out;
	EXPECT_TRUE(entries(out).empty()) << "left behind: " << ::testing::PrintToString(entries(out));
}

INSTANTIATE_TEST_SUITE_P(Kinds, Corpus, ::testing::ValuesIn(all_cases()),
			 [](const ::testing::TestParamInfo<Case> &info) {
				 std::string name = kinds()[info.param.kind].name + "__" +
						    place_name(info.param.place);
				 for (char &c : name)
					 if (!isalnum(static_cast<unsigned char>(c)))
						 c = '_';
				 return name;
			 });

// The valid inputs pass at every place but klp-build's (which needs a kernel): the
// errors above come from the damage alone.
TEST(Baseline, EachPlaceSucceedsOnValidInput)
{
	for (uint32_t p = 1; p < build_patch; p <<= 1) {
		Place place = Place(p);
		SCOPED_TRACE(place_name(place));
		TempDir dir;
		fs::path out = dir.path() / "out";
		fs::create_directories(out);
		std::string good;
		switch (place) {
		case cdo_symtab:
			good = valid().symtab;
			break;
		case cdo_symvers:
			good = valid().symvers;
			break;
		case symbols_kallsyms:
			good = valid().kallsyms;
			break;
		case check_symvers:
			good = valid().kc_symvers;
			break;
		case convert_map:
			good = valid().map;
			break;
		default:
			good = base_of(place);
		}
		Invocation inv = invocation(place, good, out);
		Result r = run(inv.bin, inv.args, dir.path());
		EXPECT_EQ(r.status, 0) << r.err;
	}
}

// An output path that cannot be written (its directory is missing, or it is a
// directory): one line naming it, exit 1, and no temporary left beside it.
TEST(OutputPath, UnwritableGivesOneLineAndNoTemporary)
{
	const Valid &v = valid();
	for (bool missing_dir : {true, false}) {
		TempDir dir;
		fs::path out = dir.path() / "out";
		fs::create_directories(out);
		std::string target = missing_dir ? (out / "no-such-dir" / "out.x").string()
						 : (out / "is-a-dir").string();
		if (!missing_dir)
			fs::create_directories(target);
		std::vector<Invocation> invocations = {
			{CDO_BIN,
			 {"--orig", v.orig, "--patched", v.patched, "--parent", "vmlinux", "--symtab",
			  v.symtab, "--symvers", v.symvers, "--patch-name", "livepatch-bad", "-o", target},
			 "create-diff-object"},
			{KLPCONV_BIN, {v.module, target}, "klp-convert"},
			{KLPCONV_BIN, {"symbols", "--vmlinux", v.vmlinux, "-o", target}, "klp-convert"},
		};
		for (const Invocation &inv : invocations) {
			SCOPED_TRACE(inv.args.front() + (missing_dir ? ": missing directory" : ": a directory"));
			Result r = run(inv.bin, inv.args, dir.path());
			EXPECT_EQ(r.status, 1) << r.err;
			EXPECT_TRUE(r.err.starts_with(inv.tool + ": error: " + target) &&
				    r.err.find('\n') == r.err.size() - 1)
				<< r.err;
			std::set<std::string> expected;
			if (!missing_dir)
				expected.insert("is-a-dir");
			EXPECT_EQ(entries(out), expected);
			EXPECT_EQ(entries(dir.path()).count("out"), 1u);
		}
	}
}

// A report that cannot be written takes the object with it: all or nothing.
TEST(OutputPath, UnwritableReportLeavesNoObject)
{
	const Valid &v = valid();
	TempDir dir;
	fs::path out = dir.path() / "out";
	fs::create_directories(out);
	std::string report = (out / "no-such-dir" / "report.json").string();
	Result r = run(CDO_BIN,
		       {"--orig", v.orig, "--patched", v.patched, "--parent", "vmlinux", "--symtab",
			v.symtab, "--symvers", v.symvers, "--patch-name", "livepatch-bad", "-o",
			(out / "out.o").string(), "--json", report},
		       dir.path());
	EXPECT_EQ(r.status, 1) << r.err;
	EXPECT_TRUE(r.err.starts_with("create-diff-object: error: " + report)) << r.err;
	EXPECT_TRUE(entries(out).empty()) << ::testing::PrintToString(entries(out));
}

// A full disk: each tool writes into a tmpfs that is already full (a private mount
// in a user and mount namespace of its own, so no root and no trace on the host).
// One line naming the output and ENOSPC, exit 1, and nothing but the filler left.
TEST(FullDisk, NoSpaceGivesOneLineAndNoPartialFile)
{
	if (std::system("unshare --user --map-root-user --mount true 2>/dev/null") != 0)
		GTEST_SKIP() << "no user and mount namespaces here (unshare failed)";
	const Valid &v = valid();
	std::vector<Invocation> invocations = {
		{CDO_BIN,
		 {"--orig", v.orig, "--patched", v.patched, "--parent", "vmlinux", "--symtab", v.symtab,
		  "--symvers", v.symvers, "--patch-name", "livepatch-full", "-o", "OUT/out.o", "--json",
		  "OUT/report.json"},
		 "create-diff-object"},
		{KLPCONV_BIN, {v.module, "OUT/out.ko"}, "klp-convert"},
		{KLPCONV_BIN, {"symbols", "--vmlinux", v.vmlinux, "-o", "OUT/symbols.klp"}, "klp-convert"},
	};
	// The mount, the filler (dd stops at ENOSPC), the tool, then a listing.
	const char *script = "set -u; out=$1; listing=$2; shift 2; "
			     "mount -t tmpfs -o size=64k tmpfs \"$out\" || exit 125; "
			     "dd if=/dev/zero of=\"$out/filler\" bs=4k 2>/dev/null; "
			     "\"$@\"; rc=$?; ls -A \"$out\" >\"$listing\"; exit $rc";
	for (const Invocation &inv : invocations) {
		SCOPED_TRACE(inv.bin);
		TempDir dir;
		fs::path out = dir.path() / "out";
		fs::create_directories(out);
		std::vector<std::string> args = {"--user", "--map-root-user", "--mount", "sh", "-c",
						 script, "sh", out.string(), dir.file("listing"), inv.bin};
		for (std::string a : inv.args) {
			if (a.starts_with("OUT/"))
				a = (out / a.substr(4)).string();
			args.push_back(a);
		}
		Result r = run("/usr/bin/unshare", args, dir.path());
		ASSERT_NE(r.status, 125) << "cannot mount a tmpfs: " << r.err;
		EXPECT_EQ(r.status, 1) << r.err;
		EXPECT_TRUE(r.err.starts_with(inv.tool + ": error: " + out.string()) &&
			    r.err.find('\n') == r.err.size() - 1)
			<< r.err;
		EXPECT_NE(r.err.find("No space left on device"), std::string::npos) << r.err;
		EXPECT_EQ(slurp(dir.file("listing")), "filler\n");
	}
}

// The corpus holds at least 25 kinds, and every kind is used somewhere.
TEST(Baseline, CorpusSize)
{
	EXPECT_GE(kinds().size(), 25u);
	std::set<std::string> names;
	for (const Kind &k : kinds()) {
		EXPECT_NE(k.places, 0u) << k.name;
		EXPECT_TRUE(names.insert(k.name).second) << "two kinds named " << k.name;
	}
}

} // namespace
