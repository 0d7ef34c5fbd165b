// Name rules for correlation; each rule carries the concrete case it exists for.
#include "names.h"

#include <elf.h>

#include <array>
#include <cctype>

namespace klp::cdo {
namespace {

bool all_digits(std::string_view s)
{
	if (s.empty())
		return false;
	for (char c : s)
		if (!std::isdigit(static_cast<unsigned char>(c)))
			return false;
	return true;
}

bool starts_with(std::string_view s, std::string_view prefix)
{
	return s.substr(0, prefix.size()) == prefix;
}

} // namespace

std::string strip_suffix(std::string_view name)
{
	// clang's ThinLTO promotes statics as `foo.llvm.8675309`: drop the whole part.
	if (auto pos = name.find(".llvm."); pos != std::string_view::npos)
		name = name.substr(0, pos);
	std::string out;
	out.reserve(name.size());
	size_t start = 0;
	bool first = true;
	while (start <= name.size()) {
		size_t dot = name.find('.', start);
		std::string_view part = name.substr(start, dot == std::string_view::npos
								   ? std::string_view::npos
								   : dot - start);
		// `count.12`: a purely numeric component after the first is a build counter.
		if (first || !all_digits(part)) {
			if (!first)
				out += '.';
			out += part;
		}
		first = false;
		if (dot == std::string_view::npos)
			break;
		start = dot + 1;
	}
	// `__UNIQUE_ID_ddebug_694`: the kernel's __UNIQUE_ID() appends __COUNTER__.
	if (starts_with(out, "__UNIQUE_ID_")) {
		size_t end = out.size();
		while (end > 0 && std::isdigit(static_cast<unsigned char>(out[end - 1])))
			end--;
		out.resize(end);
	}
	return out;
}

namespace {

// The static's own name: gcc writes `__warned.3`, clang `foo.__warned` (the function
// first) and `foo.__UNIQUE_ID_ddebug412` for a dyndbg descriptor.
std::string static_base(std::string_view name)
{
	std::string base = strip_suffix(name);
	// Not a section's name: `.bss.__already_done.1` is the section, not the static.
	if (auto dot = base.rfind('.'); dot != std::string::npos && base[0] != '.' &&
	    starts_with(base.substr(dot + 1), "__"))
		return base.substr(dot + 1);
	return base;
}

} // namespace

bool is_dyndbg_descriptor(std::string_view name)
{
	// `descriptor.4` (5.x DEFINE_DYNAMIC_DEBUG_METADATA), `__UNIQUE_ID_ddebug412.24`
	// (6.x gcc), `foo.__UNIQUE_ID_ddebug412` (clang).
	std::string base = static_base(name);
	return base == "descriptor" || starts_with(base, "__UNIQUE_ID_ddebug");
}

bool is_special_static(std::string_view name)
{
	// Each name below (and "descriptor", "__UNIQUE_ID_ddebug") is a dot-free piece
	// of the symbol's name: without one of these pieces there is nothing to strip.
	// (Most names, `fn123` or `counter.4`, end here, without an allocation.)
	if (name.find("__") == std::string_view::npos && name.find("_rs") == std::string_view::npos &&
	    name.find("CSWTCH") == std::string_view::npos &&
	    name.find("_entry") == std::string_view::npos &&
	    name.find("descriptor") == std::string_view::npos)
		return false;
	static constexpr std::array<std::string_view, 11> bases = {
		"__key",	  "__warned", "__already_done", "__func__",
		"__FUNCTION__",	  "_rs",      "CSWTCH",		"_entry",
		"_entry_ptr",	  "__print_once",	"__msg",
	};
	std::string base = static_base(name);
	for (std::string_view b : bases)
		if (base == b)
			return true;
	return is_dyndbg_descriptor(name);
}

std::string cold_parent_name(std::string_view name)
{
	// GCC splits unlikely paths of `foo` into `foo.cold` (gcc >= 8) or
	// `foo.cold.3` (gcc 8-9 numbered them).
	auto pos = name.find(".cold");
	if (pos == std::string_view::npos || pos == 0)
		return {};
	std::string_view rest = name.substr(pos + 5);
	if (!rest.empty() && !(rest[0] == '.' && all_digits(rest.substr(1))))
		return {};
	return std::string(name.substr(0, pos));
}

std::string_view section_family(std::string_view s)
{
	static constexpr std::array<std::string_view, 10> families = {
		".init.text", ".exit.text", ".init.data", ".init.rodata", ".exit.data",
		".text",      ".rodata",    ".data",	  ".bss",	  ".noinstr.text",
	};
	for (std::string_view f : families) {
		if (starts_with(s, f) && (s.size() == f.size() || s[f.size()] == '.'))
			return f;
	}
	return s;
}

} // namespace klp::cdo
