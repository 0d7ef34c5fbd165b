// kernel_release.h: a release string's version and the facts gated on it.
#include "livepatch/kernel_release.h"

#include <charconv>

namespace klp::livepatch {
namespace {

// A decimal number at the start of `s`, which then starts after it.
std::optional<int> leading_number(std::string_view &s)
{
	int value = 0;
	auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
	if (ec != std::errc() || end == s.data())
		return std::nullopt;
	s.remove_prefix(end - s.data());
	return value;
}

} // namespace

std::optional<KernelVersion> kernel_version(std::string_view release)
{
	auto major = leading_number(release);
	if (!major || release.empty() || release.front() != '.')
		return std::nullopt;
	release.remove_prefix(1);
	auto minor = leading_number(release);
	if (!minor)
		return std::nullopt;
	return KernelVersion{*major, *minor};
}

bool module_reload_refused(std::string_view release)
{
	auto v = kernel_version(release);
	return !v || *v < KernelVersion{6, 3};
}

} // namespace klp::livepatch
