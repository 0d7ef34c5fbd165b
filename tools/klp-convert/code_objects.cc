// Attributes a finished module's code and data to objects: the `.klpkit.funcs`
// entries are the seeds, each relocation from attributed code to something the
// module defines carries the attribution along. It reads the module and judges
// nothing; check.cc decides what a relocation in the wrong object's section means.
#include "code_objects.h"

#include "convert.h"
#include "livepatch/funcs_table.h"
#include "livepatch/tables.h"

#include <algorithm>
#include <optional>

namespace klp::convert {

using livepatch::KlpkitFunc;

CodeObjects::CodeObjects(const elf::Object &obj, std::vector<std::string> &problems)
	: obj_(obj)
{
	const elf::Section *funcs = obj.find_section(livepatch::funcs_section);
	if (!funcs || funcs->removed)
		return;
	known_ = true;
	auto problem = [&](const std::string &what) {
		problems.push_back(fmt::format("{}: {}: {}", obj.path, describe(*funcs), what));
	};
	if (funcs->size() % KlpkitFunc::size)
		problem(fmt::format("size {} is not a whole number of {}-byte entries",
				    funcs->size(), KlpkitFunc::size));
	auto entries = livepatch::read_funcs_table(obj);
	for (size_t i = 0; entries && i < entries->size(); i++) {
		const livepatch::FuncsEntry &e = (*entries)[i];
		const elf::Relocation *f = e.new_func;
		if (!f || !f->sym || !f->sym->sec) {
			problem(fmt::format("entry {}: new_func is not code of the module", i));
			continue;
		}
		if (!e.objname) {
			problem(fmt::format("entry {}: objname is not a string of the module", i));
			continue;
		}
		attribute(unit_at(*f->sym->sec, f->sym->value + uint64_t(f->addend)), *e.objname);
	}
}

CodeObjects::Unit CodeObjects::unit_at(const elf::Section &sec, uint64_t offset) const
{
	const elf::Symbol *sym = obj_.symbol_at(&sec, offset);
	if (sym && (sym->is_func() || sym->is_object()) && sym->contains(offset))
		return {&sec, sym};
	return {&sec, nullptr};
}

void CodeObjects::attribute(Unit seed, const std::string &objname)
{
	std::vector<Unit> work = {seed};
	while (!work.empty()) {
		Unit unit = work.back();
		work.pop_back();
		if (!objects_[unit].insert(objname).second)
			continue;
		const auto &[sec, sym] = unit;
		if (!sec->rela)
			continue;
		uint64_t start = sym ? sym->value : 0;
		uint64_t end = sym ? sym->value + sym->size : sec->size();
		for (const elf::Relocation &r : sec->rela->relocs) {
			const elf::Symbol *t = r.sym;
			if (r.offset < start || r.offset >= end || !t || !t->sec || t->sec->removed)
				continue;
			// `call .text.helper-4`: a static function reached through its
			// section symbol (gas does that for locals); the whole section.
			work.push_back(t->is_section() ? Unit{t->sec, nullptr}
						       : unit_at(*t->sec, t->value));
		}
	}
}

std::set<std::string> CodeObjects::at(const elf::Section &sec, uint64_t offset) const
{
	std::set<std::string> owners;
	for (Unit unit : {unit_at(sec, offset), Unit{&sec, nullptr}})
		if (auto it = objects_.find(unit); it != objects_.end())
			owners.insert(it->second.begin(), it->second.end());
	return owners;
}

std::string CodeObjects::place(const elf::Section &sec, uint64_t offset) const
{
	Unit unit = unit_at(sec, offset);
	if (unit.second)
		return fmt::format("{}+{:#x}", unit.second->name, offset - unit.second->value);
	return fmt::format("{}+{:#x}", sec.name, offset);
}

} // namespace klp::convert
