// Reads an ELF64 file with libelf into the object model and validates it at the
// door: every sh_link, sh_info, st_shndx, r_info and offset is bounds-checked before
// any pass sees it. It does not interpret sections beyond what the model holds.
#include "elf/object.h"

#include "elf/file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace klp::elf {
namespace {

// The largest section alignment read. Kernel objects ask for a page or two (8192
// in a 6.1 vmlinux, Debian's modules and its kernel objects); 16 MiB leaves room
// for huge-page-aligned data.
constexpr uint64_t max_addralign = uint64_t(1) << 24;

struct Closer {
	int fd = -1;
	Elf *elf = nullptr;
	~Closer()
	{
		if (elf)
			elf_end(elf);
		if (fd >= 0)
			close(fd);
	}
};

class Reader {
public:
	Reader(Object &obj, Elf *elf, ReadOptions options)
		: obj_(obj), elf_(elf), options_(options)
	{
	}
	Expected<void> run();

private:
	template <typename... Args>
	Error fail(fmt::format_string<Args...> format, Args &&...args)
	{
		return Error(obj_.path + ": " + fmt::format(format, std::forward<Args>(args)...));
	}
	std::string sec_desc(size_t index) const
	{
		const Section *sec = section(index);
		return fmt::format("section {} ({})", index, sec ? sec->name : "?");
	}
	Section *section(size_t index) const
	{
		return index >= 1 && index <= obj_.sections.size() ? obj_.sections[index - 1].get()
								    : nullptr;
	}

	Expected<void> read_header();
	Expected<void> read_sections();
	Expected<void> check_overlaps();
	Expected<void> read_symbols();
	Expected<void> read_relocations(Section *sec, Elf_Data *data);
	Expected<void> read_group(Section *sec);
	Expected<void> link_sections();

	Object &obj_;
	Elf *elf_;
	ReadOptions options_;
	GElf_Ehdr ehdr_{};
	std::vector<GElf_Shdr> shdrs_; // index 0 unused
	std::vector<Elf_Scn *> scns_;
	Section *xindex_ = nullptr; // SHT_SYMTAB_SHNDX
	Elf_Data *xindex_data_ = nullptr;
};

Expected<void> Reader::read_header()
{
	if (elf_kind(elf_) != ELF_K_ELF)
		return fail("not an ELF file");
	const char *ident = elf_getident(elf_, nullptr);
	if (!ident)
		return fail("cannot read the ELF identification: {}", elf_errmsg(-1));
	if (ident[EI_CLASS] != ELFCLASS64)
		return fail("ELF class {} is not supported (ELF64 only)", int(ident[EI_CLASS]));
	if (ident[EI_DATA] != ELFDATA2LSB)
		return fail("{} objects are not supported (little-endian only)",
			    ident[EI_DATA] == ELFDATA2MSB ? "big-endian" : "unknown-endian");
	GElf_Ehdr &ehdr = ehdr_;
	if (!gelf_getehdr(elf_, &ehdr))
		return fail("cannot read the ELF header: {}", elf_errmsg(-1));
	obj_.elf_type = ehdr.e_type;
	obj_.machine = ehdr.e_machine;
	obj_.eflags = ehdr.e_flags;
	obj_.data_encoding = ident[EI_DATA];
	obj_.osabi = ident[EI_OSABI];
	obj_.abiversion = ident[EI_ABIVERSION];
	obj_.entry = ehdr.e_entry;
	if (ehdr.e_shentsize != sizeof(Elf64_Shdr) && ehdr.e_shnum != 0)
		return fail("section header size {} is not {}", ehdr.e_shentsize,
			    sizeof(Elf64_Shdr));
	size_t file_size = 0;
	elf_rawfile(elf_, &file_size);
	// libelf quietly reports no sections when the header table is cut off.
	if (ehdr.e_shoff > file_size ||
	    ehdr.e_shnum * sizeof(Elf64_Shdr) > file_size - ehdr.e_shoff)
		return fail("the section header table [{:#x}, +{} entries) lies past the end "
			    "of the file ({:#x} bytes)",
			    ehdr.e_shoff, ehdr.e_shnum, file_size);
	if (ehdr.e_shoff == 0 && ehdr.e_type == ET_REL)
		return fail("a relocatable object without section headers");
	return success();
}

Expected<void> Reader::read_sections()
{
	size_t shnum = 0, shstrndx = 0;
	if (elf_getshdrnum(elf_, &shnum) != 0)
		return fail("cannot read the section count: {}", elf_errmsg(-1));
	if (elf_getshdrstrndx(elf_, &shstrndx) != 0)
		return fail("cannot read the section name table index: {}", elf_errmsg(-1));
	if (shnum > 0 && shstrndx >= shnum)
		return fail("section name table index {} is past the {} sections", shstrndx,
			    shnum);
	size_t file_size = 0;
	elf_rawfile(elf_, &file_size);

	shdrs_.resize(shnum);
	scns_.resize(shnum);
	obj_.sections.reserve(shnum);
	for (size_t i = 1; i < shnum; i++) {
		Elf_Scn *scn = elf_getscn(elf_, i);
		if (!scn || !gelf_getshdr(scn, &shdrs_[i]))
			return fail("section {}: cannot read the header: {}", i, elf_errmsg(-1));
		const GElf_Shdr &sh = shdrs_[i];
		scns_[i] = scn;
		if (sh.sh_type != SHT_NOBITS && sh.sh_size > 0 &&
		    (sh.sh_offset > file_size || sh.sh_size > file_size - sh.sh_offset))
			return fail("section {}: contents [{:#x}, +{:#x}) lie past the end of the "
				    "file ({:#x} bytes)",
				    i, sh.sh_offset, sh.sh_size, file_size);
		const char *name = elf_strptr(elf_, shstrndx, sh.sh_name);
		if (!name)
			return fail("section {}: name offset {} is outside the section name table",
				    i, sh.sh_name);
		if (sh.sh_type == SHT_REL)
			return fail("section {} ({}): SHT_REL relocations are not supported (ELF64 "
				    "uses SHT_RELA)",
				    i, name);
		// The writer pads the file to each section's alignment: a corrupt one
		// (2^35 on a 72-byte .rela__mcount_loc) would make a 32 GiB output.
		if (sh.sh_addralign & (sh.sh_addralign - 1))
			return fail("section {} ({}): alignment {:#x} is not a power of two", i,
				    name, sh.sh_addralign);
		if (sh.sh_addralign > max_addralign)
			return fail("section {} ({}): alignment {:#x} is past {:#x}, more than any "
				    "kernel section needs",
				    i, name, sh.sh_addralign, max_addralign);
		auto sec = std::make_unique<Section>();
		sec->name = name;
		sec->type = sh.sh_type;
		sec->flags = sh.sh_flags;
		sec->addr = sh.sh_addr;
		sec->addralign = sh.sh_addralign ? sh.sh_addralign : 1;
		sec->entsize = sh.sh_entsize;
		sec->info = sh.sh_info;
		sec->index = i;
		obj_.sections.push_back(std::move(sec));
	}
	KLP_TRY(check_overlaps());
	// Contents, once all headers are known (relocation sections need the symtab).
	for (size_t i = 1; i < shnum; i++) {
		Section *sec = section(i);
		const GElf_Shdr &sh = shdrs_[i];
		if (sh.sh_type == SHT_NOBITS) {
			sec->nobits_size = sh.sh_size;
			continue;
		}
		if (sh.sh_type == SHT_RELA || sh.sh_type == SHT_SYMTAB ||
		    sh.sh_type == SHT_SYMTAB_SHNDX || sh.sh_type == SHT_GROUP)
			continue; // decoded into the model below
		if (sh.sh_size == 0)
			continue;
		if (options_.skip_debug_contents && !(sh.sh_flags & SHF_ALLOC) &&
		    sh.sh_type != SHT_STRTAB) {
			sec->contents_skipped = true;
			sec->nobits_size = sh.sh_size;
			continue;
		}
		Elf_Data *data = elf_rawdata(scns_[i], nullptr);
		if (!data || data->d_size != sh.sh_size)
			return fail("{}: cannot read the contents: {}", sec_desc(i), elf_errmsg(-1));
		auto *bytes = static_cast<const uint8_t *>(data->d_buf);
		sec->data.assign(bytes, bytes + data->d_size);
	}
	return success();
}

// No two extents of the file overlap: the ELF header, the program and section
// header tables, and each section's contents.
Expected<void> Reader::check_overlaps()
{
	struct Extent {
		uint64_t begin, end;
		size_t section; // 0: one of the headers
		const char *what;
	};
	std::vector<Extent> extents;
	extents.push_back({0, sizeof(Elf64_Ehdr), 0, "the ELF header"});
	if (ehdr_.e_phnum)
		extents.push_back({ehdr_.e_phoff,
				   ehdr_.e_phoff + uint64_t(ehdr_.e_phnum) * ehdr_.e_phentsize, 0,
				   "the program header table"});
	extents.push_back({ehdr_.e_shoff, ehdr_.e_shoff + (shdrs_.size()) * sizeof(Elf64_Shdr), 0,
			   "the section header table"});
	for (size_t i = 1; i < shdrs_.size(); i++)
		if (shdrs_[i].sh_type != SHT_NOBITS && shdrs_[i].sh_size)
			extents.push_back({shdrs_[i].sh_offset, shdrs_[i].sh_offset + shdrs_[i].sh_size,
					   i, nullptr});
	std::sort(extents.begin(), extents.end(),
		  [](const Extent &a, const Extent &b) { return a.begin < b.begin; });
	auto desc = [&](const Extent &e) { return e.section ? sec_desc(e.section) : e.what; };
	const Extent *reach = &extents.front(); // the extent that ends last so far
	for (size_t i = 1; i < extents.size(); i++) {
		const Extent &e = extents[i];
		if (e.begin < reach->end) {
			const Extent &a = e.section ? e : *reach, &b = e.section ? *reach : e;
			return fail("{}: contents [{:#x}, +{:#x}) overlap {}", desc(a), a.begin,
				    a.end - a.begin, desc(b));
		}
		if (e.end > reach->end)
			reach = &e;
	}
	return success();
}

Expected<void> Reader::link_sections()
{
	size_t nsec = obj_.sections.size() + 1;
	for (size_t i = 1; i < nsec; i++) {
		Section *sec = section(i);
		const GElf_Shdr &sh = shdrs_[i];
		if (sh.sh_link >= nsec)
			return fail("{}: sh_link {} is past the {} sections", sec_desc(i), sh.sh_link,
				    nsec);
		sec->link = sh.sh_link ? section(sh.sh_link) : nullptr;
		switch (sh.sh_type) {
		case SHT_SYMTAB:
			if (obj_.symtab)
				return fail("{}: a second symbol table", sec_desc(i));
			if (!sec->link || sec->link->type != SHT_STRTAB)
				return fail("{}: sh_link {} is not a string table", sec_desc(i),
					    sh.sh_link);
			if (sh.sh_entsize != sizeof(Elf64_Sym))
				return fail("{}: entry size {} is not {}", sec_desc(i), sh.sh_entsize,
					    sizeof(Elf64_Sym));
			if (sh.sh_size % sizeof(Elf64_Sym))
				return fail("{}: size {} is not a multiple of {}", sec_desc(i),
					    sh.sh_size, sizeof(Elf64_Sym));
			obj_.symtab = sec;
			break;
		case SHT_SYMTAB_SHNDX:
			xindex_ = sec;
			break;
		case SHT_RELA:
			if (sh.sh_info == 0 || sh.sh_info >= nsec)
				return fail("{}: sh_info {} is not a section index", sec_desc(i),
					    sh.sh_info);
			if (!sec->link || sec->link->type != SHT_SYMTAB)
				return fail("{}: sh_link {} is not the symbol table", sec_desc(i),
					    sh.sh_link);
			if (sh.sh_entsize != sizeof(Elf64_Rela))
				return fail("{}: entry size {} is not {}", sec_desc(i), sh.sh_entsize,
					    sizeof(Elf64_Rela));
			if (sh.sh_size % sizeof(Elf64_Rela))
				return fail("{}: size {} is not a multiple of {}", sec_desc(i),
					    sh.sh_size, sizeof(Elf64_Rela));
			switch (shdrs_[sh.sh_info].sh_type) {
			case SHT_NULL:
			case SHT_SYMTAB:
			case SHT_DYNSYM:
			case SHT_STRTAB:
			case SHT_RELA:
			case SHT_GROUP:
			case SHT_SYMTAB_SHNDX:
				return fail("{}: sh_info {} is not a section that relocations apply to",
					    sec_desc(i), sec_desc(sh.sh_info));
			default:
				break;
			}
			sec->base = sec->info_section = section(sh.sh_info);
			// A livepatch module holds `.klp.rela.<obj>.<sec>` next to `.rela<sec>`
			// for the same base: it keeps `base` but never becomes `base->rela`.
			if (sh.sh_flags & SHF_RELA_LIVEPATCH)
				break;
			if (sec->base->rela)
				return fail("{}: {} already has relocation section {}", sec_desc(i),
					    sec_desc(sh.sh_info), sec->base->rela->name);
			sec->base->rela = sec;
			break;
		default:
			if ((sh.sh_flags & SHF_INFO_LINK) && sh.sh_info) {
				if (sh.sh_info >= nsec)
					return fail("{}: sh_info {} is past the {} sections",
						    sec_desc(i), sh.sh_info, nsec);
				sec->info_section = section(sh.sh_info);
			}
			break;
		}
	}
	if (xindex_) {
		if (!obj_.symtab || xindex_->link != obj_.symtab)
			return fail("{}: does not belong to the symbol table", sec_desc(xindex_->index));
		xindex_data_ = elf_getdata(scns_[xindex_->index], nullptr);
	}
	return success();
}

Expected<void> Reader::read_symbols()
{
	obj_.symbols.push_back(std::make_unique<Symbol>());
	if (!obj_.symtab)
		return success();
	size_t si = obj_.symtab->index;
	Elf_Data *data = elf_getdata(scns_[si], nullptr);
	if (!data)
		return fail("{}: cannot read the contents: {}", sec_desc(si), elf_errmsg(-1));
	size_t count = data->d_size / sizeof(Elf64_Sym);
	if (data->d_size % sizeof(Elf64_Sym))
		return fail("{}: size {} is not a multiple of {}", sec_desc(si), data->d_size,
			    sizeof(Elf64_Sym));
	if (shdrs_[si].sh_info > count)
		return fail("{}: first global {} is past the {} symbols", sec_desc(si),
			    shdrs_[si].sh_info, count);
	size_t strndx = obj_.symtab->link->index;
	size_t nsec = obj_.sections.size() + 1;
	obj_.symbols.reserve(count);
	for (size_t i = 1; i < count; i++) {
		GElf_Sym gs;
		Elf32_Word xshndx = 0;
		if (!gelf_getsymshndx(data, xindex_data_, int(i), &gs, &xshndx))
			return fail("symbol {}: cannot read: {}", i, elf_errmsg(-1));
		const char *name = elf_strptr(elf_, strndx, gs.st_name);
		if (!name)
			return fail("symbol {}: name offset {} is outside {}", i, gs.st_name,
				    obj_.symtab->link->name);
		auto sym = std::make_unique<Symbol>();
		sym->name = name;
		sym->bind = GELF_ST_BIND(gs.st_info);
		sym->type = GELF_ST_TYPE(gs.st_info);
		sym->other = gs.st_other;
		sym->value = gs.st_value;
		sym->size = gs.st_size;
		sym->index = i;
		size_t shndx = gs.st_shndx;
		if (shndx == SHN_XINDEX) {
			if (!xindex_data_)
				return fail("symbol {} ({}): SHN_XINDEX without a SHT_SYMTAB_SHNDX "
					    "section",
					    i, sym->name);
			shndx = xshndx;
		}
		if (shndx == SHN_UNDEF || (shndx >= SHN_LORESERVE && gs.st_shndx != SHN_XINDEX)) {
			sym->shndx = uint16_t(shndx);
		} else if (shndx >= nsec) {
			return fail("symbol {} ({}): section index {} is past the {} sections", i,
				    sym->name, shndx, nsec);
		} else {
			sym->sec = section(shndx);
			sym->shndx = 0;
			if (sym->is_section()) {
				if (sym->name.empty())
					sym->name = sym->sec->name;
				if (!sym->sec->secsym)
					sym->sec->secsym = sym.get();
			}
		}
		obj_.symbols.push_back(std::move(sym));
	}
	return success(); // each section's sorted symbol list is built by reindex()
}

Expected<void> Reader::read_relocations(Section *sec, Elf_Data *data)
{
	size_t count = data->d_size / sizeof(Elf64_Rela);
	if (data->d_size % sizeof(Elf64_Rela))
		return fail("{}: size {} is not a multiple of {}", sec_desc(sec->index),
			    data->d_size, sizeof(Elf64_Rela));
	const Section *base = sec->base;
	uint64_t base_size = base->size();
	size_t nsym = obj_.symbols.size();
	sec->relocs.resize(count);
	auto *rela = static_cast<const Elf64_Rela *>(data->d_buf);
	for (size_t i = 0; i < count; i++) {
		Relocation &r = sec->relocs[i];
		size_t symi = ELF64_R_SYM(rela[i].r_info);
		r.type = ELF64_R_TYPE(rela[i].r_info);
		r.offset = rela[i].r_offset;
		r.addend = rela[i].r_addend;
		if (symi >= nsym)
			return fail("{}: relocation {} points to symbol {} of {}",
				    sec_desc(sec->index), i, symi, nsym);
		r.sym = symi ? obj_.symbols[symi].get() : nullptr;
		// A relocatable object's offsets are section offsets; a linked file's are
		// addresses and are checked by whoever reads them.
		if (obj_.elf_type == ET_REL && base->type != SHT_NOBITS && r.offset >= base_size)
			return fail("{}: relocation {} at offset {:#x} is past the end of {} "
				    "({:#x} bytes)",
				    sec_desc(sec->index), i, r.offset, base->name, base_size);
	}
	return success();
}

Expected<void> Reader::read_group(Section *sec)
{
	Elf_Data *data = elf_getdata(scns_[sec->index], nullptr);
	if (!data || data->d_size < 4 || data->d_size % 4)
		return fail("{}: malformed group section", sec_desc(sec->index));
	if (sec->link != obj_.symtab)
		return fail("{}: sh_link is not the symbol table", sec_desc(sec->index));
	if (sec->info == 0 || sec->info >= obj_.symbols.size())
		return fail("{}: signature symbol {} is out of range", sec_desc(sec->index),
			    sec->info);
	sec->group_signature = obj_.symbols[sec->info].get();
	auto *words = static_cast<const Elf32_Word *>(data->d_buf);
	size_t n = data->d_size / 4;
	sec->group_flags = words[0];
	for (size_t i = 1; i < n; i++) {
		size_t m = words[i];
		Section *member = section(m);
		if (!member || member == sec)
			return fail("{}: member {} is not a section", sec_desc(sec->index), m);
		if (member->group)
			return fail("{}: member {} already belongs to group {}",
				    sec_desc(sec->index), sec_desc(m), member->group->name);
		member->group = sec;
		sec->group_members.push_back(member);
	}
	return success();
}

Expected<void> Reader::run()
{
	KLP_TRY(read_header());
	KLP_TRY(read_sections());
	KLP_TRY(link_sections());
	KLP_TRY(read_symbols());
	for (auto &sec : obj_.sections) {
		if (sec->type == SHT_RELA) {
			Elf_Data *data = elf_getdata(scns_[sec->index], nullptr);
			if (!data && shdrs_[sec->index].sh_size)
				return fail("{}: cannot read the contents: {}", sec_desc(sec->index),
					    elf_errmsg(-1));
			if (data)
				KLP_TRY(read_relocations(sec.get(), data));
		} else if (sec->type == SHT_GROUP) {
			KLP_TRY(read_group(sec.get()));
		}
	}
	// Compared without adding: st_value 0xfffffffffffffffa and st_size 64 wrap
	// around to 58, inside a 64-byte section.
	for (auto &sym : obj_.symbols) {
		if (sym->sec && obj_.elf_type == ET_REL && !sym->is_section() &&
		    sym->sec->type != SHT_NOBITS && sym->size &&
		    (sym->value > sym->sec->size() || sym->size > sym->sec->size() - sym->value))
			return fail("symbol {} ({}): [{:#x}, +{:#x}) lies past the end of {}",
				    sym->index, sym->name, sym->value, sym->size, sym->sec->name);
	}
	// The SHT_SYMTAB_SHNDX section is regenerated by the writer when needed.
	if (xindex_)
		xindex_->removed = true;
	obj_.reindex();
	return success();
}

} // namespace

Expected<std::unique_ptr<Object>> Object::read(const std::string &path, ReadOptions options)
{
	auto obj = std::make_unique<Object>();
	obj->path = path;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return make_error("{}: libelf is out of date", path);
	KLP_TRY(check_input_file(path));
	Closer c;
	c.fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
	if (c.fd < 0)
		return make_error("{}: cannot open: {}", path, strerror(errno));
	struct stat st;
	if (fstat(c.fd, &st) == 0 && S_ISREG(st.st_mode)) {
		if (st.st_size == 0)
			return make_error("{}: the file is empty", path);
		char magic[SELFMAG];
		if (st.st_size < off_t(sizeof(Elf64_Ehdr)) &&
		    pread(c.fd, magic, SELFMAG, 0) == SELFMAG && memcmp(magic, ELFMAG, SELFMAG) == 0)
			return make_error("{}: truncated: {} bytes, shorter than the ELF header", path,
					  st.st_size);
	}
	c.elf = elf_begin(c.fd, ELF_C_READ_MMAP, nullptr);
	if (!c.elf)
		return make_error("{}: not an ELF file: {}", path, elf_errmsg(-1));
	Reader reader(*obj, c.elf, options);
	if (auto r = reader.run(); !r)
		return r.take_error();
	return obj;
}

} // namespace klp::elf
