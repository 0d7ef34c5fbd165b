// symbols.klp: building, querying, writing and reading back the target's symbol map.
#include "symbol_map.h"
#include "test_util.h"

using namespace klp;
using namespace klp::convert;
using klp::test::TempDir;

namespace {

SymbolMap sample_map()
{
	SymbolMap map;
	MapObject &btrfs = map.add_object("btrfs");
	btrfs.symbols.push_back({"shared_name", 0, 'd', "btrfs.c"});
	btrfs.symbols.push_back({"probe", 1, 't', "", true});
	btrfs.symbols.push_back({"probe", 2, 't', ""});
	MapObject &vmlinux = map.add_object("vmlinux");
	vmlinux.symbols.push_back({"dup_helper", 2, 't', "b.c"});
	vmlinux.symbols.push_back({"dup_helper", 1, 't', "a.c"});
	vmlinux.symbols.push_back({"shared_name", 0, 'd', "a.c"});
	map.add_export("_printk", "vmlinux");
	EXPECT_TRUE(map.finish("sample"));
	return map;
}

} // namespace

TEST(SymbolMap, VmlinuxComesFirstAndNamesAreSorted)
{
	SymbolMap map = sample_map();
	ASSERT_EQ(map.objects().size(), 2u);
	EXPECT_EQ(map.objects()[0].name, "vmlinux");
	EXPECT_EQ(map.objects()[0].symbols[0].file, "a.c");
	EXPECT_EQ(map.objects()[1].name, "btrfs");
}

TEST(SymbolMap, CandidatesNameEveryObjectAndPosition)
{
	SymbolMap map = sample_map();
	auto cands = map.candidates("shared_name");
	ASSERT_EQ(cands.size(), 2u);
	EXPECT_EQ(cands[0], (KlpSymbol{"vmlinux", "shared_name", 0}));
	EXPECT_EQ(cands[1], (KlpSymbol{"btrfs", "shared_name", 0}));
	EXPECT_EQ(map.candidates("dup_helper").size(), 2u);
	EXPECT_TRUE(map.candidates("nothing").empty());
	ASSERT_TRUE(map.exporter("_printk"));
	EXPECT_EQ(*map.exporter("_printk"), "vmlinux");
	EXPECT_FALSE(map.exporter("dup_helper"));
}

TEST(SymbolMap, CheckPositionFollowsTheKernel)
{
	SymbolMap map = sample_map();
	const MapObject &vmlinux = *map.object("vmlinux");
	EXPECT_FALSE(vmlinux.check_position("shared_name", 0));
	EXPECT_FALSE(vmlinux.check_position("shared_name", 1)); // the first of one
	EXPECT_FALSE(vmlinux.check_position("dup_helper", 2));
	auto ambiguous = vmlinux.check_position("dup_helper", 0);
	ASSERT_TRUE(ambiguous);
	EXPECT_NE(ambiguous->find("refused as ambiguous"), std::string::npos) << *ambiguous;
	auto missing = vmlinux.check_position("dup_helper", 3);
	ASSERT_TRUE(missing);
	EXPECT_NE(missing->find("no position 3"), std::string::npos) << *missing;
	EXPECT_TRUE(vmlinux.check_position("nothing", 0));
	// An unstable position is never relied on.
	const MapObject &btrfs = *map.object("btrfs");
	EXPECT_TRUE(btrfs.check_position("probe", 1));
	EXPECT_FALSE(btrfs.check_position("probe", 2));
}

TEST(SymbolMap, WritesAndReadsBackTheSameBytes)
{
	TempDir dir;
	SymbolMap map = sample_map();
	ASSERT_TRUE(map.write(dir.file("a.klp")));
	auto again = SymbolMap::read(dir.file("a.klp"));
	ASSERT_TRUE(again) << again.error().message();
	ASSERT_TRUE(again->write(dir.file("b.klp")));
	EXPECT_EQ(test::read_bytes(dir.file("a.klp")), test::read_bytes(dir.file("b.klp")));
	EXPECT_TRUE(again->object("btrfs")->find("probe")[0]->unstable);
	EXPECT_EQ(again->object("vmlinux")->find("dup_helper")[1]->file, "b.c");
}

TEST(SymbolMap, RefusesGapsInPositions)
{
	SymbolMap map;
	MapObject &obj = map.add_object("vmlinux");
	obj.symbols.push_back({"foo", 1, 't', ""});
	obj.symbols.push_back({"foo", 3, 't', ""});
	auto done = map.finish("gaps");
	ASSERT_FALSE(done);
	EXPECT_NE(done.error().message().find("position 3 where 2 was expected"), std::string::npos)
		<< done.error().message();
}

TEST(SymbolMap, ReadErrorsNameFileAndLine)
{
	TempDir dir;
	struct Case {
		std::string text, expect;
	} cases[] = {
		{"not a map\n", "x.klp:1: not a symbol map"},
		{"klp-convert-symbols 1\nsym foo 0 t -\n", "x.klp:2: a 'sym' line before any"},
		{"klp-convert-symbols 1\nobject vmlinux\nsym foo zero t -\n",
		 "x.klp:3: position 'zero' is not a number"},
		{"klp-convert-symbols 1\nobject vmlinux\nfoo bar\n", "x.klp:3: cannot read 'foo bar'"},
		{"klp-convert-symbols 1\nobject bad.name\n", "x.klp:2: object name 'bad.name'"},
		{"", "x.klp: empty file"},
	};
	for (const Case &c : cases) {
		test::write_file(dir.file("x.klp"), c.text);
		auto map = SymbolMap::read(dir.file("x.klp"));
		ASSERT_FALSE(map) << c.text;
		EXPECT_NE(map.error().message().find(c.expect), std::string::npos)
			<< map.error().message();
	}
}
