// The command line: usage errors (exit 2) and --sign, which runs sign-file on the
// converted module before it is renamed into place.
#include "klpconv_test.h"

#include <sys/stat.h>

using namespace klp;
using namespace klp::test;

namespace {

constexpr std::string_view magic = "~Module signature appended~\n";

// A stand-in for scripts/sign-file: records its arguments, then appends a fake
// signature (or fails, or appends nothing).
std::string fake_sign_file(const TempDir &dir, const std::string &name,
			   const std::string &behaviour = "sign")
{
	std::string path = dir.file(name);
	std::string body = "#!/bin/sh\necho \"$@\" > " + shell_quote(dir.file(name + ".args")) + "\n";
	if (behaviour == "sign")
		body += "printf 'SIG~Module signature appended~\\n' >> \"$4\"\n";
	else if (behaviour == "fail")
		body += "echo 'sign-file: cannot open key' >&2\nexit 1\n";
	write_file(path, body);
	chmod(path.c_str(), 0755);
	return path;
}

} // namespace

// The converted module and a symbol map are the same bytes whatever the locale,
// time zone, clock or output directory: nothing of the environment is written.
TEST(Command, OutputDoesNotDependOnTheEnvironment)
{
	TempDir a, b;
	std::filesystem::create_directories(b.path() / "elsewhere");
	std::string env = "/usr/bin/env";
	std::vector<std::string> other = {"LC_ALL=C.UTF-8", "TZ=Pacific/Chatham",
					  "SOURCE_DATE_EPOCH=86400"};
	auto with_env = [&](std::vector<std::string> args) {
		args.insert(args.begin(), KLPCONV_BIN);
		args.insert(args.begin(), other.begin(), other.end());
		return args;
	};
	ASSERT_EQ(klp_convert(a, {fixture("patch.ko"), a.file("out.ko")}).status, 0);
	ASSERT_EQ(run_program(b, env, with_env({fixture("patch.ko"), b.file("elsewhere/out.ko")})).status, 0);
	EXPECT_EQ(read_bytes(a.file("out.ko")), read_bytes(b.file("elsewhere/out.ko")));
	ASSERT_EQ(klp_convert(a, {"symbols", "--vmlinux", fixture("vmlinux"), "--module",
				  "btrfs=" + fixture("btrfs.ko"), "-o", a.file("s.klp")})
			  .status,
		  0);
	ASSERT_EQ(run_program(b, env, with_env({"symbols", "--vmlinux", fixture("vmlinux"), "--module",
						"btrfs=" + fixture("btrfs.ko"), "-o",
						b.file("elsewhere/s.klp")}))
			  .status,
		  0);
	EXPECT_EQ(read_bytes(a.file("s.klp")), read_bytes(b.file("elsewhere/s.klp")));
}

TEST(Command, UsageErrorsExitWith2)
{
	TempDir dir;
	std::vector<std::vector<std::string>> cases = {
		{},
		{fixture("patch.ko")},
		{fixture("patch.ko"), dir.file("a.ko"), dir.file("b.ko")},
		{"--vmlinux", fixture("vmlinux"), fixture("patch.ko"), dir.file("a.ko")},
		{"--no-such-option"},
		{"--sign", "key", "cert", fixture("patch.ko"), dir.file("a.ko")},
		{"--kernel-dir", dir.path().string(), fixture("patch.ko"), dir.file("a.ko")},
		{"symbols", "--vmlinux", fixture("vmlinux")},
		{"symbols", "-o", dir.file("s.klp")},
		{"--check", fixture("patch.ko"), fixture("patch.ko"), "--vmlinux", fixture("vmlinux")},
		{"--core", "livepatch", fixture("patch.ko"), dir.file("a.ko")},
		{"--core", fixture("patch.ko"), dir.file("a.ko")},
		{"--check", fixture("patch.ko"), "--core", "bundled", "--vmlinux", fixture("vmlinux")},
	};
	for (const auto &args : cases) {
		RunResult r = klp_convert(dir, args);
		EXPECT_EQ(r.status, 2) << fmt::format("{}", fmt::join(args, " "));
		EXPECT_TRUE(r.err.starts_with("klp-convert: ")) << r.err;
		EXPECT_NE(r.err.find("usage: klp-convert"), std::string::npos) << r.err;
	}
	EXPECT_FALSE(std::filesystem::exists(dir.file("a.ko")));
}

TEST(Command, Help)
{
	TempDir dir;
	RunResult r = klp_convert(dir, {"--help"});
	EXPECT_EQ(r.status, 0);
	EXPECT_NE(r.out.find("--sign"), std::string::npos);
	EXPECT_NE(r.out.find("--check"), std::string::npos);
	EXPECT_NE(r.out.find("--core"), std::string::npos);
}

TEST(Command, CoreSelectsTheOutput)
{
	TempDir dir;
	RunResult kernel = klp_convert(dir, {"--core", "kernel", fixture("crossmod_bundled.ko"),
					     dir.file("kernel.ko")});
	ASSERT_EQ(kernel.status, 0) << kernel.err;
	RunResult bundled = klp_convert(dir, {"--core", "bundled", fixture("crossmod_bundled.ko"),
					      dir.file("bundled.ko")});
	ASSERT_EQ(bundled.status, 0) << bundled.err;
	RunResult relocs = run_program(dir, KLPCONV_READOBJ,
				       {"--relocs", dir.file("kernel.ko"), dir.file("bundled.ko")});
	ASSERT_EQ(relocs.status, 0) << relocs.err;
	size_t split = relocs.out.find("bundled.ko");
	ASSERT_NE(split, std::string::npos);
	std::string k = relocs.out.substr(0, split), b = relocs.out.substr(split);
	EXPECT_NE(k.find("Section ("), std::string::npos);
	EXPECT_NE(k.find(".klp.rela.vfat..text.vfat_create"), std::string::npos) << k;
	EXPECT_EQ(k.find(".rela.klpkit.relocs"), std::string::npos) << k;
	EXPECT_EQ(b.find(".klp.rela."), std::string::npos) << b;
	EXPECT_NE(b.find(".rela.klpkit.relocs"), std::string::npos) << b;
}

TEST(Sign, SignsTheConvertedModule)
{
	TempDir dir;
	std::string sign_file = fake_sign_file(dir, "sign-file");
	std::string out = dir.file("out.ko");
	RunResult r = klp_convert(dir, {"--sign", "signing_key.pem", "signing_key.x509",
					"--sign-file", sign_file, fixture("patch.ko"), out});
	ASSERT_EQ(r.status, 0) << r.err;
	ASSERT_EQ(klp_convert(dir, {fixture("patch.ko"), dir.file("plain.ko")}).status, 0);
	auto plain = read_bytes(dir.file("plain.ko"));
	auto signed_bytes = read_bytes(out);
	std::string tail = "SIG" + std::string(magic);
	ASSERT_EQ(signed_bytes.size(), plain.size() + tail.size());
	// The signature covers the converted bytes: sign-file ran after conversion.
	EXPECT_TRUE(std::equal(plain.begin(), plain.end(), signed_bytes.begin()));
	EXPECT_EQ(std::string(signed_bytes.end() - tail.size(), signed_bytes.end()), tail);
	// sign-file <hash> <key> <cert> <module>, the module under a temporary name.
	std::string args = read_text(dir.file("sign-file.args"));
	EXPECT_TRUE(args.starts_with("sha256 signing_key.pem signing_key.x509 " + out +
				     ".klp-convert."))
		<< args;
	// A signed module is not converted again.
	RunResult again = klp_convert(dir, {out, dir.file("again.ko")});
	EXPECT_EQ(again.status, 1);
	EXPECT_NE(again.err.find("already signed"), std::string::npos) << again.err;
}

TEST(Sign, KernelDirGivesSignFileAndHash)
{
	TempDir dir;
	std::filesystem::create_directories(dir.path() / "linux" / "scripts");
	fake_sign_file(dir, "linux/scripts/sign-file");
	write_file(dir.file("linux/.config"), "CONFIG_MODULES=y\nCONFIG_MODULE_SIG_HASH=\"sha512\"\n");
	RunResult r = klp_convert(dir, {"--sign", "k.pem", "c.x509", "--kernel-dir",
					dir.file("linux"), fixture("patch.ko"), dir.file("out.ko")});
	ASSERT_EQ(r.status, 0) << r.err;
	EXPECT_TRUE(read_text(dir.file("linux/scripts/sign-file.args")).starts_with("sha512 k.pem"));

	r = klp_convert(dir, {"--sign", "k.pem", "c.x509", "--kernel-dir", dir.file("linux"),
			      "--sign-hash", "sha384", fixture("patch.ko"), dir.file("out2.ko")});
	ASSERT_EQ(r.status, 0) << r.err;
	EXPECT_TRUE(read_text(dir.file("linux/scripts/sign-file.args")).starts_with("sha384 k.pem"));
}

TEST(Sign, AFailingSignFileLeavesNothing)
{
	for (std::string behaviour : {"fail", "nothing"}) {
		TempDir dir;
		std::string sign_file = fake_sign_file(dir, "sign-file", behaviour);
		auto before = dir_entries(dir);
		RunResult r = klp_convert(dir, {"--sign", "k", "c", "--sign-file", sign_file,
						fixture("patch.ko"), dir.file("out.ko")});
		EXPECT_EQ(r.status, 1) << behaviour;
		// sign-file's own complaint may precede klp-convert's one line.
		std::string last = r.err.substr(r.err.rfind("klp-convert: error: "));
		EXPECT_EQ(std::count(last.begin(), last.end(), '\n'), 1) << r.err;
		EXPECT_NE(last.find(behaviour == "fail" ? "failed (exit status 1)"
							: "appended no module signature"),
			  std::string::npos)
			<< r.err;
		auto after = dir_entries(dir);
		after.erase(std::remove(after.begin(), after.end(), "sign-file.args"), after.end());
		EXPECT_EQ(after, before) << behaviour;
	}
}
