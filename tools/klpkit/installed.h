// Installed livepatches: modules kept under <root>/var/lib/klpkit/<release>/ as
// NNN-<name>.ko (NNN: the order they were installed in) and loaded again at boot by
// `klpkit load-installed` (tools/klpkit/klpkit.service), for the running release
// only. A module is installed for the release its vermagic names.
#pragma once

#include "elf/error.h"

#include <string>
#include <vector>

namespace klp::klpkit {

struct Installed {
	std::string name; // the livepatch's ('-' as '_')
	std::string path; // <dir>/NNN-<name>.ko
};

// <root>/var/lib/klpkit/<release>
std::string installed_dir(const std::string &root, const std::string &release);
// The installed modules of a release, in the order they were installed.
std::vector<Installed> installed_modules(const std::string &root, const std::string &release);
// Copies the module in (atomically), after the ones installed before; one already
// installed under its name is replaced in its place. Returns where it went.
Expected<std::string> install_module(const std::string &root, const std::string &ko, const std::string &release);
// Removes the installed module of that livepatch name; an error if there is none.
Expected<void> uninstall_module(const std::string &root, const std::string &name, const std::string &release);

} // namespace klp::klpkit
