// Files in and out: the reason a path is not a regular file the tools can read
// (missing, a directory, a device, unreadable), and writing a file whole or not at
// all (a temporary beside it, renamed into place), in the one-line error style.
#pragma once

#include "elf/error.h"

#include <string>
#include <string_view>

namespace klp {

// Succeeds when `path` is a regular file (or a pipe, such as a process
// substitution) that can be opened for reading.
Expected<void> check_input_file(const std::string &path);

// The cache the klpkit tools share (kernels, trees, objects, build roots):
// $KLPKIT_CACHE, else ~/.cache/klpkit, else /tmp/klpkit-cache.
std::string default_cache_dir();

// The whole file (a regular file, a pipe or a /proc file), after check_input_file().
Expected<std::string> read_file(const std::string &path);

// Writes `bytes` to a temporary file next to `path` and renames it into place; on
// any error (ENOSPC among them) nothing is left: neither the temporary nor `path`.
Expected<void> write_file_atomically(const std::string &path, std::string_view bytes);

} // namespace klp
