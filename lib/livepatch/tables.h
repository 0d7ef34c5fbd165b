// The run-time tables create-diff-object and klp-convert write and kmod-template
// reads (docs/intermediate-format.md; the C side is kmod-template/klp-macros.h and,
// for the bundled core, klpkit-core.h). The verifier reads them too: the table is
// what decides which object a patched function belongs to at run time.
#pragma once

#include <cstddef>
#include <cstdint>
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

// .klpkit.relocs: the livepatch relocations of a module for the bundled core
// (klpkit-core.ko, for kernels without CONFIG_LIVEPATCH; the C side is
// kmod-template/klpkit-core.h). The template writes the header alone (count 0, size
// 16); klp-convert --core bundled appends the entries and their strings. SHF_ALLOC,
// align 8, little-endian. Offsets of the fields:
// struct klpkit_relocs_header { u32 magic; u16 version; u16 entry_size; u32 count;
// u32 size; }, `size` the bytes of header, entries and strings.
inline constexpr std::string_view relocs_section = ".klpkit.relocs";
inline constexpr uint32_t relocs_magic = 0x52504c4b; // "KLPR"
inline constexpr uint16_t relocs_version = 1;
inline constexpr size_t relocs_align = 8;
struct KlpkitRelocsHeader {
	static constexpr size_t size = 16;
	static constexpr size_t magic = 0;
	static constexpr size_t version = 4;
	static constexpr size_t entry_size = 6;
	static constexpr size_t count = 8;
	static constexpr size_t table_size = 12; // the C field `size`
};
// struct klpkit_reloc { u64 loc; s64 addend; u32 type; u32 sympos; u32 name;
// u32 objname; u32 sec_objname; u8 sym_type; u8 pad[3]; }: `loc` is 0 in the bytes
// and an R_X86_64_64 to the place (section symbol + offset) in `.rela.klpkit.relocs`;
// name, objname and sec_objname are offsets from the start of the section of
// NUL-terminated strings after the last entry. The rest is the relocation the kernel
// path writes to `.klp.rela.<sec_objname>.*` against `.klp.sym.<objname>.<name>,<sympos>`.
struct KlpkitReloc {
	static constexpr size_t size = 40;
	static constexpr size_t loc = 0;
	static constexpr size_t addend = 8;
	static constexpr size_t type = 16;
	static constexpr size_t sympos = 20;
	static constexpr size_t name = 24;
	static constexpr size_t objname = 28;
	static constexpr size_t sec_objname = 32;
	static constexpr size_t sym_type = 36;
	static constexpr size_t pad = 37; // 3 bytes, zero
};

// kpatch's kpatch-macros.h (callbacks, KPATCH_IGNORE_FUNCTION/SECTION) writes the
// same records as klp-macros.h, in sections of its own names: an object compiled
// with kpatch's header is read as if compiled with ours. Records and their relocations
// alike: {fn, objname} callbacks (16 bytes, objname NULL until create-diff-object
// fills it), a function pointer per ignored function, a string pointer per ignored
// section.
struct SectionAlias {
	std::string_view kpatch;
	std::string_view klpkit;
};
inline constexpr SectionAlias kpatch_marker_sections[] = {
	{".kpatch.callbacks.pre_patch", ".klpkit.callbacks.pre_patch"},
	{".kpatch.callbacks.post_patch", ".klpkit.callbacks.post_patch"},
	{".kpatch.callbacks.pre_unpatch", ".klpkit.callbacks.pre_unpatch"},
	{".kpatch.callbacks.post_unpatch", ".klpkit.callbacks.post_unpatch"},
	{".kpatch.ignore.functions", ".klpkit.ignore.functions"},
	{".kpatch.ignore.sections", ".klpkit.ignore.sections"},
};
// The kernel's own klp-build (6.19+, <linux/livepatch_helpers.h>; klpkit ships a
// header of that name for older kernels): KLP_PRE_PATCH_CALLBACK(fn) defines a
// pointer to fn named __klp_pre_patch_callback_<object> (`vmlinux`, or
// `kmod_<module>` from __KBUILD_MODNAME) in .discard.klp_callback_ptrs. Read as one
// klpkit callback record per pointer; the object is the patched file's parent.
inline constexpr std::string_view klp_callback_ptrs_section = ".discard.klp_callback_ptrs";
struct CallbackPointer {
	std::string_view prefix;
	std::string_view klpkit;
};
inline constexpr CallbackPointer klp_callback_pointers[] = {
	{"__klp_pre_patch_callback_", ".klpkit.callbacks.pre_patch"},
	{"__klp_post_patch_callback_", ".klpkit.callbacks.post_patch"},
	{"__klp_pre_unpatch_callback_", ".klpkit.callbacks.pre_unpatch"},
	{"__klp_post_unpatch_callback_", ".klpkit.callbacks.post_unpatch"},
};
// The size of a klpkit callback record: {fn, objname}.
inline constexpr size_t callback_record_size = 16;

// KPATCH_FORCE_UNSAFE(fn): a function pointer in this section. kpatch.ko's; livepatch
// has no per-function bypass of its consistency model, so it is refused.
inline constexpr std::string_view kpatch_force_section = ".kpatch.force";

} // namespace klp::livepatch
