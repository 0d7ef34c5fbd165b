// What a kernel release string says about the livepatch behaviour of that kernel:
// its version, and the facts klp-build warns about that depend on it. One home for
// version-gated kernel behaviour the tools report (the template's compile-time
// gates read the target's headers instead: kmod-template/README.md).
#pragma once

#include <optional>
#include <string_view>

namespace klp::livepatch {

struct KernelVersion {
	int major = 0;
	int minor = 0;

	auto operator<=>(const KernelVersion &) const = default;
};

// "6.1.0-57-amd64", "7.2.13+deb14-amd64", "5.10.246", "6.12-rc1": the leading
// MAJOR.MINOR; nothing when the release does not start with them.
std::optional<KernelVersion> kernel_version(std::string_view release);

// Whether the kernel's livepatch core refuses to load a module again, after it was
// removed while patched, when the patch applied livepatch relocations for it
// (`.klp.rela.<module>.*`). Before 6.3, x86's apply_relocate_add() finds the
// relocation targets of the first load still written ("Invalid relocation target,
// existing value is nonzero") and klp_module_coming() fails the module's load;
// 6.3 clears them when the module goes (klp_cleanup_module_patches_limited ->
// clear_relocate_add). x86_64's fact, the one arch klpkit builds for; unknown
// versions count as affected.
bool module_reload_refused(std::string_view release);

} // namespace klp::livepatch
