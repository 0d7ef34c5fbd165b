// The door: reads both objects and the target's symbol tables and checks that they
// can be compared at all (same machine, relocatable, a supported architecture).
// It does not look at what changed.
#include "diff.h"

#include "elf/file_io.h"
#include "ksym/symbol_table.h"
#include "ksym/symvers.h"

#include <filesystem>
#include <fstream>

namespace klp::cdo {

Expected<void> validate_inputs(DiffContext &ctx)
{
	auto orig = elf::Object::read(ctx.opts.orig_path);
	if (!orig)
		return orig.take_error();
	auto patched = elf::Object::read(ctx.opts.patched_path);
	if (!patched)
		return patched.take_error();
	ctx.orig = std::move(*orig);
	ctx.patched = std::move(*patched);
	for (const elf::Object *obj : {ctx.orig.get(), ctx.patched.get()}) {
		if (obj->elf_type != ET_REL)
			return make_error("{}: not a relocatable object (e_type {})", obj->path,
					  obj->elf_type);
		if (!obj->symtab)
			return make_error("{}: has no symbol table", obj->path);
		if (!arch::find(obj->machine))
			return make_error("{}: machine {} is not supported ({} are)", obj->path,
					  obj->machine, arch::supported_names());
		// kbuild's <name>.o, not the <name>.ko modpost and the linker made of it.
		for (const auto &sec : obj->sections)
			if (sec->name == ".gnu.linkonce.this_module")
				return make_error("{}: a linked kernel module (it has {}), not the object "
						  "file kbuild compiled",
						  obj->path, sec->name);
	}
	if (ctx.orig->machine != ctx.patched->machine)
		return make_error("{}: machine {} differs from {}'s {}", ctx.patched->path,
				  ctx.patched->machine, ctx.orig->path, ctx.orig->machine);
	ctx.arch = arch::find(ctx.patched->machine);
	// arm64's `$x`/`$d` mark where code and data start for disassemblers; dozens
	// share each name, so they are neither correlated nor written (the kernel's
	// kallsyms drops them too). The assembler never relocates against them.
	for (elf::Object *obj : {ctx.orig.get(), ctx.patched.get()})
		for (auto &sym : obj->symbols)
			if (ctx.arch->is_mapping_symbol(*sym))
				sym->removed = true;
	// Special sections are tables of entries with contents; a NOBITS one is a
	// malformed object, not something to filter.
	for (const elf::Object *obj : {ctx.orig.get(), ctx.patched.get()})
		for (const auto &sec : obj->sections)
			if (!sec->removed && sec->type == SHT_NOBITS && ctx.arch->find_special(sec->name))
				return make_error("{}: section {} ({}) has no contents (SHT_NOBITS)",
						  obj->path, sec->index, sec->name);
	if (ctx.opts.parent.empty() || ctx.opts.parent.find('.') != std::string::npos ||
	    ctx.opts.parent.size() >= 56)
		return make_error("parent object name '{}' must be non-empty, without '.', and "
				  "shorter than 56 characters",
				  ctx.opts.parent);

	// The TU's own symbols and file name let sympos pick the right duplicate.
	for (auto &sym : ctx.orig->symbols) {
		if (sym->is_file() && ctx.tu_file_name.empty())
			ctx.tu_file_name = sym->name;
		else if (sym->sec && (sym->is_func() || sym->is_object()))
			ctx.tu_symbol_names.push_back(sym->name);
	}
	return success();
}

namespace {

Expected<void> load_names(const std::string &path, std::unordered_set<std::string> &names)
{
	KLP_TRY(check_input_file(path));
	std::ifstream in(path);
	if (!in)
		return make_error("{}: cannot read", path);
	std::string line;
	for (size_t n = 1; std::getline(in, line); n++) {
		if (line.empty())
			continue;
		if (line.find_first_of(" \t\r") != std::string::npos)
			return make_error("{}: line {}: not a symbol name: '{}'", path, n, line);
		names.insert(line);
	}
	if (in.bad())
		return make_error("{}: read error", path);
	return success();
}

} // namespace

Expected<void> load_target_symbols(DiffContext &ctx)
{
	// The TU's own object as the parent's table (a test, or a module built from one
	// file) is already read.
	if (ctx.opts.symtab_path == ctx.opts.orig_path) {
		ctx.parent_symbols = std::make_unique<ksym::SymbolTable>();
		KLP_TRY(ctx.parent_symbols->add_elf(*ctx.orig, ctx.opts.parent));
	} else {
		auto table = ksym::SymbolTable::load_parent(ctx.opts.symtab_path, ctx.opts.parent);
		if (!table)
			return table.take_error();
		ctx.parent_symbols = std::make_unique<ksym::SymbolTable>(std::move(*table));
	}
	if (!ctx.parent_symbols->object(ctx.opts.parent))
		return make_error("{}: holds no symbols of parent object '{}'", ctx.opts.symtab_path,
				  ctx.opts.parent);
	auto symvers = ksym::Symvers::load(ctx.opts.symvers_path);
	if (!symvers)
		return symvers.take_error();
	ctx.symvers = std::make_unique<ksym::Symvers>(std::move(*symvers));
	if (!ctx.opts.patch_symbols_path.empty())
		KLP_TRY(load_names(ctx.opts.patch_symbols_path, ctx.patch_symbols));
	if (!ctx.opts.patch_references_path.empty()) {
		ctx.patch_references.emplace();
		KLP_TRY(load_names(ctx.opts.patch_references_path, *ctx.patch_references));
	}
	return success();
}

} // namespace klp::cdo
