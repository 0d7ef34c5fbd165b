// Module.symvers: which object exports a symbol, how (EXPORT_SYMBOL or _GPL) and in
// which namespace. It answers "may a patch module link to this directly?"; it knows
// nothing of local or unexported symbols (symbol_table.h does).
#pragma once

#include "elf/error.h"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace klp::ksym {

enum class ExportType { symbol, gpl, gpl_future, unused, unused_gpl };
// The spelling in Module.symvers: "EXPORT_SYMBOL", "EXPORT_SYMBOL_GPL", ...
const char *export_type_name(ExportType type);

struct Export {
	std::string name;
	std::string module; // as written: "vmlinux" or a path, "drivers/net/foo-bar"
	std::string objname; // "vmlinux" or the kernel's module name, "foo_bar"
	ExportType type = ExportType::symbol;
	std::string ns; // symbol namespace; empty when none (or on kernels before 5.4)
	uint32_t crc = 0;
	size_t line = 0;

	bool is_vmlinux() const { return objname == "vmlinux"; }
};

class Symvers {
public:
	static Expected<Symvers> load(const std::string &path);
	// `origin` names the text in messages ("Module.symvers:12: ...").
	static Expected<Symvers> parse(std::string_view text, const std::string &origin);

	Symvers() = default;
	Symvers(Symvers &&) = default;
	Symvers &operator=(Symvers &&) = default;
	Symvers(const Symvers &) = delete; // the records point into text_
	Symvers &operator=(const Symvers &) = delete;

	const Export *find(std::string_view name) const;
	const std::vector<Export> &exports() const; // file order

private:
	// A line as read, its fields pointing into text_. Most runs look up a few names
	// among tens of thousands: an Export is made when asked for (not thread-safe).
	struct Record {
		std::string_view name, module, ns;
		uint32_t crc;
		ExportType type;
		size_t line;
	};
	Export make(const Record &r) const;

	std::unique_ptr<const std::string> text_;
	std::vector<Record> records_;
	std::unordered_map<std::string_view, size_t> by_name_;
	mutable std::vector<Export> exports_; // every one, once exports() is called
	mutable std::unordered_map<size_t, Export> made_; // find()'s, by record
};

} // namespace klp::ksym
