// fmt's compiled part for a static link where the system has only libfmt.so
// (Debian's libfmt-dev): fmt 9's non-inline functions, defined by its own
// format-inl.h, and the locale helpers format.h declares `extern template`, which
// the tools instantiate nowhere else. A tool that needs another instantiation fails
// to link statically, naming it.
#include <fmt/format-inl.h>

FMT_BEGIN_NAMESPACE
namespace detail {
template FMT_API auto thousands_sep_impl<char>(locale_ref) -> thousands_sep_result<char>;
template FMT_API auto decimal_point_impl<char>(locale_ref) -> char;
} // namespace detail
FMT_END_NAMESPACE
