// lib/ksym: sympos and duplicate resolution: unique -> 0, not found, by binding, by
// STT_FILE, by neighbourhood (with __pfx_ padding, ties, regions), module order, and
// positions that would differ between kallsyms views.
#include "ksym/sympos.h"
#include "test_util.h"

using namespace klp;
using namespace klp::ksym;

namespace {

SymbolTable kallsyms(const std::string &text)
{
	SymbolTable table;
	auto r = table.add_kallsyms_text(text, "kallsyms.txt");
	EXPECT_TRUE(r) << r.error().message();
	return table;
}

SymbolTable readelf(const std::string &rows, const std::string &objname = "vmlinux")
{
	SymbolTable table;
	std::string text = "\nSymbol table '.symtab' contains 99 entries:\n"
			   "   Num:    Value          Size Type    Bind   Vis      Ndx Name\n" +
			   rows;
	auto r = table.add_readelf_text(text, "syms.txt", objname);
	EXPECT_TRUE(r) << r.error().message();
	return table;
}

TranslationUnit tu_of(std::string file, std::vector<std::string> names)
{
	TranslationUnit tu;
	tu.file = std::move(file);
	for (auto &n : names)
		tu.symbols.push_back({n, "", std::nullopt});
	return tu;
}

// Two `t type_show` (kernel/events/core.c's and drivers/thermal/thermal_sysfs.c's),
// and the padding symbols of a CALL_PADDING kernel.
const char *two_type_shows = "ffffffff81000000 T _stext\n"
			     "ffffffff811c2a00 t __pfx_nr_addr_filters_show\n"
			     "ffffffff811c2a10 t nr_addr_filters_show\n"
			     "ffffffff811c2a60 t type_show\n"
			     "ffffffff811c2ab0 t perf_event_mux_interval_ms_show\n"
			     "ffffffff81a4b000 t thermal_zone_helper\n"
			     "ffffffff81a4b0e0 t mode_show\n"
			     "ffffffff81a4b150 t __pfx_type_show\n"
			     "ffffffff81a4b160 t type_show\n"
			     "ffffffff81a4b1c0 t trip_point_type_show\n"
			     "ffffffff81a4b200 t unrelated_fn\n"
			     "ffffffff81b00000 t mode_show\n";

const TranslationUnit thermal_sysfs =
	tu_of("", {"thermal_zone_helper", "mode_show", "type_show", "trip_point_type_show"});

} // namespace

TEST(KsymSympos, UniqueNameIsZero)
{
	auto table = kallsyms(two_type_shows);
	auto r = resolve_sympos(table, "vmlinux", "trip_point_type_show", thermal_sysfs);
	ASSERT_TRUE(r) << r.error().message();
	EXPECT_EQ(r.sympos, 0u);
	EXPECT_EQ(r.evidence, "unique");
	EXPECT_EQ(r.symbol->address, 0xffffffff81a4b1c0u);
}

TEST(KsymSympos, NotFound)
{
	auto table = kallsyms(two_type_shows);
	auto r = resolve_sympos(table, "vmlinux", "no_such_fn", thermal_sysfs);
	EXPECT_EQ(r.status, SymposStatus::not_found);
	EXPECT_NE(r.error().message().find("vmlinux: no symbol no_such_fn"), std::string::npos)
		<< r.error().message();
	auto m = resolve_sympos(table, "nosuchmod", "type_show", thermal_sysfs);
	EXPECT_EQ(m.status, SymposStatus::not_found);
	EXPECT_NE(m.error().message().find("nosuchmod: object not loaded"), std::string::npos);
}

TEST(KsymSympos, DuplicatePickedByNeighbourhood)
{
	auto table = kallsyms(two_type_shows);
	auto r = resolve_sympos(table, "vmlinux", "type_show", thermal_sysfs);
	ASSERT_TRUE(r) << r.error().message();
	EXPECT_EQ(r.sympos, 2u);
	EXPECT_EQ(r.symbol->address, 0xffffffff81a4b160u);
	// thermal_zone_helper and trip_point_type_show; mode_show is no anchor (two of
	// them), __pfx_type_show only continues the run.
	ASSERT_EQ(r.candidates.size(), 2u);
	EXPECT_EQ(r.candidates[0].anchors, 0u);
	EXPECT_EQ(r.candidates[1].anchors, 2u);
	EXPECT_NE(r.evidence.find("neighbourhood"), std::string::npos);

	// The other file's TU gets the other one.
	auto events = resolve_sympos(
		table, "vmlinux", "type_show",
		tu_of("core.c", {"nr_addr_filters_show", "type_show", "perf_event_mux_interval_ms_show"}));
	ASSERT_TRUE(events) << events.error().message();
	EXPECT_EQ(events.sympos, 1u);
}

TEST(KsymSympos, NoEvidenceIsAmbiguousAndListsCandidates)
{
	auto table = kallsyms(two_type_shows);
	auto r = resolve_sympos(table, "vmlinux", "type_show", tu_of("", {"type_show"}));
	EXPECT_EQ(r.status, SymposStatus::ambiguous);
	ASSERT_EQ(r.candidates.size(), 2u);
	EXPECT_EQ(r.candidates[0].position, 1u);
	EXPECT_EQ(r.candidates[1].address, 0xffffffff81a4b160u);
	std::string msg = r.error().message();
	EXPECT_EQ(msg.find('\n'), std::string::npos);
	EXPECT_EQ(msg.rfind("ambiguous: vmlinux: type_show:", 0), 0u) << msg;
	EXPECT_NE(msg.find("vmlinux #1 at 0xffffffff811c2a60"), std::string::npos) << msg;
	EXPECT_NE(msg.find("vmlinux #2 at 0xffffffff81a4b160"), std::string::npos) << msg;
}

// `type_show` ends the file before the TU, and the TU's block ends with the other
// one: names alone cannot say which is the TU's. Refused.
TEST(KsymSympos, NeighbourhoodTieIsAmbiguous)
{
	auto table = kallsyms("ffffffff81000000 t x_fn\n"
			      "ffffffff81000100 t type_show\n"
			      "ffffffff81000200 t a1\n"
			      "ffffffff81000300 t a2\n"
			      "ffffffff81000400 t type_show\n"
			      "ffffffff81000500 t y_fn\n");
	auto r = resolve_sympos(table, "vmlinux", "type_show", tu_of("", {"a1", "a2", "type_show"}));
	EXPECT_EQ(r.status, SymposStatus::ambiguous);
	EXPECT_NE(r.reason.find("tie at 2"), std::string::npos) << r.reason;
	// One more TU symbol after the second `type_show` settles it.
	auto table2 = kallsyms("ffffffff81000000 t x_fn\n"
			       "ffffffff81000100 t type_show\n"
			       "ffffffff81000200 t a1\n"
			       "ffffffff81000300 t a2\n"
			       "ffffffff81000400 t type_show\n"
			       "ffffffff81000450 t a3\n"
			       "ffffffff81000500 t y_fn\n");
	auto r2 = resolve_sympos(table2, "vmlinux", "type_show",
				 tu_of("", {"a1", "a2", "a3", "type_show"}));
	ASSERT_TRUE(r2) << r2.error().message();
	EXPECT_EQ(r2.sympos, 2u);
}

// The TU's own `type_show` went to .text.unlikely, far from its .text block; a
// foreign `type_show` happens to sit right before that block. Counting the .text
// anchors for it would pick the wrong one; with sections known they do not count.
TEST(KsymSympos, AnchorsOnlyFromTheTargetsRegion)
{
	auto table = kallsyms("ffffffff81000000 t x_fn\n"
			      "ffffffff81000100 t type_show\n"
			      "ffffffff81000200 t a1\n"
			      "ffffffff81000300 t a2\n"
			      "ffffffff81000400 t y_fn\n"
			      "ffffffff81900000 t z_fn\n"
			      "ffffffff81900100 t type_show\n"
			      "ffffffff81900200 t w_fn\n");
	TranslationUnit tu;
	tu.symbols = {{"a1", ".text.a1", STB_LOCAL},
		      {"a2", ".text.a2", STB_LOCAL},
		      {"type_show", ".text.unlikely.type_show", STB_LOCAL}};
	auto r = resolve_sympos(table, "vmlinux", "type_show", tu);
	EXPECT_EQ(r.status, SymposStatus::ambiguous) << r.evidence;

	// Same layout, but the TU's type_show is in .text like a1/a2: the anchors count.
	tu.symbols[2].section = ".text.type_show";
	auto r2 = resolve_sympos(table, "vmlinux", "type_show", tu);
	ASSERT_TRUE(r2) << r2.error().message();
	EXPECT_EQ(r2.sympos, 1u);
}

TEST(KsymSympos, BindingNarrowsCandidates)
{
	auto table = kallsyms("ffffffff81000000 T debug\n"
			      "ffffffff81000100 t debug\n"
			      "ffffffff81000200 t other\n");
	TranslationUnit tu;
	tu.symbols = {{"debug", "", STB_LOCAL}};
	auto r = resolve_sympos(table, "vmlinux", "debug", tu);
	ASSERT_TRUE(r) << r.error().message();
	EXPECT_EQ(r.sympos, 2u); // positions count every symbol of the name
	EXPECT_EQ(r.symbol->letter, 't');

	TranslationUnit other;
	other.symbols = {{"other", "", STB_GLOBAL}};
	auto g = resolve_sympos(table, "vmlinux", "other", other);
	EXPECT_EQ(g.status, SymposStatus::not_found);
	EXPECT_NE(g.reason.find("no global symbol other"), std::string::npos) << g.reason;
}

// vmlinux from readelf: positions by address, files decide.
const char *three_foos = "     1: 0000000000000000     0 FILE    LOCAL  DEFAULT  ABS core.c\n"
			 "     2: ffffffff81003000    64 FUNC    LOCAL  DEFAULT    1 foo\n"
			 "     3: ffffffff81003100    64 FUNC    LOCAL  DEFAULT    1 core_only\n"
			 "     4: 0000000000000000     0 FILE    LOCAL  DEFAULT  ABS bus.c\n"
			 "     5: ffffffff81001000    48 FUNC    LOCAL  DEFAULT    1 foo\n"
			 "     6: 0000000000000000     0 FILE    LOCAL  DEFAULT  ABS core.c\n"
			 "     7: ffffffff81002000    32 FUNC    LOCAL  DEFAULT    1 other_core_fn\n"
			 "     8: ffffffff81002100    32 FUNC    LOCAL  DEFAULT    1 foo\n";

TEST(KsymSympos, DuplicatePickedByFile)
{
	auto table = readelf(three_foos);
	auto r = resolve_sympos(table, "vmlinux", "foo", tu_of("drivers/base/bus.c", {"foo"}));
	ASSERT_TRUE(r) << r.error().message();
	EXPECT_EQ(r.sympos, 1u); // lowest address, though 5th in the symtab
	EXPECT_EQ(r.evidence, "file bus.c");
	EXPECT_EQ(r.candidates[2].file, "core.c");

	auto none = resolve_sympos(table, "vmlinux", "foo", tu_of("sysfs.c", {"foo"}));
	EXPECT_EQ(none.status, SymposStatus::ambiguous);
	EXPECT_NE(none.reason.find("none from file sysfs.c"), std::string::npos) << none.reason;
}

// Two files named core.c: the file narrows to two, the neighbourhood decides.
TEST(KsymSympos, SharedFileNameThenNeighbourhood)
{
	auto table = readelf(three_foos);
	auto r = resolve_sympos(table, "vmlinux", "foo",
				tu_of("kernel/events/core.c", {"foo", "core_only"}));
	ASSERT_TRUE(r) << r.error().message();
	EXPECT_EQ(r.sympos, 3u);
	auto r2 = resolve_sympos(table, "vmlinux", "foo",
				 tu_of("drivers/base/core.c", {"foo", "other_core_fn"}));
	ASSERT_TRUE(r2) << r2.error().message();
	EXPECT_EQ(r2.sympos, 2u);
	auto r3 = resolve_sympos(table, "vmlinux", "foo", tu_of("core.c", {"foo"}));
	EXPECT_EQ(r3.status, SymposStatus::ambiguous);
}

// A module from kallsyms: its lines are in symtab order, where each TU's locals
// follow each other.
TEST(KsymSympos, ModuleNeighbourhoodInSymtabOrder)
{
	auto table = kallsyms("ffffffff81000000 T _stext\n"
			      "ffffffffc0002000 t a_helper\t[mod]\n"
			      "ffffffffc0001000 t probe\t[mod]\n"
			      "ffffffffc0003000 t b_helper\t[mod]\n"
			      "ffffffffc0000500 t probe\t[mod]\n"
			      "ffffffffc0000600 t b_other\t[mod]\n");
	auto r = resolve_sympos(table, "mod", "probe", tu_of("b.c", {"b_helper", "probe", "b_other"}));
	ASSERT_TRUE(r) << r.error().message();
	EXPECT_EQ(r.sympos, 2u); // second in symtab order, though lowest address
	auto a = resolve_sympos(table, "mod", "probe", tu_of("a.c", {"a_helper", "probe"}));
	ASSERT_TRUE(a) << a.error().message();
	EXPECT_EQ(a.sympos, 1u);
}

// vmlinux read from ELF/readelf: a data `foo` is listed only with
// CONFIG_KALLSYMS_ALL. The text `foo` after it is foo,2 there and foo,1 without, and
// foo,2 is then the third: refused. The last one is foo,3 or missing: accepted.
TEST(KsymSympos, PositionMustHoldInEveryView)
{
	auto table = readelf("     1: ffffffff82000000     4 OBJECT  LOCAL  DEFAULT    2 foo\n"
			     "     2: ffffffff81000000    64 FUNC    LOCAL  DEFAULT    1 bar\n"
			     "     3: ffffffff83000000    64 FUNC    LOCAL  DEFAULT    3 foo\n"
			     "     4: ffffffff84000000    64 FUNC    LOCAL  DEFAULT    4 foo\n");
	auto foos = table.object("vmlinux")->find("foo");
	ASSERT_EQ(foos.size(), 3u);
	EXPECT_EQ(sympos_of(*foos[0]).status, SymposStatus::ambiguous);
	auto mid = sympos_of(*foos[1]);
	EXPECT_EQ(mid.status, SymposStatus::ambiguous);
	EXPECT_NE(mid.reason.find("CONFIG_KALLSYMS_ALL=n"), std::string::npos) << mid.reason;
	auto last = sympos_of(*foos[2]);
	ASSERT_TRUE(last) << last.error().message();
	EXPECT_EQ(last.sympos, 3u);
	// A kallsyms dump is the running kernel's one view: no such doubt.
	auto dump = kallsyms("ffffffff82000000 d foo\n"
			     "ffffffff83000000 t foo\n"
			     "ffffffff84000000 t foo\n");
	auto d = sympos_of(*dump.object("vmlinux")->find("foo")[1]);
	ASSERT_TRUE(d) << d.error().message();
	EXPECT_EQ(d.sympos, 2u);
}

// A module's lines in kallsyms are upper case when exported, lower case otherwise
// (kernel/kallsyms.c s_show), not by binding: a.c's extern, unexported `probe` is
// `t probe` beside b.c's static one. Its neighbours tell them apart.
TEST(KsymSympos, ModuleLowerCaseMayBeGlobal)
{
	auto table = kallsyms("ffffffff81000000 T _stext\n"
			      "ffffffffc0001000 t a_helper\t[mod]\n"
			      "ffffffffc0001100 t probe\t[mod]\n"
			      "ffffffffc0002000 t b_helper\t[mod]\n"
			      "ffffffffc0002100 t probe\t[mod]\n"
			      "ffffffffc0003000 T mod_export\t[mod]\n");
	TranslationUnit a;
	a.symbols = {{"a_helper", "", STB_LOCAL}, {"probe", "", STB_GLOBAL}};
	auto r = resolve_sympos(table, "mod", "probe", a);
	ASSERT_TRUE(r) << r.error().message();
	EXPECT_EQ(r.sympos, 1u);
	// Upper case is exported, hence global: never a TU's static.
	TranslationUnit c;
	c.symbols = {{"mod_export", "", STB_LOCAL}};
	EXPECT_EQ(resolve_sympos(table, "mod", "mod_export", c).status, SymposStatus::not_found);
}
