// The corpus's kinds (see corpus.h). ELF kinds damage one field of a valid object,
// so that exactly one thing is wrong and the error must name it.
#include "corpus.h"

#include <elf.h>

#include <cstring>
#include <stdexcept>
#include <string_view>

namespace klp::malformed {
namespace {

// A typed view of a little-endian ELF64 file's bytes.
class View {
public:
	explicit View(Bytes &b) : b_(b) {}
	Elf64_Ehdr &eh() { return *reinterpret_cast<Elf64_Ehdr *>(b_.data()); }
	Elf64_Shdr &sh(size_t i) { return reinterpret_cast<Elf64_Shdr *>(b_.data() + eh().e_shoff)[i]; }
	size_t sections() { return eh().e_shnum; }
	std::string name(size_t i)
	{
		return reinterpret_cast<const char *>(b_.data() + sh(eh().e_shstrndx).sh_offset +
						      sh(i).sh_name);
	}
	// The first section of `type` with contents (and a name starting with `prefix`).
	size_t find(uint32_t type, std::string_view prefix = "")
	{
		for (size_t i = 1; i < sections(); i++)
			if (sh(i).sh_type == type && sh(i).sh_size && name(i).starts_with(prefix))
				return i;
		throw std::runtime_error("the base input has no section of type " +
					 std::to_string(type) + " named " + std::string(prefix) + "*");
	}
	size_t symtab() { return find(SHT_SYMTAB); }
	size_t symbols() { return sh(symtab()).sh_size / sizeof(Elf64_Sym); }
	Elf64_Sym &sym(size_t i)
	{
		return reinterpret_cast<Elf64_Sym *>(b_.data() + sh(symtab()).sh_offset)[i];
	}
	// The first defined function symbol of a section with contents.
	size_t function()
	{
		for (size_t i = 1; i < symbols(); i++)
			if (ELF64_ST_TYPE(sym(i).st_info) == STT_FUNC && sym(i).st_shndx &&
			    sym(i).st_shndx < SHN_LORESERVE && sym(i).st_size)
				return i;
		throw std::runtime_error("the base input has no defined function");
	}
	// A relocation section whose base holds contents (not __mcount_loc-like tables
	// that some tools regenerate: the first .rela.text*, else any).
	size_t rela()
	{
		for (size_t i = 1; i < sections(); i++)
			if (sh(i).sh_type == SHT_RELA && sh(i).sh_size && name(i).starts_with(".rela.text"))
				return i;
		return find(SHT_RELA);
	}
	Elf64_Rela &rel(size_t sec, size_t i)
	{
		return reinterpret_cast<Elf64_Rela *>(b_.data() + sh(sec).sh_offset)[i];
	}
	// A section with contents that is neither a table nor a string table.
	size_t progbits(size_t other = 0)
	{
		for (size_t i = 1; i < sections(); i++)
			if (i != other && sh(i).sh_type == SHT_PROGBITS && sh(i).sh_size >= 8)
				return i;
		throw std::runtime_error("the base input has no PROGBITS section");
	}
	size_t size() const { return b_.size(); }
	void resize(size_t n) { b_.resize(n); }

private:
	Bytes &b_;
};

// ELF kinds: `places` minus the linked vmlinux where the damage needs relocations
// or section-relative symbols, which a linked file does not have.
constexpr uint32_t relocatable = objects & ~symbols_vmlinux;

Kind elf(std::string name, std::string what, uint32_t places, std::function<void(View &)> damage,
	 std::string entry)
{
	Kind k;
	k.name = std::move(name);
	k.what = std::move(what);
	k.places = places;
	k.damage = [damage](Bytes &b) {
		View v(b);
		damage(v);
	};
	k.entry = std::move(entry);
	return k;
}

Kind text(std::string name, std::string what, uint32_t places, std::string contents,
	  std::string entry)
{
	Kind k;
	k.name = std::move(name);
	k.what = std::move(what);
	k.places = places;
	k.text = std::move(contents);
	k.entry = std::move(entry);
	return k;
}

std::vector<Kind> make_kinds()
{
	std::vector<Kind> k;
	// --- the file itself ---
	k.push_back(text("empty", "an empty file", objects | convert_map | build_patch | symbols_kallsyms, "",
			 "empty"));
	{
		Kind d = text("directory", "a directory in place of a file", every_place, "", "directory");
		d.file = Kind::File::directory;
		k.push_back(d);
		Kind m = text("missing", "a file that does not exist", every_place, "",
			      "(no such|cannot open|cannot read|No such)");
		m.file = Kind::File::missing;
		k.push_back(m);
	}
	k.push_back(text("not-elf", "a text file in place of an object", objects, "hello, kernel\n",
			 "(not an ELF file|not a symbol file)"));
	// --- the ELF header ---
	k.push_back(elf("truncated-ident", "cut inside e_ident", objects,
			[](View &v) { v.resize(10); }, "truncated: 10 bytes"));
	k.push_back(elf("truncated-header", "cut inside the ELF header", objects,
			[](View &v) { v.resize(sizeof(Elf64_Ehdr) - 1); },
			"truncated: 63 bytes, shorter than the ELF header"));
	k.push_back(elf("class32", "EI_CLASS says ELF32", objects,
			[](View &v) { v.eh().e_ident[EI_CLASS] = ELFCLASS32; }, "ELF class 1"));
	k.push_back(elf("big-endian", "EI_DATA says big-endian", objects,
			[](View &v) { v.eh().e_ident[EI_DATA] = ELFDATA2MSB; }, "big-endian"));
	k.push_back(elf("machine", "e_machine is SPARC V9", objects & ~cdo_symtab,
			[](View &v) { v.eh().e_machine = EM_SPARCV9; }, "machine 43"));
	k.push_back(elf("not-relocatable", "e_type is ET_DYN", cdo_orig | cdo_patched | convert_in | check_module,
			[](View &v) { v.eh().e_type = ET_DYN; }, "not a relocatable"));
	k.push_back(elf("shentsize", "e_shentsize is 32", objects,
			[](View &v) { v.eh().e_shentsize = 32; }, "section header size 32"));
	k.push_back(elf("shoff-past-end", "the section header table starts past the end", objects,
			[](View &v) { v.eh().e_shoff = v.size() + 0x1000; }, "section header table"));
	k.push_back(elf("truncated-section-headers", "cut inside the section header table", objects,
			[](View &v) { v.resize(v.eh().e_shoff + 2 * sizeof(Elf64_Shdr) + 10); },
			"section header table"));
	k.push_back(elf("shstrndx", "e_shstrndx is past the sections", objects,
			[](View &v) { v.eh().e_shstrndx = uint16_t(v.sections() + 5); },
			"section name table index"));
	// --- section headers ---
	k.push_back(elf("section-past-end", "a section's contents lie past the end of the file",
			objects, [](View &v) { v.sh(v.progbits()).sh_offset = v.size() + 64; },
			"section [0-9]+: contents .* past the end"));
	k.push_back(elf("section-overlap", "two sections' contents overlap", objects,
			[](View &v) {
				size_t a = v.progbits(), b = v.progbits(a);
				v.sh(b).sh_offset = v.sh(a).sh_offset;
			},
			"section [0-9]+ \\(.*\\): contents .* overlap section [0-9]+"));
	k.push_back(elf("section-over-headers", "a section's contents overlap the ELF header",
			objects, [](View &v) { v.sh(v.progbits()).sh_offset = 8; },
			"section [0-9]+ \\(.*\\): contents .* overlap the ELF header"));
	k.push_back(elf("section-name", "a section's name offset is past .shstrtab", objects,
			[](View &v) { v.sh(1).sh_name = 0xfffff0; }, "section 1: name offset"));
	k.push_back(elf("section-link", "a section's sh_link is past the sections", objects,
			[](View &v) { v.sh(v.symtab()).sh_link = 999; }, "sh_link 999"));
	// --- the symbol table ---
	k.push_back(elf("symtab-link-kind", ".symtab's sh_link names a PROGBITS section", objects,
			[](View &v) { v.sh(v.symtab()).sh_link = uint32_t(v.progbits()); },
			"\\(\\.symtab\\): sh_link [0-9]+ is not a string table"));
	k.push_back(elf("symtab-entsize", ".symtab's sh_entsize is 16", objects,
			[](View &v) { v.sh(v.symtab()).sh_entsize = 16; },
			"\\(\\.symtab\\): entry size 16"));
	k.push_back(elf("symtab-size", ".symtab's size is not a multiple of 24", objects,
			[](View &v) { v.sh(v.symtab()).sh_size -= 8; }, "\\(\\.symtab\\): size [0-9]+ is not a multiple of 24"));
	k.push_back(elf("symtab-info", ".symtab's first global is past its symbols", objects,
			[](View &v) { v.sh(v.symtab()).sh_info = uint32_t(v.symbols() + 10); },
			"first global [0-9]+ is past"));
	k.push_back(elf("symbol-name", "a symbol's name offset is past .strtab", objects,
			[](View &v) { v.sym(v.function()).st_name = 0xffffff0; },
			"symbol [0-9]+: name offset"));
	k.push_back(elf("symbol-section", "a symbol's section index is past the sections", objects,
			[](View &v) { v.sym(v.function()).st_shndx = uint16_t(v.sections() + 7); },
			"symbol [0-9]+ \\(.*\\): section index [0-9]+ is past"));
	k.push_back(elf("symbol-xindex", "SHN_XINDEX without a SHT_SYMTAB_SHNDX section", objects,
			[](View &v) { v.sym(v.function()).st_shndx = SHN_XINDEX; }, "SHN_XINDEX"));
	k.push_back(elf("symbol-past-section", "a function reaches past its section's end",
			relocatable,
			[](View &v) {
				Elf64_Sym &s = v.sym(v.function());
				s.st_value = v.sh(s.st_shndx).sh_size;
			},
			"symbol [0-9]+ \\(.*\\): .* lies past the end of"));
	// --- relocation sections ---
	k.push_back(elf("rela-link-kind", "a .rela section's sh_link names .strtab", relocatable,
			[](View &v) { v.sh(v.rela()).sh_link = v.sh(v.symtab()).sh_link; },
			"\\(\\.rela.*\\): sh_link [0-9]+ is not the symbol table"));
	k.push_back(elf("rela-info-range", "a .rela section's sh_info is past the sections",
			relocatable, [](View &v) { v.sh(v.rela()).sh_info = uint32_t(v.sections() + 3); },
			"\\(\\.rela.*\\): sh_info [0-9]+ is not a section index"));
	k.push_back(elf("rela-info-kind", "a .rela section's sh_info names the symbol table",
			relocatable, [](View &v) { v.sh(v.rela()).sh_info = uint32_t(v.symtab()); },
			"\\(\\.rela.*\\): sh_info section [0-9]+ \\(\\.symtab\\) is not a section that"));
	k.push_back(elf("rela-twice", "two .rela sections for one section", relocatable,
			[](View &v) {
				size_t a = v.rela();
				for (size_t i = 1; i < v.sections(); i++)
					if (i != a && v.sh(i).sh_type == SHT_RELA) {
						v.sh(i).sh_info = v.sh(a).sh_info;
						return;
					}
				throw std::runtime_error("the base input has one .rela section");
			},
			"already has relocation section"));
	k.push_back(elf("rela-entsize", "a .rela section's sh_entsize is 16", relocatable,
			[](View &v) { v.sh(v.rela()).sh_entsize = 16; }, "entry size 16 is not 24"));
	k.push_back(elf("rela-size", "a .rela section's size is not a multiple of 24", relocatable,
			[](View &v) { v.sh(v.rela()).sh_size -= 4; }, "size [0-9]+ is not a multiple of 24"));
	k.push_back(elf("rel-type", "a SHT_REL section in an ELF64 object", relocatable,
			[](View &v) { v.sh(v.rela()).sh_type = SHT_REL; }, "SHT_REL"));
	k.push_back(elf("reloc-symbol", "a relocation names symbol 99999", relocatable,
			[](View &v) {
				Elf64_Rela &r = v.rel(v.rela(), 0);
				r.r_info = ELF64_R_INFO(99999, ELF64_R_TYPE(r.r_info));
			},
			"relocation 0 points to symbol 99999"));
	k.push_back(elf("reloc-offset", "a relocation's offset is past its section", relocatable,
			[](View &v) {
				size_t r = v.rela();
				v.rel(r, 0).r_offset = v.sh(v.sh(r).sh_info).sh_size + 0x100;
			},
			"relocation 0 at offset 0x[0-9a-f]+ is past the end"));
	// --- kinds of file in the wrong place ---
	{
		Kind m = text("ko-for-o", "a kernel module (.ko) in place of an object (.o)",
			      cdo_orig | cdo_patched, "", "a linked kernel module");
		m.file = Kind::File::module;
		k.push_back(m);
	}
	// --- text inputs ---
	k.push_back(text("symvers-line", "Module.symvers with a line of two fields",
			 cdo_symvers | check_symvers,
			 "0x037a0cba\tkfree\tvmlinux\tEXPORT_SYMBOL\t\n0x12345678 printk vmlinux\n",
			 ":2: malformed line"));
	k.push_back(text("symvers-crc", "Module.symvers whose CRC is not a number",
			 cdo_symvers | check_symvers, "0xzz7a0cba\tkfree\tvmlinux\tEXPORT_SYMBOL\t\n",
			 ":1: "));
	k.push_back(text("kallsyms-line", "a kallsyms dump with a line that is not kallsyms",
			 cdo_symtab | symbols_kallsyms,
			 "ffffffff81000000 T _stext\nthis line is not kallsyms\n", ":2: malformed line"));
	k.push_back(text("kallsyms-address", "a kallsyms line whose address is not hex",
			 cdo_symtab | symbols_kallsyms,
			 "ffffffff81000000 T _stext\nffffffffg1000100 t scale\n", ":2: "));
	k.push_back(text("readelf-line", "readelf -s text with a broken symbol line",
			 cdo_symtab | symbols_vmlinux,
			 "\nSymbol table '.symtab' contains 3 entries:\n"
			 "   Num:    Value          Size Type    Bind   Vis      Ndx Name\n"
			 "     0: 0000000000000000     0 NOTYPE  LOCAL  DEFAULT  UND \n"
			 "     1: ffffffff81000000    16 FUNC    GLOBAL DEFAULT    1 _stext\n"
			 "     2: zzzz\n",
			 ":6: "));
	k.push_back(text("map-header", "a symbol map without its first line", convert_map,
			 "object vmlinux\n", ":1: not a symbol map"));
	k.push_back(text("map-line", "a symbol map with an unknown line", convert_map,
			 "klp-convert-symbols 1\nobject vmlinux\nbogus entry here\n", ":3: "));
	k.push_back(text("patch-not-diff", "a patch file that is not a unified diff", build_patch,
			 "Fix the frobnicator.\n\nThis is only a description.\n",
			 "no file changes found"));
	k.push_back(text("patch-headers-only", "a diff whose +++ line names no file", build_patch,
			 "--- a/fs/proc/cmdline.c\n+++ \n@@ -1 +1 @@\n-a\n+b\n",
			 ":2: cannot read the file name"));
	return k;
}

} // namespace

const std::vector<Kind> &kinds()
{
	static const std::vector<Kind> all = make_kinds();
	return all;
}

} // namespace klp::malformed
