// The target kernel as klp-convert sees it: for each object (vmlinux, modules) every
// symbol name with its livepatch position, and which names are exported. It is the
// in-memory form of a symbols.klp file (format in docs/klp-convert.md) and what the
// verifier checks a module against.
#pragma once

#include "elf/error.h"
#include "livepatch/names.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace klp::convert {

// The livepatch format's names (lib/livepatch) are this tool's vocabulary.
using namespace klp::livepatch;

struct MapSymbol {
	std::string name;
	uint64_t sympos = 0; // 0: the only one of its name in the object; else 1, 2, ...
	char letter = '?'; // nm/kallsyms type letter
	std::string file; // source file of a local, when known; else empty
	// The kernel may count this one differently (lib/ksym sympos_of()): e.g. an
	// __init duplicate listed while a module loads and gone once it is live.
	bool unstable = false;
};

struct MapObject {
	std::string name; // "vmlinux" or the module's name ('_' for '-')
	std::vector<MapSymbol> symbols; // sorted by name, then sympos

	// Every symbol of that name, by position.
	std::vector<const MapSymbol *> find(std::string_view name) const;
	// Whether `.klp.sym.<obj>.<name>,<sympos>` designates exactly one symbol here;
	// the problem if not.
	std::optional<std::string> check_position(std::string_view name, uint64_t sympos) const;
};

class SymbolMap {
public:
	static Expected<SymbolMap> read(const std::string &path);
	// Written through a temporary file and a rename; same map, same bytes.
	Expected<void> write(const std::string &path) const;

	// Building: add objects and exports, then finish() sorts and checks them. The
	// reference stays valid until the next add_object().
	MapObject &add_object(std::string name);
	void add_export(std::string name, std::string objname);
	Expected<void> finish(const std::string &origin);

	// Objects: vmlinux first, then modules by name.
	const std::vector<MapObject> &objects() const { return objects_; }
	const MapObject *object(std::string_view name) const;
	// The object that exports `name`, or null.
	const std::string *exporter(std::string_view name) const;
	bool has_exports() const { return !exports_.empty(); }
	// Every (object, sympos) that `name` could mean, in object order; a unique name
	// in an object is listed with position 0.
	std::vector<KlpSymbol> candidates(std::string_view name) const;

private:
	std::vector<MapObject> objects_;
	std::map<std::string, std::string, std::less<>> exports_; // name -> object
};

} // namespace klp::convert
