// A name -> (first symbol, count) index for one kernel object: open addressing in
// one flat array, built once when the object is sealed. It exists because a
// node-based std::unordered_map spent most of the load time of an 850k-symbol vmlinux
// in allocation and cache misses; it knows nothing of sympos.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace klp::ksym {

struct KernelSymbol;

class NameIndex {
public:
	struct Entry {
		std::string_view name;
		KernelSymbol *first = nullptr; // in kallsyms order
		size_t count = 0;
		bool mixed_views = false; // not all symbols of the name are in the same views
	};

	// Indexes `order` (kallsyms order), chains each symbol to the next of its name
	// and numbers it among them (KernelSymbol::position).
	void build(const std::vector<KernelSymbol *> &order);
	const Entry *find(std::string_view name) const;

private:
	// A slot holds the high 32 bits of the name's hash and entry index + 1 (0: empty),
	// so most probes never touch an entry.
	static uint64_t slot(uint64_t hash, size_t entry) { return (hash >> 32 << 32) | (entry + 1); }
	size_t probe(std::string_view name, uint64_t hash) const;

	std::vector<Entry> entries_;
	std::vector<uint64_t> slots_;
	size_t mask_ = 0;
};

} // namespace klp::ksym
