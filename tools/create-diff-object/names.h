// Symbol-name rules of the diff: compiler suffixes that change between builds,
// statics that are never correlated, `.cold` parts, and section-name families.
#pragma once

#include <string>
#include <string_view>

namespace klp::cdo {

// The name without the numeric parts a compiler invents per build:
// `foo.isra.3` -> `foo.isra`, `count.12` -> `count`, `foo.constprop.0.isra.0` ->
// `foo.constprop.isra`, `__UNIQUE_ID_ddebug_694` -> `__UNIQUE_ID_ddebug_`,
// `foo.llvm.8675309` -> `foo`. Names without such parts are returned unchanged.
std::string strip_suffix(std::string_view name);

// Statics the compiler or a kernel macro creates per use site, never matched
// between the objects (a fresh copy goes into the patch): `__key.5`, `__warned.3`,
// `__already_done.12`, `__func__.7`, `_rs.9`, `CSWTCH.42`, `descriptor.4` (dyndbg).
bool is_special_static(std::string_view name);

// A dynamic-debug descriptor (`struct _ddebug`, in `__dyndbg`): `descriptor.4`,
// `__UNIQUE_ID_ddebug412.24`, clang's `foo.__UNIQUE_ID_ddebug412`.
bool is_dyndbg_descriptor(std::string_view name);

// `foo.cold` / `foo.cold.3` -> `foo`; otherwise empty.
std::string cold_parent_name(std::string_view name);

// The section-name family of a function or object section, so that a function may
// move between `.text.foo`, `.text.unlikely.foo` and `.text.hot.foo` but not into
// `.init.text`: returns `.text`, `.init.text`, `.data`, `.rodata`, ...
std::string_view section_family(std::string_view section_name);

} // namespace klp::cdo
