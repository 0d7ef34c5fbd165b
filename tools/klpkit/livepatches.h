// The livepatches of a running kernel, as its livepatch core shows them in sysfs:
// the kernel's (/sys/kernel/livepatch) and klpkit-core.ko's mirror of it
// (/sys/kernel/klpkit). Reading them, waiting for a transition, naming the tasks
// that hold one up (/proc/PID/patch_state), and loading and unloading a module.
// The roots are parameters so that tests can give a directory tree of their own.
#pragma once

#include "elf/error.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace klp::klpkit {

struct Roots {
	std::string sys = "/sys";
	std::string proc = "/proc";
};

struct PatchedFunction {
	std::string name;
	unsigned long sympos = 0;
};

struct PatchedObject {
	std::string name; // vmlinux or a module
	std::optional<bool> patched; // <object>/patched: 6.1+ and the bundled core
	std::vector<PatchedFunction> functions; // the kernel's core only
};

struct Livepatch {
	std::string name;
	std::string core; // "kernel" or "bundled"
	std::string dir; // its sysfs directory
	bool enabled = false;
	bool transition = false;
	std::optional<bool> replace;
	std::vector<PatchedObject> objects;
};

// The sysfs directory of each core that is there: {"kernel", <sys>/kernel/livepatch}, ...
std::vector<std::pair<std::string, std::string>> core_dirs(const Roots &roots);
// Every livepatch of every core, sorted by core then name.
Expected<std::vector<Livepatch>> read_livepatches(const Roots &roots);
// One, by its name ("livepatch_cmdline"; '-' read as '_').
Expected<std::optional<Livepatch>> find_livepatch(const Roots &roots, const std::string &name);
// `klpkit list`'s text.
std::string format_livepatches(const std::vector<Livepatch> &patches);

struct Task {
	int pid = 0;
	std::string comm;
	std::string stack; // the first lines of /proc/PID/stack, when readable
};
// The tasks whose patch_state is not `target` (1 while a patch is enabled, 0 while
// it is disabled) during a transition: the ones that hold it up.
std::vector<Task> blocking_tasks(const Roots &roots, int target);

// Loads MODULE.ko (finit_module) after checking that it is a livepatch and that its
// vermagic is for `release`; returns the livepatch's name.
Expected<std::string> insert_module(const std::string &ko, const std::string &release);
// Polls until the livepatch's transition is over (its directory gone counts), up to
// `seconds`; false on timeout.
bool wait_transition(const std::string &dir, double seconds);
// Polls until the directory is gone, up to `seconds`.
bool wait_gone(const std::string &dir, double seconds);
// Writes `value` to <dir>/<attribute>.
Expected<void> write_attribute(const std::string &dir, const std::string &attribute, const std::string &value);
// delete_module(), retried while the module is still busy, up to `seconds`.
Expected<void> remove_module(const std::string &name, double seconds);

// What a livepatch module file is: its name, the kernel it is for, the core it needs
// and the functions of its `.klpkit.funcs` table, by object.
struct ModuleInfo {
	std::string path;
	std::string name; // the module's, '-' as '_'
	std::string vermagic;
	std::string core; // "kernel" (MODULE_INFO(livepatch, "Y")) or "bundled" (depends on klpkit-core)
	uint16_t machine = 0; // ELF e_machine: the architecture it is for
	bool has_table = false; // a hand-written livepatch module has no .klpkit.funcs
	std::vector<PatchedObject> objects; // in table order
};
Expected<ModuleInfo> read_module_info(const std::string &ko);
// `klpkit info`'s text; `loaded` is its livepatch in sysfs, if loaded.
std::string format_module_info(const ModuleInfo &info, const std::optional<Livepatch> &loaded);
// An error naming both when the module's vermagic is not for `release` (`running`:
// "the running kernel " when it is that).
Expected<void> check_release(const ModuleInfo &info, const std::string &release, std::string_view running = "");

} // namespace klp::klpkit
