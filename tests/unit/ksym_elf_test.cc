// lib/ksym: loading ELF files (a compiled .o, a linked "vmlinux" whose symtab order
// differs from address order, an ld -r "module"), .modinfo names, init-section views,
// and TranslationUnit::from_object.
#include "elf/object.h"
#include "ksym/sympos.h"
#include "ksym/symbol_table.h"
#include "test_util.h"

using namespace klp;
using namespace klp::ksym;
using klp::test::compile_c;
using klp::test::TempDir;

namespace {

void run(const std::string &cmd)
{
	ASSERT_EQ(std::system((cmd + " 2>&1").c_str()), 0) << cmd;
}

// A TU with a static `name` (kept out of line) and a global `entry` calling it.
std::string static_and_entry(const std::string &name, const std::string &entry,
			     const std::string &body)
{
	return "static __attribute__((noinline)) int " + name + "(int x) { return " + body +
	       "; }\nint " + entry + "(int x) { return " + name + "(x); }\n";
}

const char *two_statics = R"(
static int counter;
static __attribute__((noinline)) int helper(int x) { return x * 3 + counter++; }
static __attribute__((noinline)) int other(int x) { return x - 1; }
int exported(int y) { return helper(y) + other(y); }
)";

} // namespace

TEST(KsymElf, ReadsCompiledObject)
{
	TempDir dir;
	std::string o = compile_c(dir, "two", two_statics);
	SymbolTable table;
	auto r = table.add_file(o); // auto-detected as ELF; objname from the file name
	ASSERT_TRUE(r) << r.error().message();
	const KernelObject *obj = table.object("two");
	ASSERT_NE(obj, nullptr);
	EXPECT_EQ(obj->source, SymbolSource::elf);
	const KernelSymbol *helper = obj->first("helper");
	ASSERT_NE(helper, nullptr);
	EXPECT_EQ(helper->letter, 't');
	EXPECT_EQ(helper->type, STT_FUNC);
	EXPECT_GT(helper->size, 0u);
	ASSERT_NE(helper->file, nullptr);
	EXPECT_EQ(*helper->file, "two.c");
	EXPECT_EQ(*helper->section, ".text.helper");
	EXPECT_EQ(obj->first("counter")->letter, 'b');
	const KernelSymbol *exported = obj->first("exported");
	EXPECT_EQ(exported->letter, 'T');
	EXPECT_EQ(exported->file, nullptr);
	// No section or file symbols, no undefined ones (__fentry__).
	EXPECT_TRUE(obj->find("two.c").empty());
	EXPECT_TRUE(obj->find("__fentry__").empty());
	EXPECT_TRUE(obj->find(".text.helper").empty());
}

TEST(KsymElf, ModuleNameFromModinfo)
{
	TempDir dir;
	std::string o = compile_c(dir, "foo-bar", R"(
__attribute__((section(".modinfo"), used)) static const char a[] = "license=GPL";
__attribute__((section(".modinfo"), used)) static const char b[] = "name=foo_bar_real";
int f(void) { return 0; }
)");
	SymbolTable table;
	ASSERT_TRUE(table.add_elf(o));
	EXPECT_NE(table.object("foo_bar_real"), nullptr);
	SymbolTable named;
	ASSERT_TRUE(named.add_elf(o, "given-name"));
	EXPECT_NE(named.object("given_name"), nullptr);
}

TEST(KsymElf, BadElfIsAnError)
{
	TempDir dir;
	klp::test::write_file(dir.file("bad.ko"), std::string("\x7f" "ELF") + "garbage");
	SymbolTable table;
	auto r = table.add_file(dir.file("bad.ko"));
	ASSERT_FALSE(r);
	EXPECT_NE(r.error().message().find("bad.ko"), std::string::npos) << r.error().message();
}

// A linked vmlinux whose linker script puts b.o's text below a.o's: the symtab
// lists a.c's `foo` first, kallsyms (address order) b.c's.
TEST(KsymElf, VmlinuxCountsByAddressNotSymtabOrder)
{
	TempDir dir;
	std::string a = compile_c(dir, "a", static_and_entry("foo", "a_entry", "x + 1"));
	std::string b = compile_c(dir, "b", static_and_entry("foo", "b_entry", "x * 7"));
	klp::test::write_file(dir.file("link.lds"),
			      "__fentry__ = 0xffffffff81000000;\n"
			      "SECTIONS {\n"
			      " .text.a 0xffffffff81100000 : { *a.o(.text*) }\n"
			      " .text.b 0xffffffff81000000 : { *b.o(.text*) }\n"
			      " /DISCARD/ : { *(__mcount_loc) *(.note*) *(.comment) }\n}\n");
	std::string vmlinux = dir.file("vmlinux");
	run("ld -e a_entry -T " + dir.file("link.lds") + " " + a + " " + b + " -o " + vmlinux);

	SymbolTable table;
	auto r = table.add_elf(vmlinux);
	ASSERT_TRUE(r) << r.error().message();
	const KernelObject *obj = table.object("vmlinux");
	ASSERT_NE(obj, nullptr);
	auto foos = obj->find("foo");
	ASSERT_EQ(foos.size(), 2u);
	EXPECT_EQ(*foos[0]->file, "b.c");
	EXPECT_EQ(*foos[1]->file, "a.c");
	EXPECT_GT(foos[0]->order, foos[1]->order); // symtab order is the other way round
	EXPECT_LT(foos[0]->address, foos[1]->address);

	auto pa = resolve_sympos(table, "vmlinux", "foo", {"a.c", {}});
	ASSERT_TRUE(pa) << pa.error().message();
	EXPECT_EQ(pa.sympos, 2u);
	EXPECT_EQ(pa.evidence, "file a.c");
	auto pb = resolve_sympos(table, "vmlinux", "foo", {"b.c", {}});
	ASSERT_TRUE(pb) << pb.error().message();
	EXPECT_EQ(pb.sympos, 1u);
	auto unique = resolve_sympos(table, "vmlinux", "a_entry", {});
	ASSERT_TRUE(unique);
	EXPECT_EQ(unique.sympos, 0u);
}

// A relocatable vmlinux.o: values are section offsets; sympos refuses.
TEST(KsymElf, RelocatableVmlinuxRefused)
{
	TempDir dir;
	std::string a = compile_c(dir, "a", static_and_entry("foo", "a_entry", "x + 1"));
	std::string b = compile_c(dir, "b", static_and_entry("foo", "b_entry", "x * 7"));
	run("ld -r " + a + " " + b + " -o " + dir.file("vmlinux.o"));
	SymbolTable table;
	ASSERT_TRUE(table.add_elf(dir.file("vmlinux.o")));
	auto r = resolve_sympos(table, "vmlinux", "foo", {"a.c", {}});
	EXPECT_EQ(r.status, SymposStatus::ambiguous);
	EXPECT_NE(r.error().message().find("section offsets"), std::string::npos)
		<< r.error().message();
}

// A module (ld -r of its objects) is counted in symtab order, whatever the values.
TEST(KsymElf, ModuleCountsBySymtabOrder)
{
	TempDir dir;
	std::string a = compile_c(dir, "a", static_and_entry("foo", "a_entry", "x + 1"));
	std::string b = compile_c(dir, "b", static_and_entry("foo", "b_entry", "x * 7"));
	run("ld -r " + b + " " + a + " -o " + dir.file("my-mod.ko"));
	SymbolTable table;
	ASSERT_TRUE(table.add_elf(dir.file("my-mod.ko")));
	auto foos = table.find("my_mod", "foo");
	ASSERT_EQ(foos.size(), 2u);
	EXPECT_EQ(*foos[0]->file, "b.c");
	auto r = resolve_sympos(table, "my_mod", "foo", {"a.c", {}});
	ASSERT_TRUE(r) << r.error().message();
	EXPECT_EQ(r.sympos, 2u);
}

// A module whose symtab holds `probe` in .init.text, then ours, then a third: while
// the module loads `probe,2` is ours; once it is live (init symbols dropped) it
// would be the third. Refused. The third itself is `probe,3` in the loading view
// and simply absent in the live one (loud failure, not a silent one): accepted.
TEST(KsymElf, InitSectionDuplicateShiftsPositions)
{
	TempDir dir;
	std::string a = compile_c(dir, "a",
				  "static __attribute__((used, section(\".init.text\"))) int "
				  "probe(void) { return 1; }\n");
	std::string b = compile_c(dir, "b", static_and_entry("probe", "b_entry", "x + 1"));
	std::string c = compile_c(dir, "c", static_and_entry("probe", "c_entry", "x * 7"));
	run("ld -r " + a + " " + b + " " + c + " -o " + dir.file("m.ko"));
	SymbolTable table;
	ASSERT_TRUE(table.add_elf(dir.file("m.ko")));
	auto probes = table.find("m", "probe");
	ASSERT_EQ(probes.size(), 3u);
	EXPECT_FALSE(probes[0]->views & view_live);
	EXPECT_TRUE(probes[1]->views & view_live);

	auto ours = resolve_sympos(table, "m", "probe", {"b.c", {}});
	EXPECT_EQ(ours.status, SymposStatus::ambiguous);
	EXPECT_NE(ours.error().message().find("probe,2 is not the same symbol"), std::string::npos)
		<< ours.error().message();
	auto third = resolve_sympos(table, "m", "probe", {"c.c", {}});
	ASSERT_TRUE(third) << third.error().message();
	EXPECT_EQ(third.sympos, 3u);
}

TEST(KsymElf, TranslationUnitFromObject)
{
	TempDir dir;
	std::string o = compile_c(dir, "two", two_statics);
	auto obj = elf::Object::read(o);
	ASSERT_TRUE(obj) << obj.error().message();
	TranslationUnit tu = TranslationUnit::from_object(**obj);
	EXPECT_EQ(tu.file, "two.c");
	const TuSymbol *helper = tu.find("helper");
	ASSERT_NE(helper, nullptr);
	EXPECT_EQ(helper->section, ".text.helper");
	EXPECT_EQ(helper->bind, STB_LOCAL);
	ASSERT_NE(tu.find("counter"), nullptr);
	EXPECT_EQ(tu.find("exported")->bind, STB_GLOBAL);
	EXPECT_EQ(tu.find("__fentry__"), nullptr); // undefined
	EXPECT_EQ(tu.find("two.c"), nullptr);
}
