// Builds the target kernel's SymbolMap from vmlinux or kallsyms, modules and
// Module.symvers, using lib/ksym for reading and for positions. It does not read or
// write symbols.klp itself (symbol_map.cc does).
#include "arch/arch.h"
#include "ksym/symbol_table.h"
#include "ksym/sympos.h"
#include "ksym/symvers.h"
#include "target.h"

#include <unordered_map>

namespace klp::convert {

namespace {

// kallsyms names hold no blanks; a symbols.klp line could not carry one anyway.
bool mappable_name(std::string_view name)
{
	return !name.empty() && name.find_first_of(" \t\n") == std::string_view::npos;
}

Expected<void> load_tables(const TargetOptions &opts, ksym::SymbolTable &table)
{
	if (!opts.vmlinux.empty())
		KLP_TRY(table.add_file(opts.vmlinux, "vmlinux"));
	if (!opts.kallsyms.empty())
		KLP_TRY(table.add_kallsyms(opts.kallsyms));
	for (const std::string &spec : opts.modules) {
		size_t eq = spec.find('=');
		if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size())
			return make_error("--module {}: expected NAME=FILE.ko", spec);
		std::string name = ksym::normalize_objname(spec.substr(0, eq));
		if (auto problem = check_objname(name))
			return make_error("--module {}: {}", spec, *problem);
		KLP_TRY(table.add_file(spec.substr(eq + 1), name));
	}
	if (table.machine() && !arch::find(table.machine()))
		return make_error("{}: machine {} is not supported ({} are)", table.machine_path(),
				  table.machine(), arch::supported_names());
	return success();
}

// Each symbol with the position `.klp.sym.` must use for it; `unstable` when
// lib/ksym finds that the kernel could count it differently (an __init duplicate
// that disappears once a module is live, an object whose order is unknown).
void add_object(SymbolMap &map, const ksym::KernelObject &kobj)
{
	MapObject &obj = map.add_object(kobj.name);
	obj.symbols.reserve(kobj.kallsyms_order.size());
	std::unordered_map<std::string_view, uint64_t> seen; // name -> symbols so far
	for (const ksym::KernelSymbol *ks : kobj.kallsyms_order) {
		if (!mappable_name(ks->name))
			continue;
		MapSymbol &sym = obj.symbols.emplace_back();
		sym.name = ks->name;
		sym.letter = ks->letter;
		if (ks->file)
			sym.file = *ks->file;
		uint64_t place = ++seen[ks->name];
		ksym::SymposResult pos = ksym::sympos_of(*ks);
		if (pos) {
			sym.sympos = pos.sympos;
		} else {
			// Its 1-based place among the name's symbols, kept so the map stays
			// complete; conversion and the verifier refuse to rely on it.
			sym.unstable = true;
			sym.sympos = place;
		}
	}
}

void add_exports(SymbolMap &map, const ksym::SymbolTable &table, const ksym::Symvers *symvers)
{
	if (symvers) {
		for (const ksym::Export &exp : symvers->exports())
			if (mappable_name(exp.name))
				map.add_export(exp.name, exp.objname);
		return;
	}
	// EXPORT_SYMBOL(foo) defines __ksymtab_foo in the exporting object.
	constexpr std::string_view prefix = "__ksymtab_";
	for (const auto &kobj : table.objects())
		for (const ksym::KernelSymbol *ks : kobj->kallsyms_order)
			if (ks->name.starts_with(prefix) && mappable_name(ks->name) &&
			    ks->name.size() > prefix.size())
				map.add_export(std::string(ks->name.substr(prefix.size())), kobj->name);
}

} // namespace

Expected<SymbolMap> load_target(const TargetOptions &opts)
{
	std::optional<ksym::Symvers> symvers;
	if (!opts.symvers.empty()) {
		auto loaded = ksym::Symvers::load(opts.symvers);
		if (!loaded)
			return loaded.take_error();
		symvers.emplace(std::move(*loaded));
	}
	if (!opts.symbols.empty()) {
		auto map = SymbolMap::read(opts.symbols);
		if (map && symvers)
			for (const ksym::Export &exp : symvers->exports())
				if (mappable_name(exp.name))
					map->add_export(exp.name, exp.objname);
		return map;
	}
	ksym::SymbolTable table;
	KLP_TRY(load_tables(opts, table));
	SymbolMap map;
	for (const auto &kobj : table.objects())
		add_object(map, *kobj);
	add_exports(map, table, symvers ? &*symvers : nullptr);
	KLP_TRY(map.finish("the target's symbol tables"));
	return map;
}

} // namespace klp::convert
