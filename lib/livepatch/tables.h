// The run-time tables create-diff-object writes and kmod-template reads
// (docs/intermediate-format.md; the C side is kmod-template/klp-macros.h). The
// verifier reads them too: the table is what decides which object a patched
// function belongs to at run time.
#pragma once

#include <cstddef>
#include <string_view>

namespace klp::livepatch {

// .klpkit.funcs: struct klpkit_func { void *new_func; const char *old_name;
// const char *objname; unsigned long sympos; }, 64-bit, each pointer a relocation.
inline constexpr std::string_view funcs_section = ".klpkit.funcs";
struct KlpkitFunc {
	static constexpr size_t size = 32;
	static constexpr size_t new_func = 0;
	static constexpr size_t old_name = 8;
	static constexpr size_t objname = 16;
	static constexpr size_t sympos = 24;
};

} // namespace klp::livepatch
