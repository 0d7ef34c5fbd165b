// The bundled core's arm64 relocation writer (kmod-template/core/arm64-reloc.h),
// held to GNU ld: an object with one relocation of every type the core writes is
// linked with the targets at fixed addresses, and for each relocation what the core
// computes from the object's bytes must be the linked bytes. Then what ld cannot
// show: the range and alignment refusals, and clearing.
#include "elf/object.h"

#include "test_util.h"

#include <gtest/gtest.h>

#include <elf.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>

using u32 = uint32_t;
using u64 = uint64_t;
using s64 = int64_t;
#include "../../kmod-template/core/arm64-reloc.h"

namespace fs = std::filesystem;

namespace {

// Every type of lib/arch's aarch64 bundled_types; code at 0x10000000, data at
// 0x10800000, the targets around them.
constexpr const char *asm_source = R"(
	.text
	.globl _start
_start:
	bl	t_call
	b	t_call_back
	adrp	x0, t_data
	add	x0, x0, :lo12:t_data
	ldrb	w1, [x0, :lo12:t_data]
	ldrh	w1, [x0, :lo12:t_half]
	ldr	w1, [x0, :lo12:t_word]
	ldr	x1, [x0, :lo12:t_dword]
	ldr	q1, [x0, :lo12:t_quad]
	b.eq	t_near
	cbz	x0, t_near_back
	tbz	x0, #3, t_tb
	ldr	x2, t_near
	adr	x3, t_near_back
	adrp	x4, t_data_below
	ret
	.data
	.quad	t_data + 16
	.xword	t_data - .
	.word	t_data_below - .
	.word	t_small
)";

constexpr const char *defsyms[] = {
	"t_call=0x17fffffc",	  // just inside +128 MB of the first bl
	"t_call_back=0x08000008", // just inside -128 MB of the b
	"t_data=0x10801238",	  "t_half=0x10801232",	   "t_word=0x10801234",
	"t_dword=0x10801238",	  "t_quad=0x10801240",	   "t_near=0x100ff000",
	"t_near_back=0x0ff01000", "t_tb=0x10006000",	   "t_small=0x7ffff000",
	"t_data_below=0x01000010",
};

bool have(const std::string &prog)
{
	return std::system(("command -v " + prog + " >/dev/null 2>&1").c_str()) == 0;
}

u32 word(const std::vector<uint8_t> &data, uint64_t offset)
{
	u32 w;
	std::memcpy(&w, data.data() + offset, 4);
	return w;
}

u64 bytes(const std::vector<uint8_t> &data, uint64_t offset, int size)
{
	u64 v = 0;
	std::memcpy(&v, data.data() + offset, size);
	return v;
}

} // namespace

TEST(Arm64Reloc, EveryTypeAsGnuLdLinksIt)
{
	const std::string as = "aarch64-linux-gnu-as", ld = "aarch64-linux-gnu-ld";
	if (!have(as) || !have(ld))
		GTEST_SKIP() << "no aarch64 binutils (scripts/setup installs gcc-aarch64-linux-gnu)";
	klp::test::TempDir dir;
	std::string src = dir.file("r.s"), obj = dir.file("r.o"), out = dir.file("r");
	std::ofstream(src) << asm_source;
	ASSERT_EQ(std::system((as + " -o " + obj + " " + src).c_str()), 0);
	std::string link = ld + " -Ttext=0x10000000 -Tdata=0x10800000 -o " + out + " " + obj;
	for (const char *d : defsyms)
		link += std::string(" --defsym ") + d;
	ASSERT_EQ(std::system(link.c_str()), 0);

	auto o = klp::elf::Object::read(obj);
	auto l = klp::elf::Object::read(out);
	ASSERT_TRUE(o && l);
	std::set<u32> seen;
	for (const char *name : {".text", ".data"}) {
		const klp::elf::Section *sec = (*o)->find_section(name);
		const klp::elf::Section *linked = (*l)->find_section(name);
		ASSERT_TRUE(sec && sec->rela && linked) << name;
		for (const auto &r : sec->rela->relocs) {
			const klp::elf::Symbol *target = (*l)->find_symbol(r.sym->name);
			ASSERT_TRUE(target) << r.sym->name;
			u64 place = linked->addr + r.offset, sa = target->value + r.addend, data = 0;
			int size = klpkit_a64_data_size(r.type);
			u32 insn = size ? 0 : word(sec->data, r.offset);
			SCOPED_TRACE(testing::Message() << name << "+" << r.offset << " type " << r.type << " "
							<< r.sym->name);
			ASSERT_EQ(klpkit_a64_reloc(r.type, place, sa, false, &insn, &data), 0);
			if (size)
				EXPECT_EQ(data, bytes(linked->data, r.offset, size));
			else
				EXPECT_EQ(insn, word(linked->data, r.offset));
			seen.insert(r.type);
		}
	}
	// Each type the core writes, once at least.
	for (u32 type : {R_AARCH64_CALL26, R_AARCH64_JUMP26, R_AARCH64_ADR_PREL_PG_HI21,
			 R_AARCH64_ADD_ABS_LO12_NC, R_AARCH64_LDST8_ABS_LO12_NC, R_AARCH64_LDST16_ABS_LO12_NC,
			 R_AARCH64_LDST32_ABS_LO12_NC, R_AARCH64_LDST64_ABS_LO12_NC,
			 R_AARCH64_LDST128_ABS_LO12_NC, R_AARCH64_CONDBR19, R_AARCH64_TSTBR14,
			 R_AARCH64_LD_PREL_LO19, R_AARCH64_ADR_PREL_LO21, R_AARCH64_ABS64, R_AARCH64_PREL64,
			 R_AARCH64_PREL32, R_AARCH64_ABS32})
		EXPECT_TRUE(seen.count(type)) << "type " << type << " not in the object";
}

TEST(Arm64Reloc, OutOfRangeIsRefusedNotTruncated)
{
	const u32 bl = 0x94000000, cbz = 0xb4000000, tbz = 0x36180000, adrp = 0x90000000;
	u32 insn = bl;
	u64 data = 0;
	u64 place = 0xffff800008000000ULL;
	// 128 MB away: the caller's veneer.
	EXPECT_EQ(klpkit_a64_reloc(R_AARCH64_CALL26, place, place + (128ULL << 20), false, &insn, &data), -ERANGE);
	EXPECT_EQ(klpkit_a64_reloc(R_AARCH64_CALL26, place, place - (128ULL << 20) - 4, false, &insn, &data),
		  -ERANGE);
	EXPECT_EQ(klpkit_a64_reloc(R_AARCH64_CALL26, place, place - (128ULL << 20), false, &insn, &data), 0);
	EXPECT_EQ(insn, 0x96000000u); // imm26 = -2^25
	insn = bl;
	EXPECT_EQ(klpkit_a64_reloc(R_AARCH64_CALL26, place, place + 2, false, &insn, &data), -EINVAL);
	insn = cbz;
	EXPECT_EQ(klpkit_a64_reloc(R_AARCH64_CONDBR19, place, place + (1ULL << 20), false, &insn, &data), -ERANGE);
	insn = tbz;
	EXPECT_EQ(klpkit_a64_reloc(R_AARCH64_TSTBR14, place, place + (1ULL << 15), false, &insn, &data), -ERANGE);
	insn = adrp;
	EXPECT_EQ(klpkit_a64_reloc(R_AARCH64_ADR_PREL_PG_HI21, place, place + (4ULL << 30), false, &insn, &data),
		  -ERANGE);
	// The _NC form keeps the low 21 bits of the page delta.
	EXPECT_EQ(klpkit_a64_reloc(R_AARCH64_ADR_PREL_PG_HI21_NC, place, place + (4ULL << 30), false, &insn, &data),
		  0);
	EXPECT_EQ(klpkit_a64_reloc(R_AARCH64_PREL32, place, place + (1ULL << 31), false, &insn, &data), -ERANGE);
	EXPECT_EQ(klpkit_a64_reloc(R_AARCH64_ABS32, place, 1ULL << 32, false, &insn, &data), -ERANGE);
	EXPECT_EQ(klpkit_a64_reloc(R_AARCH64_ABS32, place, (u64)-4, false, &insn, &data), 0);
	EXPECT_EQ(data, 0xfffffffcu);
	// An LDST64 target that is not 8-aligned cannot be encoded.
	insn = 0xf9400001;
	EXPECT_EQ(klpkit_a64_reloc(R_AARCH64_LDST64_ABS_LO12_NC, place, 0x10801234, false, &insn, &data), -EINVAL);
	EXPECT_EQ(klpkit_a64_reloc(R_AARCH64_MOVW_UABS_G0, place, 0, false, &insn, &data), -ENOEXEC);
}

TEST(Arm64Reloc, ClearingEmptiesTheImmediateOnly)
{
	u64 data = 1, place = 0xffff800008000100ULL;
	u32 bl = 0x94000123;
	ASSERT_EQ(klpkit_a64_reloc(R_AARCH64_CALL26, place, 0, true, &bl, &data), 0);
	EXPECT_EQ(bl, 0x94000000u);
	u32 adrp = 0xf0ffffe3; // adrp x3 with every immediate bit set
	ASSERT_EQ(klpkit_a64_reloc(R_AARCH64_ADR_PREL_PG_HI21, place, 0, true, &adrp, &data), 0);
	EXPECT_EQ(adrp, 0x90000003u);
	u32 ldr = 0xf947fc41; // ldr x1, [x2, #0xff8]
	ASSERT_EQ(klpkit_a64_reloc(R_AARCH64_LDST64_ABS_LO12_NC, place, 0, true, &ldr, &data), 0);
	EXPECT_EQ(ldr, 0xf9400041u);
	ASSERT_EQ(klpkit_a64_reloc(R_AARCH64_PREL64, place, 0, true, &ldr, &data), 0);
	EXPECT_EQ(data, 0u);
	// The branch a veneer's slot is found by.
	EXPECT_EQ(klpkit_a64_branch_target(place, 0x97ffffff), place - 4);
	EXPECT_EQ(klpkit_a64_branch_target(place, 0x94000010), place + 64);
}
