// Writes the object model as an ELF64 file: turns pointers back into indices,
// regenerates .symtab (locals first), the string tables, relocation and group
// sections, and writes through a temporary file and a rename. It refuses a model
// whose kept parts refer to removed ones; it never reorders what the passes chose.
#include "elf/object.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <deque>

namespace klp::elf {
namespace {

// A string table built in first-use order, so that equal models give equal bytes.
class StringTable {
public:
	StringTable() { bytes_.push_back(0); }
	uint32_t add(const std::string &s)
	{
		if (s.empty())
			return 0;
		auto [it, inserted] = offsets_.try_emplace(s, uint32_t(bytes_.size()));
		if (inserted) {
			bytes_.insert(bytes_.end(), s.begin(), s.end());
			bytes_.push_back(0);
		}
		return it->second;
	}
	std::vector<uint8_t> &bytes() { return bytes_; }

private:
	std::vector<uint8_t> bytes_;
	std::unordered_map<std::string, uint32_t> offsets_;
};

class Writer {
public:
	explicit Writer(Object &obj) : obj_(obj) {}
	Expected<void> run(int fd);

private:
	template <typename... Args>
	Error fail(fmt::format_string<Args...> format, Args &&...args)
	{
		return Error(obj_.path + ": " + fmt::format(format, std::forward<Args>(args)...));
	}
	Expected<void> layout();
	Expected<void> encode_symbols();
	Expected<void> encode_relocations(Section *sec);
	Expected<void> encode_group(Section *sec);
	Expected<void> emit(Elf *elf);

	Object &obj_;
	std::vector<Section *> out_; // output order; out_[i] gets index i + 1
	std::vector<Symbol *> syms_; // output .symtab order, [0] is the null symbol
	Section *strtab_ = nullptr;
	Section *shstrtab_ = nullptr;
	Section *xindex_ = nullptr;
	size_t first_global_ = 1;
	// Encoded contents of generated sections, alive until elf_update().
	std::deque<std::vector<uint8_t>> buffers_;
	std::unordered_map<const Section *, std::vector<uint8_t> *> generated_;
};

Expected<void> Writer::layout()
{
	for (auto &sec : obj_.sections) {
		if (sec->removed)
			continue;
		if (sec->type == SHT_STRTAB && sec->name == ".shstrtab")
			shstrtab_ = sec.get();
		out_.push_back(sec.get());
	}
	if (!shstrtab_) {
		shstrtab_ = obj_.add_section(".shstrtab", SHT_STRTAB, 0);
		out_.push_back(shstrtab_);
	}
	if (obj_.symtab) {
		if (obj_.symtab->removed)
			return fail("the symbol table was removed");
		strtab_ = obj_.symtab->link;
		if (!strtab_ || strtab_->removed || strtab_->type != SHT_STRTAB)
			return fail("the symbol table has no string table");
	}
	// A symbol's section index needs SHT_SYMTAB_SHNDX past SHN_LORESERVE.
	if (obj_.symtab && out_.size() + 2 >= SHN_LORESERVE) {
		xindex_ = obj_.add_section(".symtab_shndx", SHT_SYMTAB_SHNDX, 0, 4);
		xindex_->entsize = 4;
		xindex_->link = obj_.symtab;
		out_.push_back(xindex_);
	}
	for (size_t i = 0; i < out_.size(); i++)
		out_[i]->index = i + 1;
	for (Section *sec : out_) {
		auto check = [&](const Section *ref, const char *what) -> Expected<void> {
			if (ref && ref->removed)
				return fail("section {}: its {} {} was removed", sec->name, what,
					    ref->name);
			return success();
		};
		KLP_TRY(check(sec->link, "sh_link"));
		KLP_TRY(check(sec->info_section, "sh_info"));
		KLP_TRY(check(sec->group, "group"));
	}
	return success();
}

Expected<void> Writer::encode_symbols()
{
	syms_.push_back(obj_.symbols[0].get());
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 1; i < obj_.symbols.size(); i++) {
			Symbol *sym = obj_.symbols[i].get();
			if (sym->removed || sym->is_local() != (pass == 0))
				continue;
			if (sym->sec && sym->sec->removed)
				return fail("symbol {}: its section {} was removed", sym->name,
					    sym->sec->name);
			syms_.push_back(sym);
		}
		if (pass == 0)
			first_global_ = syms_.size();
	}
	for (size_t i = 0; i < syms_.size(); i++)
		syms_[i]->index = i;

	StringTable names;
	auto &bytes = buffers_.emplace_back(syms_.size() * sizeof(Elf64_Sym));
	auto *out = reinterpret_cast<Elf64_Sym *>(bytes.data());
	std::vector<uint8_t> *xbytes = nullptr;
	if (xindex_)
		xbytes = &buffers_.emplace_back(syms_.size() * 4);
	for (size_t i = 1; i < syms_.size(); i++) {
		const Symbol *sym = syms_[i];
		Elf64_Sym &es = out[i];
		es.st_name = sym->is_section() ? 0 : names.add(sym->name);
		es.st_info = ELF64_ST_INFO(sym->bind, sym->type);
		es.st_other = sym->other;
		es.st_value = sym->value;
		es.st_size = sym->size;
		if (!sym->sec) {
			es.st_shndx = sym->shndx;
		} else if (sym->sec->index < SHN_LORESERVE) {
			es.st_shndx = uint16_t(sym->sec->index);
		} else {
			es.st_shndx = SHN_XINDEX;
			uint32_t idx = uint32_t(sym->sec->index);
			memcpy(xbytes->data() + 4 * i, &idx, 4);
		}
	}
	generated_[obj_.symtab] = &bytes;
	generated_[strtab_] = &names.bytes();
	buffers_.push_back(std::move(names.bytes()));
	generated_[strtab_] = &buffers_.back();
	if (xindex_)
		generated_[xindex_] = xbytes;
	obj_.symtab->info = uint32_t(first_global_);
	return success();
}

Expected<void> Writer::encode_relocations(Section *sec)
{
	if (!sec->base || sec->base->removed)
		return fail("relocation section {} has no section to apply to", sec->name);
	auto &bytes = buffers_.emplace_back(sec->relocs.size() * sizeof(Elf64_Rela));
	auto *out = reinterpret_cast<Elf64_Rela *>(bytes.data());
	for (size_t i = 0; i < sec->relocs.size(); i++) {
		const Relocation &r = sec->relocs[i];
		size_t symi = 0;
		if (r.sym) {
			if (r.sym->removed)
				return fail("section {}: relocation {} at {}+{:#x} refers to removed "
					    "symbol {}",
					    sec->name, i, sec->base->name, r.offset, r.sym->name);
			symi = r.sym->index;
		}
		out[i].r_offset = r.offset;
		out[i].r_info = ELF64_R_INFO(symi, r.type);
		out[i].r_addend = r.addend;
	}
	sec->info_section = sec->base;
	sec->link = obj_.symtab;
	generated_[sec] = &bytes;
	return success();
}

Expected<void> Writer::encode_group(Section *sec)
{
	if (!sec->group_signature || sec->group_signature->removed)
		return fail("group {} has no signature symbol", sec->name);
	auto &bytes = buffers_.emplace_back();
	auto put = [&](uint32_t w) {
		bytes.insert(bytes.end(), reinterpret_cast<uint8_t *>(&w),
			     reinterpret_cast<uint8_t *>(&w) + 4);
	};
	put(sec->group_flags);
	for (const Section *m : sec->group_members)
		if (!m->removed)
			put(uint32_t(m->index));
	sec->info = uint32_t(sec->group_signature->index);
	sec->link = obj_.symtab;
	generated_[sec] = &bytes;
	return success();
}

Elf_Type data_type(uint32_t sh_type)
{
	switch (sh_type) {
	case SHT_SYMTAB:
		return ELF_T_SYM;
	case SHT_RELA:
		return ELF_T_RELA;
	case SHT_GROUP:
	case SHT_SYMTAB_SHNDX:
		return ELF_T_WORD;
	default:
		return ELF_T_BYTE;
	}
}

Expected<void> Writer::emit(Elf *elf)
{
	StringTable shnames;
	for (Section *sec : out_)
		shnames.add(sec->name);
	buffers_.push_back(std::move(shnames.bytes()));
	generated_[shstrtab_] = &buffers_.back();

	if (!gelf_newehdr(elf, ELFCLASS64))
		return fail("cannot create the ELF header: {}", elf_errmsg(-1));
	GElf_Ehdr ehdr;
	gelf_getehdr(elf, &ehdr);
	ehdr.e_ident[EI_DATA] = obj_.data_encoding;
	ehdr.e_ident[EI_OSABI] = obj_.osabi;
	ehdr.e_ident[EI_ABIVERSION] = obj_.abiversion;
	ehdr.e_type = obj_.elf_type;
	ehdr.e_machine = obj_.machine;
	ehdr.e_version = EV_CURRENT;
	ehdr.e_flags = obj_.eflags;
	ehdr.e_entry = obj_.entry;

	StringTable lookup; // offsets into shnames, recomputed identically
	for (Section *sec : out_) {
		Elf_Scn *scn = elf_newscn(elf);
		if (!scn)
			return fail("cannot add section {}: {}", sec->name, elf_errmsg(-1));
		GElf_Shdr sh{};
		sh.sh_name = lookup.add(sec->name);
		sh.sh_type = sec->type;
		sh.sh_flags = sec->flags;
		sh.sh_addr = sec->addr;
		sh.sh_addralign = sec->addralign;
		sh.sh_entsize = sec->entsize;
		sh.sh_link = sec->link ? uint32_t(sec->link->index) : 0;
		sh.sh_info = sec->info_section ? uint32_t(sec->info_section->index) : sec->info;
		Elf_Data *d = elf_newdata(scn);
		if (!d)
			return fail("cannot add data to {}: {}", sec->name, elf_errmsg(-1));
		d->d_type = data_type(sec->type);
		d->d_align = sec->addralign ? sec->addralign : 1;
		d->d_version = EV_CURRENT;
		if (sec->contents_skipped)
			return fail("section {}: its contents were not read", sec->name);
		if (sec->type == SHT_NOBITS) {
			d->d_buf = nullptr;
			d->d_size = sec->nobits_size;
		} else if (auto it = generated_.find(sec); it != generated_.end()) {
			d->d_buf = it->second->data();
			d->d_size = it->second->size();
		} else {
			d->d_buf = sec->data.data();
			d->d_size = sec->data.size();
		}
		sh.sh_size = d->d_size;
		if (!gelf_update_shdr(scn, &sh))
			return fail("cannot write the header of {}: {}", sec->name, elf_errmsg(-1));
	}
	size_t shstrndx = shstrtab_->index;
	if (shstrndx < SHN_LORESERVE) {
		ehdr.e_shstrndx = uint16_t(shstrndx);
	} else {
		ehdr.e_shstrndx = SHN_XINDEX;
		GElf_Shdr sh0;
		Elf_Scn *scn0 = elf_getscn(elf, 0);
		gelf_getshdr(scn0, &sh0);
		sh0.sh_link = uint32_t(shstrndx);
		gelf_update_shdr(scn0, &sh0);
	}
	if (!gelf_update_ehdr(elf, &ehdr))
		return fail("cannot write the ELF header: {}", elf_errmsg(-1));
	errno = 0;
	if (elf_update(elf, ELF_C_WRITE) < 0) {
		// libelf says only "cannot write data to file"; errno says why (ENOSPC).
		int err = errno;
		std::string why = elf_errmsg(-1);
		return fail("cannot write: {}", err ? strerror(err) : why);
	}
	return success();
}

Expected<void> Writer::run(int fd)
{
	KLP_TRY(layout());
	if (obj_.symtab)
		KLP_TRY(encode_symbols());
	for (Section *sec : out_) {
		if (sec->type == SHT_RELA)
			KLP_TRY(encode_relocations(sec));
		else if (sec->type == SHT_GROUP)
			KLP_TRY(encode_group(sec));
	}
	Elf *elf = elf_begin(fd, ELF_C_WRITE, nullptr);
	if (!elf)
		return fail("cannot start writing: {}", elf_errmsg(-1));
	auto result = emit(elf);
	elf_end(elf);
	// The generated sections are the writer's; the model drops them again.
	if (xindex_)
		xindex_->removed = true;
	return result;
}

} // namespace

Expected<void> Object::write(const std::string &out_path)
{
	if (elf_version(EV_CURRENT) == EV_NONE)
		return make_error("{}: libelf is out of date", out_path);
	std::string tmp = out_path + ".tmp.XXXXXX";
	int fd = mkstemp(tmp.data());
	if (fd < 0)
		return make_error("{}: cannot create a temporary file: {}", out_path,
				  strerror(errno));
	fchmod(fd, 0644);
	std::string saved_path = path;
	path = out_path;
	Writer writer(*this);
	auto result = writer.run(fd);
	path = saved_path;
	if (close(fd) != 0 && result)
		result = make_error("{}: cannot write: {}", out_path, strerror(errno));
	if (result && rename(tmp.c_str(), out_path.c_str()) != 0)
		result = make_error("{}: cannot rename {} into place: {}", out_path, tmp,
				    strerror(errno));
	if (!result)
		unlink(tmp.c_str());
	return result;
}

} // namespace klp::elf
