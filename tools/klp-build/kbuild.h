// Facts klp-build reads from kbuild's own records and the files around a kernel
// build: `.<obj>.cmd` files (compile line, source, dependencies), .config values,
// the kernel version and release, and compiler identities. It runs nothing.
#pragma once

#include "elf/modinfo.h"

#include "elf/error.h"

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace klp::build {

// kbuild's record of how an object was built (scripts/Kbuild.include, fixdep):
//   cmd_fs/proc/cmdline.o := gcc-12 ... -c -o fs/proc/cmdline.o fs/proc/cmdline.c
//   (savedcmd_fs/proc/cmdline.o := ... from Linux 6.2 on)
//   source_fs/proc/cmdline.o := fs/proc/cmdline.c
//   deps_fs/proc/cmdline.o := (backslash)
//     include/linux/compiler-version.h (backslash)
//       $(wildcard include/config/CC_VERSION_TEXT) (backslash)
struct CmdRecord {
	std::string command;
	std::string source;
	std::vector<std::string> deps; // files only; $(wildcard ...) entries dropped
};

Expected<CmdRecord> read_cmd_file(const std::string &path);
// "fs/proc/cmdline.o" -> "fs/proc/.cmdline.o.cmd"
std::string cmd_file_of(const std::string &object);
// -DMODULE on the compile line: the object belongs to a module, named by
// -DKBUILD_MODNAME (with '-' as '_'). Empty for vmlinux.
std::string module_of_command(const std::string &command);

// KEY -> value as written ("y", "m", "\"text\""); unset options are absent.
Expected<std::map<std::string, std::string>> read_config(const std::string &path);
std::string config_string(const std::map<std::string, std::string> &config, const std::string &key);
// An option's value as the config file spells it; "n" where it is not set.
std::string config_value(const std::map<std::string, std::string> &config, const std::string &key);
// The options whose values differ between two configs ("n" where one lacks it),
// sorted; values that name the build rather than the code are left out: every
// rebuild differs in CONFIG_CC_VERSION_TEXT, CONFIG_RUSTC_VERSION, CONFIG_BUILD_SALT,
// CONFIG_MODULE_SIG_KEY, the trusted keys.
std::vector<std::string> config_drift(const std::map<std::string, std::string> &a,
				      const std::map<std::string, std::string> &b);
// Whether source text names the option: CONFIG_RUST in `#ifdef CONFIG_RUST` or
// IS_ENABLED(CONFIG_RUST), not in CONFIG_RUST_OVERFLOW_CHECKS.
bool names_option(std::string_view text, const std::string &option);

// "6.1.192" from a tree's (or headers') Makefile, following one `include` line
// (Debian's headers Makefile includes the -common one).
Expected<std::string> makefile_version(const std::string &dir);
// UTS_RELEASE from include/generated/utsrelease.h; empty if none.
std::string uts_release(const std::string &dir);

// A compiler's identity without its program name, so that CONFIG_CC_VERSION_TEXT
// "gcc-12 (Debian 12.2.0-14) 12.2.0", `gcc --version` "gcc (Debian 12.2.0-14) 12.2.0"
// and a .comment "GCC: (Debian 12.2.0-14) 12.2.0" compare equal.
std::string compiler_identity(std::string_view text);
// The compiler strings of an ELF file's .comment ("GCC: (Debian ...) 12.2.0").
Expected<std::vector<std::string>> elf_compilers(const std::string &path);
// elf_section(), elf_modinfo(): lib/elf/modinfo.h.
using klp::elf::elf_modinfo;
using klp::elf::elf_section;

// Content hashes for the object cache (FNV-1a, 64 bit: not cryptographic).
class Hasher {
public:
	void add(std::string_view bytes);
	void add_file_bytes(const std::string &path); // the path's contents, or a marker if missing
	uint64_t value() const { return h_; }
	std::string hex() const;

private:
	uint64_t h_ = 0xcbf29ce484222325ull;
};

Expected<std::string> read_text(const std::string &path);
Expected<void> write_text(const std::string &path, std::string_view text); // atomic
bool same_bytes(const std::string &a, const std::string &b);
Expected<void> copy_file(const std::string &from, const std::string &to); // atomic

// The name kmod-template gives the module: [A-Za-z0-9_-] kept, the rest '_', 55 chars.
std::string sanitize_module_name(std::string_view name);
// "fs/proc/cmdline.o" -> "fs-proc-cmdline" (a plain file name for the module dir).
std::string flat_name(std::string_view rel);

} // namespace klp::build
