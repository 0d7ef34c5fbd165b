// Parses Module.symvers ("0xCRC\tsymbol\tmodule\tEXPORT_SYMBOL[_GPL]\tnamespace") in
// its historical layouts and indexes it by symbol name. Every malformed line is an
// error naming file:line; nothing is guessed.
#include "ksym/symvers.h"
#include "ksym/symbol_table.h"
#include "ksym/text_input.h"

namespace klp::ksym {
namespace {

bool parse_export_type(std::string_view s, ExportType &type)
{
	static const std::pair<std::string_view, ExportType> types[] = {
		{"EXPORT_SYMBOL", ExportType::symbol},
		{"EXPORT_SYMBOL_GPL", ExportType::gpl},
		{"EXPORT_SYMBOL_GPL_FUTURE", ExportType::gpl_future},
		{"EXPORT_UNUSED_SYMBOL", ExportType::unused},
		{"EXPORT_UNUSED_SYMBOL_GPL", ExportType::unused_gpl},
	};
	for (auto [name, value] : types)
		if (s == name) {
			type = value;
			return true;
		}
	return false;
}

} // namespace

const char *export_type_name(ExportType type)
{
	switch (type) {
	case ExportType::symbol:
		return "EXPORT_SYMBOL";
	case ExportType::gpl:
		return "EXPORT_SYMBOL_GPL";
	case ExportType::gpl_future:
		return "EXPORT_SYMBOL_GPL_FUTURE";
	case ExportType::unused:
		return "EXPORT_UNUSED_SYMBOL";
	case ExportType::unused_gpl:
		return "EXPORT_UNUSED_SYMBOL_GPL";
	}
	return "?";
}

Expected<Symvers> Symvers::load(const std::string &path)
{
	auto text = read_text_file(path);
	if (!text)
		return text.take_error();
	return parse(*text, path);
}

// Layouts by kernel version, told apart by where the export type sits:
//   < 5.4:      0x1234abcd  foo  vmlinux  EXPORT_SYMBOL
//   5.4 - 5.6:  0x1234abcd  foo  NS       drivers/x/y  EXPORT_SYMBOL_GPL
//   >= 5.7:     0x1234abcd  foo  drivers/x/y  EXPORT_SYMBOL_GPL  NS
// (the namespace field is present but empty for a symbol without one).
Expected<Symvers> Symvers::parse(std::string_view text, const std::string &origin)
{
	Symvers symvers;
	LineReader lines(text);
	std::string_view line;
	while (lines.next(line)) {
		if (is_blank(line))
			continue;
		auto f = split_exact(line, '\t');
		Export e;
		e.line = lines.number();
		uint64_t crc = 0;
		bool ok = (f.size() == 4 || f.size() == 5) && f[0].starts_with("0x") &&
			  parse_hex(f[0], crc) && crc <= UINT32_MAX && !f[1].empty();
		std::string_view module, ns;
		if (ok && f.size() == 4) {
			module = f[2];
			ok = parse_export_type(f[3], e.type);
		} else if (ok && parse_export_type(f[3], e.type)) {
			module = f[2];
			ns = f[4];
		} else if (ok) {
			ns = f[2];
			module = f[3];
			ok = parse_export_type(f[4], e.type);
		}
		if (!ok || module.empty() || split_whitespace(f[1]).size() != 1)
			return make_error("{}:{}: malformed line (expected "
					  "\"0x<crc>\\t<symbol>\\t<module>\\tEXPORT_SYMBOL[_GPL]"
					  "[\\t<namespace>]\")",
					  origin, lines.number());
		e.crc = uint32_t(crc);
		e.name = std::string(f[1]);
		e.module = std::string(module);
		e.objname = module == "vmlinux" ? "vmlinux" : objname_from_path(module);
		e.ns = std::string(ns);
		symvers.exports_.push_back(std::move(e));
	}
	symvers.by_name_.reserve(symvers.exports_.size());
	for (size_t i = 0; i < symvers.exports_.size(); i++) {
		const Export &e = symvers.exports_[i];
		auto [it, fresh] = symvers.by_name_.emplace(e.name, i);
		if (!fresh)
			return make_error("{}:{}: {} is exported twice (also at line {})", origin,
					  e.line, e.name, symvers.exports_[it->second].line);
	}
	return symvers;
}

const Export *Symvers::find(std::string_view name) const
{
	auto it = by_name_.find(name);
	return it == by_name_.end() ? nullptr : &exports_[it->second];
}

} // namespace klp::ksym
