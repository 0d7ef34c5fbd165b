// Mutation smoke tests: a real kernel object (or a module-like .ko) with a few random
// bytes changed or cut short, thousands of times, through create-diff-object and
// klp-convert in-process. Every run must end in a result or an Error, never a
// crash; a fixed seed makes a failure reproducible. Built with -fsanitize=address
// (cmake -DCMAKE_CXX_FLAGS=-fsanitize=address,undefined) this is how the fixed
// bugs were found; here it guards against their return.
#include "cdo.h"
#include "convert.h"
#include "target.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>

namespace fs = std::filesystem;

namespace {

std::vector<char> read(const fs::path &p)
{
	std::ifstream in(p, std::ios::binary);
	return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Up to 8 random bytes replaced, and one time in ten the file cut short.
std::vector<char> mutate(std::vector<char> b, std::mt19937 &rng)
{
	int k = 1 + int(rng() % 8);
	for (int j = 0; j < k; j++)
		b[rng() % b.size()] = char(rng());
	if (rng() % 10 == 0)
		b.resize(rng() % b.size());
	return b;
}

class Mutations : public ::testing::Test {
protected:
	void SetUp() override
	{
		dir_ = fs::temp_directory_path() / ("klp-fuzz-" + std::to_string(getpid()));
		fs::create_directories(dir_);
	}
	void TearDown() override { fs::remove_all(dir_); }
	std::string file(const char *name) const { return (dir_ / name).string(); }
	fs::path dir_;
};

TEST_F(Mutations, CreateDiffObjectNeverCrashes)
{
	fs::path cases = FIXTURE_CASES_DIR;
	std::mt19937 rng(20261122);
	for (const char *c : {"k1-proc-cmdline", "k3-proc-meminfo"}) {
		std::string orig = (cases / c / "orig.o").string();
		auto base = read(cases / c / "patched.o");
		ASSERT_FALSE(base.empty()) << c;
		FILE *saved = stderr;
		for (int i = 0; i < 2000; i++) {
			auto b = mutate(base, rng);
			std::ofstream(file("m.o"), std::ios::binary).write(b.data(), long(b.size()));
			klp::cdo::Options o;
			o.orig_path = orig;
			o.patched_path = file("m.o");
			o.symtab_path = orig;
			o.symvers_path = "/dev/null";
			o.output_path = file("out.o");
			o.json_path = file("out.json");
			stderr = fopen("/dev/null", "w");
			auto r = klp::cdo::create_diff_object(o);
			fclose(stderr);
			stderr = saved;
			if (!r)
				EXPECT_EQ(r.error().message().find('\n'), std::string::npos)
					<< r.error().message();
		}
	}
}

TEST_F(Mutations, KlpConvertNeverCrashes)
{
	auto base = read(KLP_CONVERT_FIXTURE);
	ASSERT_FALSE(base.empty()) << KLP_CONVERT_FIXTURE;
	std::mt19937 rng(20261123);
	for (int i = 0; i < 3000; i++) {
		auto b = mutate(base, rng);
		std::ofstream(file("m.ko"), std::ios::binary).write(b.data(), long(b.size()));
		klp::convert::ConvertOptions o;
		o.input = file("m.ko");
		o.output = file("out.ko");
		auto r = klp::convert::convert_module(o);
		if (!r)
			EXPECT_EQ(r.error().message().find('\n'), std::string::npos)
				<< r.error().message();
	}
}

// The bundled core's table, read back from mutated bytes: by the converter (which
// wants the template's header) and by the verifier (which reads every entry).
TEST_F(Mutations, BundledConversionAndCheckNeverCrash)
{
	klp::convert::ConvertOptions o;
	o.input = KLP_CONVERT_BUNDLED_FIXTURE;
	o.output = file("bundled.ko");
	o.core = klp::convert::Core::bundled;
	auto converted = klp::convert::convert_module(o);
	ASSERT_TRUE(converted) << converted.error().message();
	auto base = read(o.output);
	klp::convert::SymbolMap target;
	target.add_object("vmlinux");
	ASSERT_TRUE(target.finish("fuzz"));
	std::mt19937 rng(20261124);
	for (int i = 0; i < 3000; i++) {
		auto b = mutate(base, rng);
		std::ofstream(file("m.ko"), std::ios::binary).write(b.data(), long(b.size()));
		o.input = file("m.ko");
		o.output = file("out.ko");
		auto r = klp::convert::convert_module(o);
		if (!r)
			EXPECT_EQ(r.error().message().find('\n'), std::string::npos)
				<< r.error().message();
		auto problems = klp::convert::check_module(file("m.ko"), target);
		if (!problems)
			EXPECT_EQ(problems.error().message().find('\n'), std::string::npos)
				<< problems.error().message();
	}
}

} // namespace
