// lib/ksym: loading /proc/kallsyms dumps (vmlinux and module lines), their order,
// the refusal of unprivileged (all-zero) dumps, malformed lines, auto-detection.
#include "ksym/symbol_table.h"
#include "test_util.h"

using namespace klp;
using namespace klp::ksym;
using klp::test::TempDir;

namespace {

const char *dump = "0000000000000000 D fixed_percpu_data\n"
		   "ffffffff81000000 T _stext\n"
		   "ffffffff81001000 t type_show\n"
		   "ffffffff81001080 T vfs_read\n"
		   "ffffffff81002000 d counter\n"
		   "ffffffffc0a02000 t foo_exit\t[my-mod]\n"
		   "ffffffffc0a01000 t foo_probe\t[my-mod]\n"
		   "ffffffffc0a01400 T foo_export\t[my-mod]\n"
		   "ffffffffc0b00000 t bar\t[other]\n";

std::string names_in_order(const KernelObject &obj)
{
	std::string out;
	for (const KernelSymbol *s : obj.kallsyms_order)
		out += (out.empty() ? "" : " ") + std::string(s->name);
	return out;
}

} // namespace

TEST(KsymKallsyms, ParsesVmlinuxAndModuleLines)
{
	SymbolTable table;
	auto r = table.add_kallsyms_text(dump, "kallsyms.txt");
	ASSERT_TRUE(r) << r.error().message();
	ASSERT_EQ(table.objects().size(), 3u);
	EXPECT_EQ(table.objects()[0]->name, "vmlinux");
	EXPECT_EQ(table.objects()[1]->name, "my_mod"); // '-' -> '_'
	EXPECT_EQ(table.objects()[2]->name, "other");
	EXPECT_EQ(table.objects()[1]->source, SymbolSource::kallsyms);

	auto found = table.find("vmlinux", "type_show");
	ASSERT_EQ(found.size(), 1u);
	EXPECT_EQ(found[0]->address, 0xffffffff81001000u);
	EXPECT_EQ(found[0]->letter, 't');
	EXPECT_EQ(found[0]->bind, STB_LOCAL);
	EXPECT_EQ(found[0]->type, STT_FUNC);
	EXPECT_EQ(found[0]->size, 0u); // unknown in kallsyms
	EXPECT_EQ(found[0]->file, nullptr);

	auto exp = table.find("my_mod", "foo_export");
	ASSERT_EQ(exp.size(), 1u);
	EXPECT_EQ(exp[0]->bind, STB_GLOBAL);
	EXPECT_EQ(exp[0]->object->name, "my_mod");
	EXPECT_EQ(table.find("vmlinux", "counter")[0]->type, STT_OBJECT);
	EXPECT_TRUE(table.find("vmlinux", "foo_probe").empty());
	EXPECT_TRUE(table.find("nosuchmod", "foo_probe").empty());
	EXPECT_EQ(table.find_any("bar").size(), 1u);
}

// A dump lists every object in the order the kernel iterates it (vmlinux by
// address, a module in its symtab order, whatever its addresses): kept as is.
TEST(KsymKallsyms, DumpOrderIsKallsymsOrder)
{
	SymbolTable table;
	ASSERT_TRUE(table.add_kallsyms_text(dump, "kallsyms.txt"));
	EXPECT_EQ(names_in_order(*table.object("vmlinux")),
		  "fixed_percpu_data _stext type_show vfs_read counter");
	EXPECT_EQ(names_in_order(*table.object("my_mod")), "foo_exit foo_probe foo_export");
	EXPECT_EQ(table.find("my_mod", "foo_probe")[0]->kallsyms_index, 1u);
	EXPECT_EQ(table.find("my_mod", "foo_probe")[0]->order, 1u);
}

TEST(KsymKallsyms, AllZeroAddressesRefused)
{
	SymbolTable table;
	auto r = table.add_kallsyms_text("0000000000000000 T _stext\n"
					 "0000000000000000 t type_show\n"
					 "0000000000000000 t foo\t[mod]\n",
					 "kallsyms.txt");
	ASSERT_FALSE(r);
	EXPECT_NE(r.error().message().find("kallsyms.txt: every address is 0"), std::string::npos)
		<< r.error().message();
	EXPECT_TRUE(table.objects().empty());
}

TEST(KsymKallsyms, MalformedLinesNameFileAndLine)
{
	const char *bad[] = {
		"ffffffff8100000g T x",		// not hex
		"ffffffff81000000 T",		// no name
		"ffffffff81000000 TT x",	// type is one letter
		"ffffffff81000000 1 x",		// type is a letter
		"ffffffff81000000 t x\tmod",	// module without brackets
		"ffffffff81000000 t x [m] more", // trailing junk
		"1ffffffff81000000 t x",	// wider than 64 bits
	};
	for (const char *line : bad) {
		SymbolTable table;
		std::string text = std::string("ffffffff81000000 T _stext\n\n") + line + "\n";
		auto r = table.add_kallsyms_text(text, "kallsyms.txt");
		ASSERT_FALSE(r) << line;
		EXPECT_EQ(r.error().message().rfind("kallsyms.txt:3: malformed line", 0), 0u)
			<< r.error().message();
	}
}

// nm's "unknown" type in a System.map (`ffffffff81d45000 ? __nosave_begin` on a
// small 6.1 config): read, its binding not known.
TEST(KsymKallsyms, SystemMapUnknownTypeIsRead)
{
	SymbolTable table;
	ASSERT_TRUE(table.add_kallsyms_text("ffffffff81000000 T _stext\n"
					    "ffffffff81d45000 ? __nosave_begin\n",
					    "System.map"));
	auto found = table.find("vmlinux", "__nosave_begin");
	ASSERT_EQ(found.size(), 1u);
	EXPECT_FALSE(found[0]->bind_known);
}

TEST(KsymKallsyms, EmptyDumpAndDuplicateObjectRefused)
{
	SymbolTable table;
	EXPECT_FALSE(table.add_kallsyms_text("\n\n", "empty.txt"));
	ASSERT_TRUE(table.add_kallsyms_text(dump, "a.txt"));
	auto r = table.add_kallsyms_text("ffffffffc0b00000 t baz\t[new]\n"
					 "ffffffffc0b00000 t bar\t[other]\n",
					 "b.txt");
	ASSERT_FALSE(r);
	EXPECT_NE(r.error().message().find("other is already loaded from a.txt"),
		  std::string::npos)
		<< r.error().message();
	EXPECT_EQ(table.object("new"), nullptr); // all or nothing
}

TEST(KsymKallsyms, AutoDetectedFromFile)
{
	TempDir dir;
	klp::test::write_file(dir.file("kallsyms"), dump);
	auto table = SymbolTable::load(dir.file("kallsyms"));
	ASSERT_TRUE(table) << table.error().message();
	EXPECT_EQ(table->objects().size(), 3u);
	EXPECT_EQ(table->object("vmlinux")->path, dir.file("kallsyms"));

	klp::test::write_file(dir.file("junk"), "hello world\n");
	auto junk = SymbolTable::load(dir.file("junk"));
	ASSERT_FALSE(junk);
	EXPECT_NE(junk.error().message().find("not a symbol file"), std::string::npos);

	auto missing = SymbolTable::load(dir.file("missing"));
	ASSERT_FALSE(missing);
	EXPECT_NE(missing.error().message().find(dir.file("missing")), std::string::npos);
}
