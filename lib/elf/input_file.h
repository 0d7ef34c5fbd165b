// Opening an input: the reason a path is not a regular file the tools can read
// (missing, a directory, a device, unreadable), told in the one-line error style.
#pragma once

#include "elf/error.h"

#include <string>

namespace klp {

// Succeeds when `path` is a regular file (or a pipe, such as a process
// substitution) that can be opened for reading.
Expected<void> check_input_file(const std::string &path);

} // namespace klp
