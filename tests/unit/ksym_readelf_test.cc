// lib/ksym: loading `readelf -s --wide` output: rows, STT_FILE grouping, special
// indices, the "File:" line, malformed and truncated lines, relocatable vmlinux.o.
#include "ksym/symbol_table.h"
#include "ksym/sympos.h"
#include "test_util.h"

using namespace klp;
using namespace klp::ksym;
using klp::test::TempDir;

namespace {

const char *vmlinux_readelf = R"(
Symbol table '.symtab' contains 13 entries:
   Num:    Value          Size Type    Bind   Vis      Ndx Name
     0: 0000000000000000     0 NOTYPE  LOCAL  DEFAULT  UND 
     1: 0000000000000000     0 FILE    LOCAL  DEFAULT  ABS core.c
     2: ffffffff81002000    64 FUNC    LOCAL  DEFAULT    1 type_show
     3: ffffffff82000000 0x186a0 OBJECT  LOCAL  DEFAULT    2 big_table
     4: ffffffff81000000     0 SECTION LOCAL  DEFAULT    1 .text
     5: 0000000000000000     0 FILE    LOCAL  DEFAULT  ABS thermal_sysfs.c
     6: ffffffff81001000    48 FUNC    LOCAL  DEFAULT    1 type_show
     7: ffffffff81001040    32 FUNC    LOCAL  DEFAULT [VARIANT_PCS]    1 mode_show
     8: ffffffff81000000   100 FUNC    GLOBAL DEFAULT    1 _stext
     9: 0000000000000000     0 NOTYPE  GLOBAL DEFAULT  UND undefined_thing
    10: 0000000000000000     0 NOTYPE  GLOBAL DEFAULT  OS [0xff20] .klp.sym.vmlinux.x,0
    11: ffffffff81003000    10 FUNC    WEAK   DEFAULT    1 weak_fn
    12: 0000000000001234     0 NOTYPE  GLOBAL DEFAULT  ABS some_abs
)";

} // namespace

TEST(KsymReadelf, ParsesRowsAndFiles)
{
	SymbolTable table;
	auto r = table.add_readelf_text(vmlinux_readelf, "vmlinux.syms", "vmlinux");
	ASSERT_TRUE(r) << r.error().message();
	const KernelObject *vmlinux = table.object("vmlinux");
	ASSERT_NE(vmlinux, nullptr);
	EXPECT_EQ(vmlinux->source, SymbolSource::readelf);
	EXPECT_TRUE(vmlinux->order_problem.empty()) << vmlinux->order_problem;
	// FILE, SECTION, undefined and SHN_LIVEPATCH rows are not symbols kallsyms lists.
	EXPECT_EQ(vmlinux->symbols.size(), 7u);
	EXPECT_TRUE(vmlinux->find("undefined_thing").empty());
	EXPECT_TRUE(vmlinux->find(".klp.sym.vmlinux.x,0").empty());

	auto ts = vmlinux->find("type_show");
	ASSERT_EQ(ts.size(), 2u);
	// Address order: thermal_sysfs.c's copy (0x...1000) comes first although it is
	// later in the symtab.
	EXPECT_EQ(*ts[0]->file, "thermal_sysfs.c");
	EXPECT_EQ(ts[0]->order, 6u);
	EXPECT_EQ(ts[0]->size, 48u);
	EXPECT_EQ(*ts[1]->file, "core.c");

	EXPECT_EQ(vmlinux->find("big_table")[0]->size, 100000u); // "0x186a0"
	EXPECT_EQ(*vmlinux->find("mode_show")[0]->file, "thermal_sysfs.c");
	const KernelSymbol *stext = vmlinux->first("_stext");
	EXPECT_EQ(stext->file, nullptr); // globals belong to no file
	EXPECT_EQ(stext->letter, 'T');
	EXPECT_EQ(vmlinux->first("weak_fn")->letter, 'W');
	EXPECT_EQ(vmlinux->first("some_abs")->letter, 'A');
	EXPECT_EQ(vmlinux->first("type_show")->letter, 't');
}

TEST(KsymReadelf, ObjnameFromFileLineOrArgument)
{
	std::string text = std::string("\nFile: drivers/net/foo-bar.ko\n") +
			   "\nSymbol table '.symtab' contains 2 entries:\n"
			   "   Num:    Value          Size Type    Bind   Vis      Ndx Name\n"
			   "     0: 0000000000000000     0 NOTYPE  LOCAL  DEFAULT  UND \n"
			   "     1: 0000000000000010    12 FUNC    LOCAL  DEFAULT    2 foo\n";
	SymbolTable table;
	ASSERT_TRUE(table.add_readelf_text(text, "foo.syms"));
	EXPECT_NE(table.object("foo_bar"), nullptr);

	SymbolTable named;
	ASSERT_TRUE(named.add_readelf_text(text, "foo.syms", "my-name"));
	EXPECT_NE(named.object("my_name"), nullptr);
}

TEST(KsymReadelf, SkipsDynsym)
{
	std::string text = "\nSymbol table '.dynsym' contains 2 entries:\n"
			   "   Num:    Value          Size Type    Bind   Vis      Ndx Name\n"
			   "     0: 0000000000000000     0 NOTYPE  LOCAL  DEFAULT  UND \n"
			   "     1: 0000000000000010    12 FUNC    GLOBAL DEFAULT    2 dyn\n"
			   "\nSymbol table '.symtab' contains 2 entries:\n"
			   "   Num:    Value          Size Type    Bind   Vis      Ndx Name\n"
			   "     0: 0000000000000000     0 NOTYPE  LOCAL  DEFAULT  UND \n"
			   "     1: 0000000000000010    12 FUNC    GLOBAL DEFAULT    2 stat\n";
	SymbolTable table;
	ASSERT_TRUE(table.add_readelf_text(text, "x.syms", "x"));
	EXPECT_TRUE(table.find("x", "dyn").empty());
	EXPECT_EQ(table.find("x", "stat").size(), 1u);
}

TEST(KsymReadelf, MalformedAndTruncatedLines)
{
	std::string head = "\nSymbol table '.symtab' contains 3 entries:\n"
			   "   Num:    Value          Size Type    Bind   Vis      Ndx Name\n";
	const char *bad[] = {
		"     1: 00000000000000zz    12 FUNC    LOCAL  DEFAULT    2 foo",
		"     1: 0000000000000010    12 FUNKY   LOCAL  DEFAULT    2 foo",
		"     1: 0000000000000010    12 FUNC    LOCAL  DEFAULT    2 foo extra",
		"     1: 0000000000000010    12 FUNC    LOCAL",
		"     x: 0000000000000010    12 FUNC    LOCAL  DEFAULT    2 foo",
	};
	for (const char *line : bad) {
		SymbolTable table;
		auto r = table.add_readelf_text(head + line + "\n", "v.syms", "vmlinux");
		ASSERT_FALSE(r) << line;
		EXPECT_EQ(r.error().message().rfind("v.syms:4: malformed symbol line", 0), 0u)
			<< r.error().message();
	}
	SymbolTable table;
	auto r = table.add_readelf_text(
		head + "     1: 0000000000000010    12 FUNC    LOCAL  DEFAULT    2 a_very_lon[...]\n",
		"v.syms", "vmlinux");
	ASSERT_FALSE(r);
	EXPECT_NE(r.error().message().find("v.syms:4: truncated symbol name"), std::string::npos);

	auto none = table.add_readelf_text("nothing here\n", "v.syms", "vmlinux");
	ASSERT_FALSE(none);
	EXPECT_NE(none.error().message().find("no \"Symbol table '.symtab'\""), std::string::npos);
}

// readelf of vmlinux.o looks like readelf of vmlinux, but values are per-section
// offsets: counting positions "by address" would be wrong, so sympos refuses.
TEST(KsymReadelf, RelocatableVmlinuxHasNoOrder)
{
	std::string text = "\nSymbol table '.symtab' contains 5 entries:\n"
			   "   Num:    Value          Size Type    Bind   Vis      Ndx Name\n"
			   "     1: 0000000000000000     0 FILE    LOCAL  DEFAULT  ABS a.c\n"
			   "     2: 0000000000000000    64 FUNC    LOCAL  DEFAULT    2 foo\n"
			   "     3: 0000000000000000     0 FILE    LOCAL  DEFAULT  ABS b.c\n"
			   "     4: 0000000000000000    32 FUNC    LOCAL  DEFAULT    5 foo\n";
	SymbolTable table;
	ASSERT_TRUE(table.add_readelf_text(text, "vmlinux.o.syms", "vmlinux"));
	const KernelObject *vmlinux = table.object("vmlinux");
	EXPECT_NE(vmlinux->order_problem.find("overlap"), std::string::npos);
	auto r = sympos_of(*vmlinux->find("foo")[0]);
	EXPECT_EQ(r.status, SymposStatus::ambiguous);
	// A file match still cannot give a position without an order.
	auto picked = resolve_sympos(table, "vmlinux", "foo", {"b.c", {}});
	EXPECT_EQ(picked.status, SymposStatus::ambiguous);
	EXPECT_NE(picked.error().message().find("order is unknown"), std::string::npos);
}

// The real tool's output for a compiled object agrees with reading the ELF.
TEST(KsymReadelf, RealReadelfOutputMatchesElf)
{
	TempDir dir;
	std::string o = klp::test::compile_c(dir, "two", R"(
static int counter;
static __attribute__((noinline)) int helper(int x) { return x * 3 + counter++; }
int exported(int y) { return helper(y) + 1; }
)");
	std::string syms = dir.file("two.syms");
	std::string cmd = "readelf -s --wide " + o + " > " + syms;
	ASSERT_EQ(std::system(cmd.c_str()), 0);

	SymbolTable from_text, from_elf;
	auto r = from_text.add_file(syms, "two"); // auto-detected as readelf
	ASSERT_TRUE(r) << r.error().message();
	ASSERT_TRUE(from_elf.add_elf(o, "two"));
	const KernelObject &t = *from_text.object("two"), &e = *from_elf.object("two");
	EXPECT_EQ(t.source, SymbolSource::readelf);
	ASSERT_EQ(t.symbols.size(), e.symbols.size());
	for (size_t i = 0; i < t.symbols.size(); i++) {
		EXPECT_EQ(t.symbols[i].name, e.symbols[i].name);
		EXPECT_EQ(t.symbols[i].size, e.symbols[i].size);
		EXPECT_EQ(t.symbols[i].order, e.symbols[i].order);
		EXPECT_EQ(t.symbols[i].bind, e.symbols[i].bind);
		ASSERT_EQ(!t.symbols[i].file, !e.symbols[i].file) << t.symbols[i].name;
		if (t.symbols[i].file) {
			EXPECT_EQ(*t.symbols[i].file, *e.symbols[i].file);
		}
	}
	ASSERT_NE(t.first("helper"), nullptr);
	ASSERT_NE(t.first("helper")->file, nullptr);
	EXPECT_EQ(*t.first("helper")->file, "two.c");
}
