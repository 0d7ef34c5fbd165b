// Tier 2: the create-diff-object command, run on inputs made here. Bad input gives
// exactly one `create-diff-object: error: ` line naming the file, exit 1, and
// neither output object nor report; usage errors exit 1 with the usage; no change
// exits 3 and a refusal 2, each with a report and no object; output is
// deterministic; the kpatch positional form matches the named options.
#include "test_util.h"

#include <elf.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#ifndef CDO_BIN
#error "CDO_BIN must name the create-diff-object binary"
#endif

namespace fs = std::filesystem;
using namespace klp::test;

namespace {

struct Result {
	int status = -1; // exit code; -1 if killed
	std::string out, err;

	// stderr is exactly one line that starts `create-diff-object: error: `.
	bool one_error_line() const
	{
		return err.starts_with("create-diff-object: error: ") && err.ends_with('\n') &&
		       err.find('\n') == err.size() - 1;
	}
};

std::string read_text(const fs::path &p)
{
	auto bytes = read_bytes(p.string());
	return {bytes.begin(), bytes.end()};
}

// Runs the tool with `args` in `cwd`, capturing stdout and stderr.
Result cdo(const std::vector<std::string> &args, const fs::path &cwd)
{
	TempDir capture;
	std::string out = capture.file("stdout"), err = capture.file("stderr");
	pid_t pid = fork();
	if (pid == 0) {
		int o = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int e = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (o < 0 || e < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0 || chdir(cwd.c_str()) < 0)
			_exit(126);
		std::vector<char *> argv{const_cast<char *>(CDO_BIN)};
		for (const std::string &a : args)
			argv.push_back(const_cast<char *>(a.c_str()));
		argv.push_back(nullptr);
		execv(CDO_BIN, argv.data());
		_exit(127);
	}
	int status = 0;
	waitpid(pid, &status, 0);
	Result r;
	r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	r.out = read_text(out);
	r.err = read_text(err);
	return r;
}

std::set<std::string> entries(const fs::path &dir)
{
	std::set<std::string> out;
	for (const auto &e : fs::directory_iterator(dir))
		out.insert(e.path().filename().string());
	return out;
}

// A change to a function that calls a static helper (a klp relocation), a global
// `tunable` (for a refusal) and a Module.symvers that exports kfree.
const char *orig_c = R"(
#define noinline __attribute__((noinline))
extern void kfree(void *p);
int tunable = 5;
static noinline int scale(int x) { return x * 3 + tunable; }
int frob(void *p, int x)
{
	kfree(p);
	return scale(x) > 10;
}
)";
const char *patched_c = R"(
#define noinline __attribute__((noinline))
extern void kfree(void *p);
int tunable = 5;
static noinline int scale(int x) { return x * 3 + tunable; }
int frob(void *p, int x)
{
	kfree(p);
	return scale(x) >= 10;
}
)";

// One test's inputs: dir/orig.o, dir/patched.o, dir/Module.symvers, and an empty
// dir/out/ for what the tool writes.
struct Inputs {
	TempDir dir;
	std::string orig, patched, symvers, out_dir, out, json;

	explicit Inputs(const std::string &patched_src = patched_c, const std::string &orig_src = orig_c)
	{
		fs::create_directories(dir.path() / "o");
		fs::create_directories(dir.path() / "p");
		fs::create_directories(dir.path() / "out");
		// Both sides compiled as unit.c, as a rebuild of one file would be.
		std::string o = compile_c(dir, "o/unit", orig_src);
		std::string p = compile_c(dir, "p/unit", patched_src);
		orig = dir.file("orig.o");
		patched = dir.file("patched.o");
		fs::rename(o, orig);
		fs::rename(p, patched);
		symvers = dir.file("Module.symvers");
		write_file(symvers, "0x037a0cba\tkfree\tvmlinux\tEXPORT_SYMBOL\t\n");
		out_dir = dir.file("out");
		out = dir.file("out/out.o");
		json = dir.file("out/report.json");
	}

	// The named-option command line, with the original's own symbols as the symtab.
	std::vector<std::string> args() const
	{
		return {"--orig", orig, "--patched", patched, "--parent", "vmlinux", "--symtab", orig,
			"--symvers", symvers, "--patch-name", "livepatch-cli", "-o", out,
			"--json", json};
	}
	static std::vector<std::string> with(std::vector<std::string> args, const std::string &opt,
					     const std::string &value)
	{
		auto it = std::find(args.begin(), args.end(), opt);
		if (it != args.end())
			*(it + 1) = value;
		return args;
	}
};

// --- ELF surgery on a copy of an object ---

std::vector<uint8_t> bytes_of(const std::string &path) { return read_bytes(path); }

void write_bytes(const std::string &path, const std::vector<uint8_t> &b)
{
	write_file(path, std::string(b.begin(), b.end()));
}

Elf64_Ehdr *ehdr(std::vector<uint8_t> &b) { return reinterpret_cast<Elf64_Ehdr *>(b.data()); }

Elf64_Shdr *shdr(std::vector<uint8_t> &b, size_t i)
{
	return reinterpret_cast<Elf64_Shdr *>(b.data() + ehdr(b)->e_shoff) + i;
}

std::string section_name(std::vector<uint8_t> &b, size_t i)
{
	const Elf64_Shdr *strtab = shdr(b, ehdr(b)->e_shstrndx);
	return reinterpret_cast<const char *>(b.data() + strtab->sh_offset + shdr(b, i)->sh_name);
}

// The index of the first section of `type` (whose name starts with `prefix`).
size_t find_section(std::vector<uint8_t> &b, uint32_t type, const std::string &prefix = "")
{
	for (size_t i = 1; i < ehdr(b)->e_shnum; i++)
		if (shdr(b, i)->sh_type == type && section_name(b, i).starts_with(prefix))
			return i;
	ADD_FAILURE() << "no section of type " << type << " named " << prefix << "*";
	return 0;
}

// Checks the bad-input contract: exit 1, one error line naming `culprit`, nothing
// written (not even a temporary file).
void expect_input_error(const Inputs &in, const Result &r, const std::string &culprit,
			const std::string &detail = "")
{
	EXPECT_EQ(r.status, 1) << r.err;
	EXPECT_TRUE(r.one_error_line()) << "stderr:\n" << r.err;
	EXPECT_NE(r.err.find(culprit), std::string::npos) << "does not name " << culprit << ":\n"
							    << r.err;
	if (!detail.empty()) {
		EXPECT_NE(r.err.find(detail), std::string::npos) << r.err;
	}
	EXPECT_TRUE(r.out.empty()) << r.out;
	EXPECT_TRUE(entries(in.out_dir).empty())
		<< "left behind: " << ::testing::PrintToString(entries(in.out_dir));
}

} // namespace

// --- Malformed input: one line, exit 1, nothing written ---

TEST(MalformedInput, TruncatedOriginal)
{
	Inputs in;
	auto full = bytes_of(in.orig);
	for (size_t size : {size_t(10), sizeof(Elf64_Ehdr) - 1, full.size() / 2, full.size() - 1}) {
		SCOPED_TRACE(::testing::Message() << "truncated to " << size << " of " << full.size());
		std::string bad = in.dir.file("truncated.o");
		write_bytes(bad, std::vector<uint8_t>(full.begin(), full.begin() + long(size)));
		Result r = cdo(Inputs::with(in.args(), "--orig", bad), in.dir.path());
		expect_input_error(in, r, bad);
	}
}

TEST(MalformedInput, SymbolWithBadSectionIndex)
{
	Inputs in;
	auto b = bytes_of(in.orig);
	size_t symtab = find_section(b, SHT_SYMTAB);
	auto *syms = reinterpret_cast<Elf64_Sym *>(b.data() + shdr(b, symtab)->sh_offset);
	size_t n = shdr(b, symtab)->sh_size / sizeof(Elf64_Sym), patched = 0;
	for (size_t i = 1; i < n && !patched; i++)
		if (ELF64_ST_TYPE(syms[i].st_info) == STT_FUNC) {
			syms[i].st_shndx = uint16_t(ehdr(b)->e_shnum + 7); // below SHN_LORESERVE
			patched = i;
		}
	ASSERT_NE(patched, 0u);
	std::string bad = in.dir.file("badshndx.o");
	write_bytes(bad, b);
	Result r = cdo(Inputs::with(in.args(), "--orig", bad), in.dir.path());
	expect_input_error(in, r, bad, "section index");
}

TEST(MalformedInput, RelocationWithBadSymbolIndex)
{
	Inputs in;
	auto b = bytes_of(in.patched);
	size_t rela = find_section(b, SHT_RELA, ".rela.text.frob");
	ASSERT_NE(rela, 0u);
	auto *r0 = reinterpret_cast<Elf64_Rela *>(b.data() + shdr(b, rela)->sh_offset);
	r0->r_info = ELF64_R_INFO(9999, ELF64_R_TYPE(r0->r_info));
	std::string bad = in.dir.file("badrelsym.o");
	write_bytes(bad, b);
	Result r = cdo(Inputs::with(in.args(), "--patched", bad), in.dir.path());
	expect_input_error(in, r, bad, "symbol 9999");
}

TEST(MalformedInput, BadShLink)
{
	Inputs in;
	auto b = bytes_of(in.orig);
	size_t rela = find_section(b, SHT_RELA);
	ASSERT_NE(rela, 0u);
	shdr(b, rela)->sh_link = 999;
	std::string bad = in.dir.file("badlink.o");
	write_bytes(bad, b);
	Result r = cdo(Inputs::with(in.args(), "--orig", bad), in.dir.path());
	expect_input_error(in, r, bad, "sh_link 999");
}

TEST(MalformedInput, WrongElfClass)
{
	Inputs in;
	auto b = bytes_of(in.orig);
	b[EI_CLASS] = ELFCLASS32;
	std::string bad = in.dir.file("class32.o");
	write_bytes(bad, b);
	Result r = cdo(Inputs::with(in.args(), "--orig", bad), in.dir.path());
	expect_input_error(in, r, bad, "class");
}

TEST(MalformedInput, WrongMachineInOne)
{
	Inputs in;
	auto b = bytes_of(in.patched);
	ehdr(b)->e_machine = EM_AARCH64;
	std::string bad = in.dir.file("aarch64.o");
	write_bytes(bad, b);
	Result r = cdo(Inputs::with(in.args(), "--patched", bad), in.dir.path());
	expect_input_error(in, r, bad, "machine");
}

TEST(MalformedInput, WrongMachineInBoth)
{
	Inputs in;
	std::string bad_orig = in.dir.file("s390-orig.o"), bad_patched = in.dir.file("s390.o");
	for (auto [from, to] : {std::pair{in.orig, bad_orig}, std::pair{in.patched, bad_patched}}) {
		auto b = bytes_of(from);
		ehdr(b)->e_machine = EM_S390;
		write_bytes(to, b);
	}
	Result r = cdo(Inputs::with(Inputs::with(in.args(), "--orig", bad_orig), "--patched",
				    bad_patched),
		       in.dir.path());
	// Each object is checked as it is read: the original is named first.
	expect_input_error(in, r, bad_orig, "not supported");
}

TEST(MalformedInput, NotAnElfFile)
{
	Inputs in;
	std::string bad = in.dir.file("notes.txt");
	write_file(bad, "this is not an object file\n");
	Result r = cdo(Inputs::with(in.args(), "--orig", bad), in.dir.path());
	expect_input_error(in, r, bad);
}

TEST(MalformedInput, MissingFile)
{
	Inputs in;
	std::string missing = in.dir.file("no-such.o");
	Result r = cdo(Inputs::with(in.args(), "--patched", missing), in.dir.path());
	expect_input_error(in, r, missing);
}

// The error must say what is wrong with the dump: its malformed line.
TEST(MalformedInput, MalformedKallsymsSymtabNamesTheLine)
{
	Inputs in;
	std::string bad = in.dir.file("kallsyms");
	write_file(bad, "ffffffff81000000 T _stext\n"
			"ffffffff81000100 t scale\n"
			"this line is not kallsyms\n"
			"ffffffff81000200 T frob\n");
	Result r = cdo(Inputs::with(in.args(), "--symtab", bad), in.dir.path());
	expect_input_error(in, r, bad + ":3:", "malformed line");
}

TEST(MalformedInput, MalformedSymvers)
{
	Inputs in;
	std::string bad = in.dir.file("Module.symvers.bad");
	write_file(bad, "0x037a0cba\tkfree\tvmlinux\tEXPORT_SYMBOL\t\n"
			"0x12345678 printk vmlinux\n");
	Result r = cdo(Inputs::with(in.args(), "--symvers", bad), in.dir.path());
	expect_input_error(in, r, bad + ":2:", "malformed line");
}

// --- The command line ---

TEST(CommandLine, Help)
{
	TempDir dir;
	Result r = cdo({"--help"}, dir.path());
	EXPECT_EQ(r.status, 0);
	EXPECT_TRUE(r.err.empty()) << r.err;
	EXPECT_TRUE(r.out.starts_with("usage: create-diff-object --orig ORIG.o")) << r.out;
	// The kpatch form is documented too.
	EXPECT_NE(r.out.find("or: create-diff-object ORIG.o PATCHED.o PARENT SYMTAB Module.symvers "
			     "PATCH-NAME OUTPUT.o"),
		  std::string::npos)
		<< r.out;
	for (const char *opt : {"--orig", "--patched", "--parent", "--symtab", "--symvers",
				"--patch-name", "--output", "--json", "--entry-size", "--debug",
				"--help"})
		EXPECT_NE(r.out.find(opt), std::string::npos) << opt << " missing from:\n" << r.out;
	EXPECT_TRUE(entries(dir.path()).empty());
}

TEST(CommandLine, MissingRequiredOptionsGiveUsage)
{
	Inputs in;
	const std::vector<std::string> all = in.args();
	for (const char *opt : {"--orig", "--patched", "--symtab", "--symvers", "-o"}) {
		SCOPED_TRACE(opt);
		std::vector<std::string> args = all;
		auto it = std::find(args.begin(), args.end(), opt);
		ASSERT_NE(it, args.end());
		args.erase(it, it + 2);
		Result r = cdo(args, in.dir.path());
		EXPECT_EQ(r.status, 1) << r.err;
		std::string name = std::string(opt) == "-o" ? "--output" : opt;
		EXPECT_TRUE(r.err.starts_with("create-diff-object: error: " + name + " is missing\n"))
			<< r.err;
		EXPECT_NE(r.err.find("usage: create-diff-object"), std::string::npos) << r.err;
		EXPECT_TRUE(entries(in.out_dir).empty());
	}
	// Nothing at all.
	Result r = cdo({}, in.dir.path());
	EXPECT_EQ(r.status, 1);
	EXPECT_NE(r.err.find("usage: create-diff-object"), std::string::npos) << r.err;
}

TEST(CommandLine, BadOptionsExit1WithOneLine)
{
	Inputs in;
	for (const auto &args : std::vector<std::vector<std::string>>{
		     {"--no-such-option"},
		     {"--orig"},
		     {"--entry-size", "__bug_table"},
		     {"--entry-size", "__bug_table=twelve"},
		     {"--entry-size", "__bug_table=0"}}) {
		std::vector<std::string> full = in.args();
		full.insert(full.end(), args.begin(), args.end());
		SCOPED_TRACE(args[0] + (args.size() > 1 ? " " + args[1] : ""));
		Result r = cdo(full, in.dir.path());
		EXPECT_EQ(r.status, 1);
		EXPECT_TRUE(r.one_error_line()) << r.err;
		EXPECT_TRUE(entries(in.out_dir).empty());
	}
}

TEST(CommandLine, PositionalFormWrongCount)
{
	Inputs in;
	Result r = cdo({in.orig, in.patched, "vmlinux", in.orig, in.symvers, in.out}, in.dir.path());
	EXPECT_EQ(r.status, 1);
	EXPECT_TRUE(r.err.starts_with("create-diff-object: error: the positional form takes 7 "
				      "arguments, not 6"))
		<< r.err;
	EXPECT_NE(r.err.find("usage:"), std::string::npos);
	EXPECT_TRUE(entries(in.out_dir).empty());
}

TEST(CommandLine, PositionalFormMatchesNamedOptions)
{
	Inputs in;
	Result named = cdo(in.args(), in.dir.path());
	ASSERT_EQ(named.status, 0) << named.err;
	std::string positional_out = in.dir.file("positional.o");
	Result pos = cdo({in.orig, in.patched, "vmlinux", in.orig, in.symvers, "livepatch-cli",
			  positional_out},
			 in.dir.path());
	ASSERT_EQ(pos.status, 0) << pos.err;
	EXPECT_EQ(bytes_of(positional_out), bytes_of(in.out));
}

// --- Outcomes ---

TEST(Outcome, WrittenExit0)
{
	Inputs in;
	Result r = cdo(in.args(), in.dir.path());
	ASSERT_EQ(r.status, 0) << r.err;
	EXPECT_EQ(entries(in.out_dir), (std::set<std::string>{"out.o", "report.json"}));
	auto report = nlohmann::json::parse(read_text(in.json));
	EXPECT_EQ(report["result"], "written");
	EXPECT_EQ(report["exit_code"], 0);
	EXPECT_EQ(report["patch_name"], "livepatch-cli");
	// The summary line.
	EXPECT_NE(r.err.find("1 changed, 0 new function(s), 1 livepatch relocation(s): written"),
		  std::string::npos)
		<< r.err;
	auto obj = bytes_of(in.out);
	ASSERT_GE(obj.size(), size_t(SELFMAG));
	EXPECT_EQ(std::memcmp(obj.data(), ELFMAG, SELFMAG), 0);
}

TEST(Outcome, NoChangeExit3)
{
	Inputs in(orig_c);
	Result r = cdo(in.args(), in.dir.path());
	EXPECT_EQ(r.status, 3) << r.err;
	EXPECT_EQ(entries(in.out_dir), std::set<std::string>{"report.json"});
	auto report = nlohmann::json::parse(read_text(in.json));
	EXPECT_EQ(report["result"], "no-change");
	EXPECT_EQ(report["exit_code"], 3);
	EXPECT_TRUE(report["refusals"].empty());
	EXPECT_NE(r.err.find(": no-change"), std::string::npos) << r.err;
}

TEST(Outcome, RefusalExit2)
{
	std::string patched = patched_c;
	patched.replace(patched.find("int tunable = 5;"), 16, "int tunable = 6;");
	Inputs in(patched);
	Result r = cdo(in.args(), in.dir.path());
	EXPECT_EQ(r.status, 2) << r.err;
	EXPECT_EQ(entries(in.out_dir), std::set<std::string>{"report.json"});
	auto report = nlohmann::json::parse(read_text(in.json));
	EXPECT_EQ(report["result"], "refused");
	EXPECT_EQ(report["exit_code"], 2);
	ASSERT_EQ(report["refusals"].size(), 1u);
	EXPECT_EQ(report["refusals"][0]["kind"], "changed-data");
	EXPECT_EQ(report["refusals"][0]["symbol"], "tunable");
	EXPECT_TRUE(r.err.starts_with("create-diff-object: refused: " + in.patched + ": ")) << r.err;
}

// --- Determinism ---

TEST(Determinism, TwoRunsAreByteIdentical)
{
	Inputs in;
	ASSERT_EQ(cdo(in.args(), in.dir.path()).status, 0);
	auto obj1 = bytes_of(in.out), json1 = bytes_of(in.json);
	fs::remove(in.out);
	fs::remove(in.json);
	ASSERT_EQ(cdo(in.args(), in.dir.path()).status, 0);
	EXPECT_EQ(bytes_of(in.out), obj1);
	EXPECT_EQ(bytes_of(in.json), json1);
}

TEST(Determinism, SameUnderAnotherWorkingDirectory)
{
	Inputs in;
	TempDir elsewhere;
	ASSERT_EQ(cdo(in.args(), in.dir.path()).status, 0);
	auto obj1 = bytes_of(in.out), json1 = bytes_of(in.json);
	fs::remove(in.out);
	fs::remove(in.json);
	ASSERT_EQ(cdo(in.args(), elsewhere.path()).status, 0);
	EXPECT_EQ(bytes_of(in.out), obj1);
	EXPECT_EQ(bytes_of(in.json), json1);
	EXPECT_TRUE(entries(elsewhere.path()).empty());
}

// Nothing of the environment reaches the output: not the locale, the time zone, the
// clock (SOURCE_DATE_EPOCH) nor the inputs' modification times.
TEST(Determinism, SameUnderAnotherLocaleTimeZoneAndMtime)
{
	Inputs in;
	ASSERT_EQ(cdo(in.args(), in.dir.path()).status, 0);
	auto obj1 = bytes_of(in.out), json1 = bytes_of(in.json);
	fs::remove(in.out);
	fs::remove(in.json);
	for (const std::string &f : {in.orig, in.patched, in.symvers})
		fs::last_write_time(f, fs::file_time_type::clock::now() - std::chrono::hours(24 * 9000));
	setenv("LC_ALL", "C.UTF-8", 1);
	setenv("TZ", "Pacific/Chatham", 1);
	setenv("SOURCE_DATE_EPOCH", "86400", 1);
	Result r = cdo(in.args(), in.dir.path());
	unsetenv("LC_ALL");
	unsetenv("TZ");
	unsetenv("SOURCE_DATE_EPOCH");
	ASSERT_EQ(r.status, 0) << r.err;
	EXPECT_EQ(bytes_of(in.out), obj1);
	EXPECT_EQ(bytes_of(in.json), json1);
}

// The same inputs under other absolute paths give the same object. The report
// records the input paths as given ("original", "patched"; docs/json-report.md),
// and only those differ.
TEST(Determinism, SameObjectFromOtherAbsolutePaths)
{
	Inputs in;
	TempDir other;
	for (const char *f : {"orig.o", "patched.o", "Module.symvers"})
		fs::copy_file(in.dir.file(f), other.file(f));
	fs::create_directories(other.path() / "out");
	ASSERT_EQ(cdo(in.args(), in.dir.path()).status, 0);
	std::vector<std::string> args2 = {
		"--orig", other.file("orig.o"), "--patched", other.file("patched.o"),
		"--parent", "vmlinux", "--symtab", other.file("orig.o"),
		"--symvers", other.file("Module.symvers"), "--patch-name", "livepatch-cli",
		"-o", other.file("out/out.o"), "--json", other.file("out/report.json")};
	ASSERT_EQ(cdo(args2, other.path()).status, 0);
	EXPECT_EQ(bytes_of(other.file("out/out.o")), bytes_of(in.out));

	auto j1 = nlohmann::json::parse(read_text(in.json));
	auto j2 = nlohmann::json::parse(read_text(other.file("out/report.json")));
	EXPECT_EQ(j1["original"], in.orig);
	EXPECT_EQ(j2["original"], other.file("orig.o"));
	for (auto *j : {&j1, &j2}) {
		j->erase("original");
		j->erase("patched");
	}
	EXPECT_EQ(j1, j2);
	// No path of either run leaks into the object.
	std::string obj = read_text(other.file("out/out.o"));
	EXPECT_EQ(obj.find(other.path().string()), std::string::npos);
	EXPECT_EQ(obj.find(in.dir.path().string()), std::string::npos);
}

// Found by fuzzing: a symbol name that is not UTF-8 (the bytes of an ELF name are
// anything but NUL) must not stop the JSON report, which then holds U+FFFD.
TEST(Outcome, NonUtf8SymbolNameStillGivesAReport)
{
	Inputs in;
	auto b = bytes_of(in.patched);
	size_t strtab = 0;
	for (size_t i = 1; i < ehdr(b)->e_shnum; i++)
		if (shdr(b, i)->sh_type == SHT_STRTAB && section_name(b, i) == ".strtab")
			strtab = i;
	ASSERT_NE(strtab, 0u);
	// Rename `frob` (the changed function) to `fr\x97b` in patched.o only: it
	// becomes a new function, and the report must still be written.
	auto *names = reinterpret_cast<char *>(b.data() + shdr(b, strtab)->sh_offset);
	std::string_view all(names, shdr(b, strtab)->sh_size);
	size_t at = all.find(std::string_view("frob\0", 5));
	ASSERT_NE(at, std::string_view::npos);
	names[at + 2] = char(0x97);
	write_bytes(in.patched, b);
	Result r = cdo(in.args(), in.dir.path());
	EXPECT_EQ(r.status, 0) << r.err;
	auto report = nlohmann::json::parse(read_text(in.json));
	bool found = false;
	for (const auto &f : report["functions"])
		found |= f["name"] == "fr\xef\xbf\xbd" "b";
	EXPECT_TRUE(found) << report["functions"].dump();
}

// Found by fuzzing: a special section whose type was turned into SHT_NOBITS has a
// size but no contents; it is a malformed object (exit 1), not a crash.
TEST(MalformedInput, NobitsSpecialSection)
{
	const char *src = R"(
extern void kfree(void *p);
int frob(void *p, int x)
{
	asm volatile("1: nop\n.pushsection .smp_locks,\"a\"\n.long 1b - .\n.popsection");
	kfree(p);
	return x + 2;
}
)";
	Inputs in(src);
	auto b = bytes_of(in.patched);
	size_t locks = find_section(b, SHT_PROGBITS, ".smp_locks");
	ASSERT_NE(locks, 0u);
	shdr(b, locks)->sh_type = SHT_NOBITS;
	shdr(b, locks)->sh_size = 0xba000000000006;
	write_bytes(in.patched, b);
	Result r = cdo(in.args(), in.dir.path());
	EXPECT_EQ(r.status, 1) << r.err;
	EXPECT_NE(r.err.find(".smp_locks) has no contents"), std::string::npos) << r.err;
	EXPECT_TRUE(entries(in.out_dir).empty());
}
