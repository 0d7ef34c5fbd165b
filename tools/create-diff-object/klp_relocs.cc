// Decides, for every relocation of included code, how it reaches its target: the
// patch's own copy, a vmlinux export the module loader resolves, or a livepatch
// relocation (`.klp.sym.<obj>.<name>,<sympos>`) the livepatch core resolves, named
// by a placeholder that also says whose code it is (the parent's). Also computes
// the sympos of every patched function. A sympos that cannot be proven is a
// refusal: a wrong one patches or calls the wrong function.
#include "diff.h"
#include "arch/arch.h"
#include "include.h"
#include "names.h"

#include "ksym/sympos.h"
#include "ksym/symvers.h"
#include "livepatch/names.h"

#include <algorithm>
#include <filesystem>

namespace klp::cdo {
namespace {

using elf::Relocation;
using elf::Section;
using elf::Symbol;

class Classifier {
public:
	explicit Classifier(DiffContext &ctx) : ctx_(ctx) {}
	void classify(const Section *sec, const Relocation &r, bool from_special);
	std::optional<unsigned long> sympos(const std::string &objname, const std::string &name,
					    const Symbol *sym);

private:
	void livepatch(const Section *sec, const Relocation &r, const Symbol *target,
		       const std::string &objname, const char *why);
	bool exported_by_vmlinux(const std::string &name) const;
	// Whether the pos-th symbol of that name in objname is one kallsyms lists without
	// CONFIG_KALLSYMS_ALL (text).
	bool in_text_view(const std::string &objname, const std::string &name, unsigned long pos) const;

	// The unit a symbol of the original object belongs to: the whole object, or
	// its file block when it links several (a whole vmlinux.o has 17 static
	// `type_show`s; each is told apart by its own file's neighbours). Described
	// when a sympos is first asked for: most runs never ask, and a vmlinux.o's
	// units are a copy of every name in it.
	const ksym::TranslationUnit &unit_of(const Symbol *sym)
	{
		if (!units_) {
			tu_ = ksym::TranslationUnit::from_object(*ctx_.orig);
			units_ = ksym::TranslationUnit::per_file(*ctx_.orig, file_of_);
		}
		if (units_->size() <= 1 || !sym || sym->index >= file_of_.size() ||
		    ctx_.orig->symbols[sym->index].get() != sym || file_of_[sym->index] == SIZE_MAX)
			return tu_;
		return (*units_)[file_of_[sym->index]];
	}

	DiffContext &ctx_;
	ksym::TranslationUnit tu_;
	std::vector<size_t> file_of_;
	std::optional<std::vector<ksym::TranslationUnit>> units_;
	std::map<std::tuple<std::string, std::string, const ksym::TranslationUnit *>,
		 std::optional<unsigned long>>
		cache_;
};

// Whether a name missing from the object's table is missing from the object: the
// ELF symbol table of a whole module (.ko) or of vmlinux lists every symbol (one
// object file standing for the parent lists only its own); kallsyms lists data
// only with CONFIG_KALLSYMS_ALL, which its data symbols ('d', 'b', 'r') show.
bool complete_table(const ksym::KernelObject &obj)
{
	if (obj.source != ksym::SymbolSource::kallsyms) {
		std::string file = std::filesystem::path(obj.path).filename().string();
		return file.starts_with("vmlinux") || file.ends_with(".ko") || file.ends_with(".ko.xz") ||
		       file.ends_with(".ko.zst") || file.ends_with(".ko.gz");
	}
	return std::any_of(obj.symbols.begin(), obj.symbols.end(), [](const ksym::KernelSymbol &s) {
		return std::string_view("dDbBrR").find(s.letter) != std::string_view::npos;
	});
}

bool Classifier::in_text_view(const std::string &objname, const std::string &name,
			      unsigned long pos) const
{
	const ksym::KernelObject *obj = ctx_.parent_symbols->object(objname);
	if (!obj)
		return true; // a module export whose module's symbols were not given
	auto all = obj->find(name);
	if (all.empty() || (pos && pos > all.size()))
		return false;
	const ksym::KernelSymbol *sym = all[pos ? pos - 1 : 0];
	return (sym->views & ksym::view_text) &&
	       (obj->source != ksym::SymbolSource::kallsyms || sym->is_text());
}

bool Classifier::exported_by_vmlinux(const std::string &name) const
{
	auto always = ctx_.arch->always_exported;
	if (std::find(always.begin(), always.end(), name) != always.end())
		return true;
	const auto *e = ctx_.symvers->find(name);
	return e && e->is_vmlinux();
}

std::optional<unsigned long> Classifier::sympos(const std::string &objname,
						const std::string &name, const Symbol *sym)
{
	auto key = std::make_tuple(objname, name, &unit_of(sym));
	if (auto it = cache_.find(key); it != cache_.end())
		return it->second;
	std::optional<unsigned long> result;
	if (!ctx_.parent_symbols->object(objname)) {
		// A module export whose module's symbols were not given: exported names are
		// unique among a module's globals.
		result = 0;
	} else {
		ksym::SymposResult r =
			ksym::resolve_sympos(*ctx_.parent_symbols, objname, name, unit_of(sym));
		if (r) {
			result = r.sympos;
		} else if (r.status == ksym::SymposStatus::not_found && sym && !sym->is_local() &&
			   (!sym->twin || !sym->is_undefined()) &&
			   complete_table(*ctx_.parent_symbols->object(objname))) {
			// The object's whole symbol table lacks it. Only the patched code
			// refers to it: code of another file of the fix (vivid-vid-cap.c's new
			// vivid_update_reduced_fps(), declared in a header the patch changes)
			// that the patch does not carry. Or this object defines it: the
			// running kernel does not have this object (a lib.a member vmlinux
			// never pulled in, another config).
			ctx_.refuse("missing-symbol", sym,
				    sym->is_undefined()
					    ? fmt::format("{}: {} is neither in the patch nor in {} ({}): a "
							  "definition the fix adds elsewhere must be part of the patch",
							  ctx_.opts.patched_path, name, objname,
							  ctx_.parent_symbols->object(objname)->path)
					    : fmt::format("{}: {} is defined here but not in {} ({}): the running "
							  "kernel was not linked with this object",
							  ctx_.opts.patched_path, name, objname,
							  ctx_.parent_symbols->object(objname)->path));
		} else if (r.status == ksym::SymposStatus::not_found && sym && !sym->is_local() &&
			   ctx_.parent_symbols->object(objname)->source == ksym::SymbolSource::kallsyms) {
			// A kallsyms dump without data: the kernel has no CONFIG_KALLSYMS_ALL,
			// and what its kallsyms lacks no livepatch core can look up at load
			// time (functions it always lists).
			ctx_.refuse("missing-symbol", sym,
				    fmt::format("{}: {} is not in {}, which lists no data: the kernel "
						"has no CONFIG_KALLSYMS_ALL, and nothing can find {} in it "
						"when the patch loads",
						ctx_.opts.patched_path, name, ctx_.opts.symtab_path, name));
		} else if (r.status == ksym::SymposStatus::not_found && sym && !sym->is_local()) {
			// A global an object's own table does not list (one object file standing
			// for the parent): a global name is unique, and if it does not exist
			// the kernel refuses the patch; it cannot resolve wrongly.
			result = 0;
			ctx_.warn(fmt::format("{}: {} is not in {}; assuming it is unique in {}",
					      ctx_.opts.patched_path, name, ctx_.opts.symtab_path,
					      objname));
		} else
			ctx_.refuse(r.status == ksym::SymposStatus::ambiguous ? "ambiguous-symbol"
									      : "missing-symbol",
				    sym, r.error().message());
	}
	cache_[key] = result;
	return result;
}

void Classifier::livepatch(const Section *sec, const Relocation &r, const Symbol *target,
			   const std::string &objname, const char *why)
{
	const std::string &name = target->name;
	if (name.find(',') != std::string::npos || name.size() >= 512) {
		ctx_.refuse("unsupported", target,
			    fmt::format("{}: the name cannot be a livepatch symbol (a ',' or 512 "
					"characters or more)",
					name));
		return;
	}
	// The parent's code: `.klp.rela.<parent>.*` for a module's symbol, so that the
	// kernel applies it when the parent is patched (vfat's code calling fat's
	// fat_build_inode); `.klp.rela.vmlinux.*` for a vmlinux symbol.
	auto sec_objname = livepatch::sec_objname_for(ctx_.opts.parent, objname);
	if (!sec_objname) {
		ctx_.refuse("module-symbol-from-vmlinux", target,
			    fmt::format("{}+{:#x} refers to {}: {}", sec->name, r.offset, name,
					sec_objname.error().message()));
		return;
	}
	auto pos = sympos(objname, name, target);
	if (!pos)
		return;
	if (ctx_.opts.kallsyms_text_only && !in_text_view(objname, name, *pos)) {
		ctx_.refuse("kallsyms-data", target,
			    fmt::format("{}+{:#x} refers to {} in {}, which is data: the target's "
					"kallsyms lists text only (CONFIG_KALLSYMS_ALL is not set), "
					"so nothing finds it when the patch loads",
					sec->name, r.offset, name, objname));
		return;
	}
	std::string placeholder =
		livepatch::placeholder_name({ctx_.opts.parent, {objname, name, *pos}});
	ctx_.reloc_targets[&r] = {RelocClass::Livepatch, placeholder, target->type};
	ctx_.decisions.klp_relocations.push_back(
		{sec->name, r.offset, arch::reloc_type_name(ctx_.patched->machine, r.type), name,
		 objname, *sec_objname, *pos, r.addend, why});
}

void Classifier::classify(const Section *sec, const Relocation &r, bool from_special)
{
	const Symbol *t = r.sym;
	if (!t) {
		ctx_.reloc_targets[&r] = {RelocClass::Internal, "", STT_NOTYPE};
		return;
	}
	// Taking the address of a function the patch replaces still yields the
	// original's address, so that `if (ops->show == foo_show)` in unchanged code and
	// in patched code agree. Calls go straight to the new copy.
	bool address_of_original = !from_special && t->is_func() && t->twin &&
				   ctx_.arch->target_offset(r) == 0 && !ctx_.arch->is_branch(*sec, r);
	if (is_patch_owned(ctx_, t) && !address_of_original) {
		ctx_.reloc_targets[&r] = {RelocClass::Internal, "", t->type};
		return;
	}
	// The running kernel's symbol: the original object's name for it.
	const Symbol *o = t->twin ? t->twin : t;
	const std::string &parent = ctx_.opts.parent;
	// klp_printk() and klpkit_get_state() in a patch refer to the template's own
	// `klpkit_patch_name` and `klpkit_get_state`: the module link resolves them.
	if (o->is_undefined() && o->name.rfind("klpkit_", 0) == 0) {
		ctx_.reloc_targets[&r] = {RelocClass::Normal, o->name, o->type};
		return;
	}
	// `int new_limit` added by the patch to a.c and used by its change of b.c:
	// a.c's diff object defines it in the same livepatch module.
	if (o->is_undefined() && ctx_.patch_symbols.count(o->name)) {
		ctx_.reloc_targets[&r] = {RelocClass::Normal, o->name, o->type};
		return;
	}
	if (o->is_undefined() || !o->is_local()) {
		if (exported_by_vmlinux(o->name)) {
			ctx_.reloc_targets[&r] = {RelocClass::Normal, o->name, o->type};
			return;
		}
		if (const auto *e = ctx_.symvers->find(o->name))
			return livepatch(sec, r, o, e->objname, "module-export");
		return livepatch(sec, r, o, parent,
				 address_of_original ? "original-function" : "unexported");
	}
	livepatch(sec, r, o, parent, address_of_original ? "original-function" : "local");
}

} // namespace

Expected<void> classify_relocations(DiffContext &ctx)
{
	Classifier c(ctx);
	for (const Section *sec : ctx.include_order)
		if (sec->rela)
			for (const Relocation &r : sec->rela->relocs)
				if (ctx.reloc_used(sec, r))
					c.classify(sec, r, false);
	for (const auto &plan : ctx.special_plans)
		for (uint64_t off : plan.kept)
			for (const Relocation &r : relocs_in(plan.sec, off, off + plan.entry_size))
				c.classify(plan.sec, r, true);
	// klp_func.old_sympos of every function the patch replaces.
	for (Symbol *f : ctx.patched_functions) {
		auto pos = c.sympos(ctx.opts.parent, f->twin->name, f->twin);
		if (pos)
			ctx.decisions.function(f).sympos = *pos;
	}
	return success();
}

} // namespace klp::cdo
