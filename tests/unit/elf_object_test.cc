// lib/elf: reading, validating, editing and writing relocatable ELF64 objects.
#include "elf/object.h"
#include "test_util.h"

#include <filesystem>

using namespace klp;
using namespace klp::elf;
using klp::test::TempDir;

namespace {

const char *sample_c = R"(
static int counter;
static int helper(int x) { return x * 3 + counter++; }
int exported(int y) { return helper(y) + 1; }
const char *name(void) { return "hello"; }
__attribute__((section(".text.custom"))) int custom(void) { return 7; }
)";

std::unique_ptr<Object> must_read(const std::string &path)
{
	auto obj = Object::read(path);
	EXPECT_TRUE(obj) << (obj ? "" : obj.error().message());
	return obj ? std::move(*obj) : nullptr;
}

// Everything but file offsets: what readelf would show of sections, symbols and
// relocations, by name.
std::string describe(const Object &obj)
{
	std::string out;
	for (auto &sec : obj.sections) {
		if (sec->removed)
			continue;
		// String tables are regenerated (without gcc's tail merging): no size.
		out += fmt::format("S {} t={} f={:#x} a={} e={} size={} link={} info={}\n",
				   sec->name, sec->type, sec->flags, sec->addralign, sec->entsize,
				   sec->type == SHT_STRTAB ? 0 : sec->size(), sec->link ? sec->link->name : "-",
				   sec->info_section ? sec->info_section->name : "-");
		if (sec->type == SHT_PROGBITS)
			out += fmt::format("  data {}\n", fmt::join(sec->data, ","));
		for (auto &r : sec->relocs)
			out += fmt::format("  R {:#x} {} {} {}\n", r.offset, r.type,
					   r.sym ? r.sym->name : "-", r.addend);
		for (auto *m : sec->group_members)
			out += fmt::format("  G {}\n", m->name);
	}
	for (auto &sym : obj.symbols)
		if (!sym->removed)
			out += fmt::format("Y {} b={} t={} sec={} v={:#x} s={}\n", sym->name, sym->bind,
					   sym->type, sym->sec ? sym->sec->name : "-", sym->value,
					   sym->size);
	return out;
}

} // namespace

TEST(ElfObject, ReadsSectionsSymbolsAndRelocations)
{
	TempDir dir;
	auto obj = must_read(test::compile_c(dir, "sample", sample_c));
	ASSERT_TRUE(obj);
	EXPECT_EQ(obj->machine, EM_X86_64);
	EXPECT_EQ(obj->elf_type, ET_REL);

	Section *text = obj->find_section(".text.exported");
	ASSERT_NE(text, nullptr);
	ASSERT_NE(text->rela, nullptr);
	EXPECT_EQ(text->rela->base, text);
	EXPECT_EQ(text->primary_symbol(), obj->find_symbol("exported"));

	Symbol *exported = obj->find_symbol("exported");
	ASSERT_NE(exported, nullptr);
	EXPECT_EQ(exported->bind, STB_GLOBAL);
	EXPECT_TRUE(exported->is_func());
	EXPECT_EQ(exported->sec, text);
	// __fentry__ is undefined, and `exported` calls it at its first byte.
	Symbol *fentry = obj->find_symbol("__fentry__");
	ASSERT_NE(fentry, nullptr);
	EXPECT_TRUE(fentry->is_undefined());
	bool calls_fentry = false;
	for (auto &r : text->rela->relocs)
		calls_fentry |= r.sym == fentry && r.offset == 1;
	EXPECT_TRUE(calls_fentry);
	EXPECT_EQ(obj->symbol_at(text, 3), exported);
}

TEST(ElfObject, RoundTripIsEquivalent)
{
	TempDir dir;
	auto obj = must_read(test::compile_c(dir, "sample", sample_c));
	ASSERT_TRUE(obj);
	ASSERT_TRUE(obj->write(dir.file("out.o")));
	auto again = must_read(dir.file("out.o"));
	ASSERT_TRUE(again);
	auto orig = must_read(dir.file("sample.o"));
	EXPECT_EQ(describe(*orig), describe(*again));
	// The linker agrees that the result is a valid object.
	std::string cmd = "ld -r -o " + dir.file("linked.o") + " " + dir.file("out.o");
	EXPECT_EQ(std::system(cmd.c_str()), 0);
}

TEST(ElfObject, WriteIsDeterministic)
{
	TempDir dir;
	auto a = must_read(test::compile_c(dir, "sample", sample_c));
	auto b = must_read(dir.file("sample.o"));
	ASSERT_TRUE(a && b);
	ASSERT_TRUE(a->write(dir.file("a.o")));
	ASSERT_TRUE(b->write(dir.file("b.o")));
	EXPECT_EQ(test::read_bytes(dir.file("a.o")), test::read_bytes(dir.file("b.o")));
}

TEST(ElfObject, EditsSurviveAWrite)
{
	TempDir dir;
	auto obj = must_read(test::compile_c(dir, "sample", sample_c));
	ASSERT_TRUE(obj);
	Section *sec = obj->add_section(".klpkit.test", SHT_PROGBITS, SHF_ALLOC, 8);
	sec->data.assign(16, 0);
	Symbol *target = obj->find_symbol("exported");
	Section *rela = obj->add_rela_section(sec);
	rela->relocs.push_back({8, R_X86_64_64, target, 4});
	Symbol *global = obj->add_symbol("klp_new", STB_GLOBAL, STT_OBJECT, sec, 0, 16);
	Section *custom = obj->find_section(".text.custom");
	obj->remove_section(custom);
	obj->remove_symbol(obj->find_symbol("custom"));
	auto &mcount = obj->find_section("__mcount_loc")->rela->relocs;
	std::erase_if(mcount, [&](const Relocation &r) { return r.sym->sec == custom; });
	auto written = obj->write(dir.file("out.o"));
	ASSERT_TRUE(written) << written.error().message();

	auto again = must_read(dir.file("out.o"));
	ASSERT_TRUE(again);
	EXPECT_EQ(again->find_section(".text.custom"), nullptr);
	EXPECT_EQ(again->find_symbol("custom"), nullptr);
	Section *s2 = again->find_section(".klpkit.test");
	ASSERT_NE(s2, nullptr);
	ASSERT_NE(s2->rela, nullptr);
	ASSERT_EQ(s2->rela->relocs.size(), 1u);
	EXPECT_EQ(s2->rela->relocs[0].sym->name, "exported");
	EXPECT_EQ(s2->rela->relocs[0].addend, 4);
	Symbol *g2 = again->find_symbol("klp_new");
	ASSERT_NE(g2, nullptr);
	EXPECT_EQ(g2->sec, s2);
	EXPECT_EQ(global->index, g2->index);
	// Locals come first and sh_info names the first global.
	for (auto &sym : again->symbols) {
		bool in_local_part = sym->index && sym->index < again->symtab->info;
		EXPECT_TRUE(!in_local_part || sym->is_local()) << sym->name;
	}
}

TEST(ElfObject, RefusesToWriteADanglingReference)
{
	TempDir dir;
	auto obj = must_read(test::compile_c(dir, "sample", sample_c));
	ASSERT_TRUE(obj);
	obj->remove_symbol(obj->find_symbol("__fentry__"));
	auto result = obj->write(dir.file("out.o"));
	ASSERT_FALSE(result);
	EXPECT_NE(result.error().message().find("removed symbol __fentry__"), std::string::npos)
		<< result.error().message();
	EXPECT_FALSE(std::filesystem::exists(dir.file("out.o")));
	for (auto &e : std::filesystem::directory_iterator(dir.path()))
		EXPECT_EQ(e.path().string().find(".tmp."), std::string::npos) << e.path();
}

// Malformed input: a one-line error naming the file, never a crash.
class ElfMalformed : public ::testing::Test {
protected:
	void SetUp() override
	{
		path_ = test::compile_c(dir_, "sample", sample_c);
		bytes_ = test::read_bytes(path_);
		ehdr_ = reinterpret_cast<Elf64_Ehdr *>(bytes_.data());
	}
	Elf64_Shdr *shdr(size_t i)
	{
		return reinterpret_cast<Elf64_Shdr *>(bytes_.data() + ehdr_->e_shoff) + i;
	}
	size_t find_shdr(uint32_t type)
	{
		for (size_t i = 1; i < ehdr_->e_shnum; i++)
			if (shdr(i)->sh_type == type)
				return i;
		return 0;
	}
	std::string read_error()
	{
		std::string bad = dir_.file("bad.o");
		std::ofstream(bad, std::ios::binary)
			.write(reinterpret_cast<char *>(bytes_.data()), bytes_.size());
		auto obj = Object::read(bad);
		EXPECT_FALSE(obj);
		if (obj)
			return "";
		std::string msg = obj.error().message();
		EXPECT_EQ(msg.rfind(bad + ": ", 0), 0u) << msg;
		EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
		return msg;
	}
	TempDir dir_;
	std::string path_;
	std::vector<uint8_t> bytes_;
	Elf64_Ehdr *ehdr_ = nullptr;
};

TEST_F(ElfMalformed, Truncated)
{
	bytes_.resize(bytes_.size() / 2);
	EXPECT_NE(read_error(), "");
}

TEST_F(ElfMalformed, NotElf)
{
	bytes_.assign(64, 'x');
	EXPECT_NE(read_error().find("not an ELF file"), std::string::npos);
}

TEST_F(ElfMalformed, WrongClass)
{
	bytes_[EI_CLASS] = ELFCLASS32;
	EXPECT_NE(read_error(), "");
}

TEST_F(ElfMalformed, RelocationSymbolOutOfRange)
{
	size_t i = find_shdr(SHT_RELA);
	ASSERT_NE(i, 0u);
	auto *rela = reinterpret_cast<Elf64_Rela *>(bytes_.data() + shdr(i)->sh_offset);
	rela[0].r_info = ELF64_R_INFO(4096, ELF64_R_TYPE(rela[0].r_info));
	EXPECT_NE(read_error().find("relocation 0 points to symbol 4096 of"), std::string::npos);
}

TEST_F(ElfMalformed, RelocationOffsetPastSection)
{
	size_t i = find_shdr(SHT_RELA);
	auto *rela = reinterpret_cast<Elf64_Rela *>(bytes_.data() + shdr(i)->sh_offset);
	rela[0].r_offset = 1 << 20;
	EXPECT_NE(read_error().find("is past the end of"), std::string::npos);
}

TEST_F(ElfMalformed, SymbolSectionIndexOutOfRange)
{
	size_t i = find_shdr(SHT_SYMTAB);
	auto *syms = reinterpret_cast<Elf64_Sym *>(bytes_.data() + shdr(i)->sh_offset);
	syms[2].st_shndx = 900;
	EXPECT_NE(read_error().find("section index 900 is past"), std::string::npos);
}

TEST_F(ElfMalformed, RelaInfoOutOfRange)
{
	size_t i = find_shdr(SHT_RELA);
	shdr(i)->sh_info = 5000;
	EXPECT_NE(read_error().find("sh_info 5000"), std::string::npos);
}

TEST_F(ElfMalformed, SectionPastEndOfFile)
{
	shdr(1)->sh_offset = bytes_.size() + 100;
	shdr(1)->sh_size = 16;
	if (shdr(1)->sh_type == SHT_NOBITS)
		GTEST_SKIP() << "section 1 is NOBITS";
	EXPECT_NE(read_error(), "");
}

TEST_F(ElfMalformed, SymbolNameOutOfRange)
{
	size_t i = find_shdr(SHT_SYMTAB);
	auto *syms = reinterpret_cast<Elf64_Sym *>(bytes_.data() + shdr(i)->sh_offset);
	syms[1].st_name = 1 << 24;
	EXPECT_NE(read_error().find("symbol 1: name offset"), std::string::npos);
}

// st_value + st_size wraps around: 0xfffffffffffffffe plus the size is the size
// less 2, inside the section (found by fuzzing: create-diff-object compared bytes
// before the section's).
TEST_F(ElfMalformed, SymbolExtentWrapsAround)
{
	size_t i = find_shdr(SHT_SYMTAB);
	auto *syms = reinterpret_cast<Elf64_Sym *>(bytes_.data() + shdr(i)->sh_offset);
	size_t n = shdr(i)->sh_size / sizeof(Elf64_Sym), k = 1;
	while (k < n && !(ELF64_ST_TYPE(syms[k].st_info) == STT_FUNC && syms[k].st_size))
		k++;
	ASSERT_LT(k, n) << "no function with a size";
	syms[k].st_value = ~uint64_t(1);
	EXPECT_NE(read_error().find("lies past the end of"), std::string::npos);
}

// The writer pads the file to each alignment (found by fuzzing: 2^35 made a 32 GiB
// output).
TEST_F(ElfMalformed, SectionAlignment)
{
	shdr(1)->sh_addralign = 24;
	EXPECT_NE(read_error().find("alignment 0x18 is not a power of two"), std::string::npos);
	shdr(1)->sh_addralign = uint64_t(1) << 35;
	EXPECT_NE(read_error().find("alignment 0x800000000 is past"), std::string::npos);
}

TEST(ElfObject, SkipsDebugContentsWhenAsked)
{
	TempDir dir;
	std::string path = test::compile_c(dir, "sample", sample_c, "-g");
	auto obj = Object::read(path, {.skip_debug_contents = true});
	ASSERT_TRUE(obj) << obj.error().message();
	Section *info = (*obj)->find_section(".debug_info");
	ASSERT_NE(info, nullptr);
	EXPECT_TRUE(info->contents_skipped);
	EXPECT_TRUE(info->data.empty());
	EXPECT_GT(info->size(), 0u);
	// Allocated sections and the symbols are all there.
	EXPECT_FALSE((*obj)->find_section(".text.exported")->data.empty());
	EXPECT_NE((*obj)->find_symbol("exported"), nullptr);
	// Such a model cannot be written back.
	EXPECT_FALSE((*obj)->write(dir.file("out.o")));
	EXPECT_FALSE(std::filesystem::exists(dir.file("out.o")));
}
