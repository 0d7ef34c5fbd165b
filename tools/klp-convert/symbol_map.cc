// Reads, checks and writes symbols.klp, the target kernel's symbol map, and answers
// the questions conversion and verification ask of it. Loading a map from vmlinux,
// kallsyms or modules is symbols.cc's job.
#include "symbol_map.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>

#include "elf/file_io.h"
#include "ksym/text_input.h"

namespace klp::convert {

namespace {

constexpr std::string_view map_magic = "klp-convert-symbols 1";

bool parse_u64(std::string_view text, uint64_t &value)
{
	auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
	return !text.empty() && ec == std::errc() && end == text.data() + text.size();
}

bool object_order(const MapObject &a, const MapObject &b)
{
	bool av = a.name == "vmlinux", bv = b.name == "vmlinux";
	if (av != bv)
		return av;
	return a.name < b.name;
}

} // namespace

std::vector<const MapSymbol *> MapObject::find(std::string_view name) const
{
	auto lo = std::lower_bound(symbols.begin(), symbols.end(), name,
				   [](const MapSymbol &s, std::string_view n) { return s.name < n; });
	std::vector<const MapSymbol *> out;
	for (auto it = lo; it != symbols.end() && it->name == name; ++it)
		out.push_back(&*it);
	return out;
}

std::optional<std::string> MapObject::check_position(std::string_view sym, uint64_t sympos) const
{
	size_t count = find(sym).size();
	if (count == 0)
		return fmt::format("{} has no symbol '{}'", name, sym);
	// kernel/livepatch/core.c klp_find_object_symbol(): position 0 demands a unique
	// name; position N the Nth of that name.
	if (sympos == 0 && count > 1)
		return fmt::format("{} has {} symbols '{}'; position 0 is refused as ambiguous",
				   name, count, sym);
	if (sympos > count)
		return fmt::format("{} has {} symbol{} '{}'; there is no position {}", name, count,
				   count == 1 ? "" : "s", sym, sympos);
	for (const MapSymbol *s : find(sym))
		if (s->unstable && (sympos == 0 || s->sympos == sympos))
			return fmt::format("{}: the position of '{}',{} differs between kallsyms "
					   "views (an __init or non-allocated duplicate); the kernel "
					   "could resolve another symbol",
					   name, sym, s->sympos);
	return std::nullopt;
}

MapObject &SymbolMap::add_object(std::string name)
{
	MapObject &obj = objects_.emplace_back();
	obj.name = std::move(name);
	return obj;
}

void SymbolMap::add_export(std::string name, std::string objname)
{
	exports_.try_emplace(std::move(name), std::move(objname));
}

Expected<void> SymbolMap::finish(const std::string &origin)
{
	std::sort(objects_.begin(), objects_.end(), object_order);
	for (size_t i = 0; i < objects_.size(); i++) {
		MapObject &obj = objects_[i];
		if (i > 0 && objects_[i - 1].name == obj.name)
			return make_error("{}: object {} appears twice", origin, obj.name);
		std::sort(obj.symbols.begin(), obj.symbols.end(),
			  [](const MapSymbol &a, const MapSymbol &b) {
				  if (a.name != b.name)
					  return a.name < b.name;
				  return a.sympos < b.sympos;
			  });
		// A name is either unique (position 0) or numbered 1..n without gaps.
		for (size_t j = 0; j < obj.symbols.size();) {
			size_t k = j;
			while (k < obj.symbols.size() && obj.symbols[k].name == obj.symbols[j].name)
				k++;
			for (size_t m = j; m < k; m++) {
				uint64_t want = k - j == 1 ? 0 : m - j + 1;
				if (obj.symbols[m].sympos != want)
					return make_error("{}: {} symbol {}: position {} where {} was "
							  "expected",
							  origin, obj.name, obj.symbols[m].name,
							  obj.symbols[m].sympos, want);
			}
			j = k;
		}
	}
	return success();
}

const MapObject *SymbolMap::object(std::string_view name) const
{
	for (const MapObject &obj : objects_)
		if (obj.name == name)
			return &obj;
	return nullptr;
}

const std::string *SymbolMap::exporter(std::string_view name) const
{
	auto it = exports_.find(name);
	return it == exports_.end() ? nullptr : &it->second;
}

std::vector<KlpSymbol> SymbolMap::candidates(std::string_view name) const
{
	std::vector<KlpSymbol> out;
	for (const MapObject &obj : objects_)
		for (const MapSymbol *sym : obj.find(name))
			out.push_back({obj.name, sym->name, sym->sympos});
	return out;
}

Expected<SymbolMap> SymbolMap::read(const std::string &path)
{
	KLP_TRY(check_input_file(path));
	std::ifstream in(path, std::ios::binary);
	if (!in)
		return make_error("{}: cannot open: {}", path, strerror(errno));
	SymbolMap map;
	MapObject *current = nullptr;
	std::string line;
	size_t lineno = 0;
	while (std::getline(in, line)) {
		lineno++;
		auto fail = [&](std::string_view what) {
			return make_error("{}:{}: {}", path, lineno, what);
		};
		if (lineno == 1) {
			if (line != map_magic)
				return fail(fmt::format("not a symbol map (the first line must be '{}')",
							map_magic));
			continue;
		}
		auto f = ksym::split_whitespace(line);
		if (f.empty() || f[0].starts_with("#"))
			continue;
		if (f[0] == "object" && f.size() == 2) {
			if (auto problem = check_objname(f[1]))
				return fail(*problem);
			current = &map.add_object(std::string(f[1]));
		} else if (f[0] == "sym" && (f.size() == 5 || (f.size() == 6 && f[5] == "unstable"))) {
			if (!current)
				return fail("a 'sym' line before any 'object' line");
			MapSymbol sym;
			sym.name = f[1];
			if (!parse_u64(f[2], sym.sympos))
				return fail(fmt::format("position '{}' is not a number", f[2]));
			if (f[3].size() != 1)
				return fail(fmt::format("type '{}' is not one letter", f[3]));
			sym.letter = f[3][0];
			if (f[4] != "-")
				sym.file = f[4];
			sym.unstable = f.size() == 6;
			current->symbols.push_back(std::move(sym));
		} else if (f[0] == "export" && f.size() == 3) {
			map.add_export(std::string(f[1]), std::string(f[2]));
		} else {
			return fail(fmt::format("cannot read '{}': expected 'object NAME', 'sym NAME "
						"SYMPOS TYPE FILE [unstable]' or 'export NAME OBJECT'",
						line.substr(0, 80)));
		}
	}
	if (lineno == 0)
		return make_error("{}: empty file; not a symbol map", path);
	KLP_TRY(map.finish(path));
	return map;
}

Expected<void> SymbolMap::write(const std::string &path) const
{
	std::ostringstream out;
	out << map_magic << "\n";
	out << "# object NAME | sym NAME SYMPOS TYPE FILE [unstable] | export NAME OBJECT "
	       "(docs/klp-convert.md)\n";
	for (const MapObject &obj : objects_) {
		out << "object " << obj.name << "\n";
		for (const MapSymbol &sym : obj.symbols)
			out << "sym " << sym.name << " " << sym.sympos << " " << sym.letter << " "
			    << (sym.file.empty() ? "-" : sym.file) << (sym.unstable ? " unstable" : "")
			    << "\n";
	}
	for (const auto &[name, objname] : exports_)
		out << "export " << name << " " << objname << "\n";
	return write_file_atomically(path, out.str());
}

} // namespace klp::convert
