// The module file around its ELF contents: the signature the kernel's sign-file
// appends, the `.modinfo` strings, and signing a converted module. Nothing here
// knows livepatch relocations.
#pragma once

#include "elf/error.h"
#include "elf/object.h"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace klp::convert {

// include/linux/module_signature.h: MODULE_SIG_STRING, the last bytes of a signed
// module.
inline constexpr std::string_view module_sig_magic = "~Module signature appended~\n";

Expected<bool> is_signed(const std::string &path);

// The key=value strings of `.modinfo`, in file order.
std::vector<std::pair<std::string, std::string>> read_modinfo(const elf::Object &obj);

struct SignOptions {
	std::string key; // private key (PEM, or a PKCS#11 URI)
	std::string cert; // X.509 certificate
	std::string sign_file; // the kernel tree's scripts/sign-file
	std::string hash = "sha256"; // CONFIG_MODULE_SIG_HASH
};

// Fills sign_file and hash from a kernel build tree: <dir>/scripts/sign-file and
// CONFIG_MODULE_SIG_HASH of <dir>/.config, unless already given.
Expected<void> complete_sign_options(SignOptions &opts, const std::string &kernel_dir);

// Signs `path` in place with sign-file and checks the signature is there.
Expected<void> sign_module(const SignOptions &opts, const std::string &path);

} // namespace klp::convert
