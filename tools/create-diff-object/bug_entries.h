// What the __bug_table entries of both objects record, for the passes that check a
// line against them (compare.cc: a WARN's __LINE__ passed to __warn_printk).
#pragma once

#include "diff.h"

#include <map>
#include <optional>

namespace klp::cdo {

// The line of every __bug_table entry of the original and the patched object, by
// the place of its trap. Indexed on first use.
class TrapLines {
public:
	explicit TrapLines(const DiffContext &ctx) : ctx_(ctx) {}
	// The line the entry of the trap at `offset` of `sec` records, if one does.
	std::optional<unsigned> at(const elf::Section &sec, uint64_t offset);

private:
	const DiffContext &ctx_;
	bool indexed_ = false;
	std::map<std::pair<const elf::Section *, uint64_t>, unsigned> lines_;
};

} // namespace klp::cdo
