// The flat name index of a kernel object (see name_index.h): linear probing over a
// power-of-two table at most half full.
#include "ksym/name_index.h"
#include "ksym/symbol_table.h"

#include <functional>

namespace klp::ksym {

size_t NameIndex::probe(std::string_view name, uint64_t hash) const
{
	for (size_t i = hash & mask_;; i = (i + 1) & mask_) {
		uint64_t s = slots_[i];
		if (s == 0)
			return i;
		if ((s >> 32) == (hash >> 32) && entries_[(s & 0xffffffff) - 1].name == name)
			return i;
	}
}

void NameIndex::build(const std::vector<KernelSymbol *> &order)
{
	size_t size = 16;
	while (size < 2 * order.size())
		size *= 2;
	slots_.assign(size, 0);
	mask_ = size - 1;
	entries_.clear();
	entries_.reserve(order.size());
	// Backwards, so that each symbol is pushed in front of the later ones; the
	// entry index parks in `position` until the forward numbering pass.
	for (size_t k = order.size(); k-- > 0;) {
		KernelSymbol *sym = order[k];
		uint64_t hash = std::hash<std::string_view>()(sym->name);
		size_t i = probe(sym->name, hash);
		if (slots_[i] == 0) {
			slots_[i] = slot(hash, entries_.size());
			entries_.push_back({sym->name, nullptr, 0});
		}
		size_t entry = (slots_[i] & 0xffffffff) - 1;
		Entry &e = entries_[entry];
		if (e.first && e.first->views != sym->views)
			e.mixed_views = true;
		sym->next_same_name = e.first;
		e.first = sym;
		e.count++;
		sym->position = entry;
	}
	std::vector<size_t> seen(entries_.size());
	for (KernelSymbol *sym : order)
		sym->position = ++seen[sym->position];
}

const NameIndex::Entry *NameIndex::find(std::string_view name) const
{
	if (slots_.empty())
		return nullptr;
	uint64_t hash = std::hash<std::string_view>()(name);
	uint64_t s = slots_[probe(name, hash)];
	return s ? &entries_[(s & 0xffffffff) - 1] : nullptr;
}

} // namespace klp::ksym
