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
	symvers.text_ = std::make_unique<const std::string>(text);
	text = *symvers.text_;
	// At most one export per 30 bytes ("0x00000000\tx\tvmlinux\tEXPORT_SYMBOL\n").
	symvers.records_.reserve(text.size() / 30);
	LineReader lines(text);
	std::string_view line;
	std::string_view f[5], name_fields[2];
	while (lines.next(line)) {
		if (is_blank(line))
			continue;
		size_t n = split_exact(line, '\t', f, 5);
		Record r{};
		r.line = lines.number();
		uint64_t crc = 0;
		bool ok = (n == 4 || n == 5) && f[0].starts_with("0x") &&
			  parse_hex(f[0], crc) && crc <= UINT32_MAX && !f[1].empty();
		if (ok && n == 4) {
			r.module = f[2];
			ok = parse_export_type(f[3], r.type);
		} else if (ok && parse_export_type(f[3], r.type)) {
			r.module = f[2];
			r.ns = f[4];
		} else if (ok) {
			r.ns = f[2];
			r.module = f[3];
			ok = parse_export_type(f[4], r.type);
		}
		if (!ok || r.module.empty() || split_whitespace(f[1], name_fields, 2) != 1)
			return make_error("{}:{}: malformed line (expected "
					  "\"0x<crc>\\t<symbol>\\t<module>\\tEXPORT_SYMBOL[_GPL]"
					  "[\\t<namespace>]\")",
					  origin, lines.number());
		r.crc = uint32_t(crc);
		r.name = f[1];
		symvers.records_.push_back(r);
	}
	symvers.by_name_.reserve(symvers.records_.size());
	for (size_t i = 0; i < symvers.records_.size(); i++) {
		const Record &r = symvers.records_[i];
		auto [it, fresh] = symvers.by_name_.emplace(r.name, i);
		if (!fresh)
			return make_error("{}:{}: {} is exported twice (also at line {})", origin,
					  r.line, r.name, symvers.records_[it->second].line);
	}
	return symvers;
}

Export Symvers::make(const Record &r) const
{
	Export e;
	e.name = std::string(r.name);
	e.module = std::string(r.module);
	e.objname = r.module == "vmlinux" ? "vmlinux" : objname_from_path(r.module);
	e.type = r.type;
	e.ns = std::string(r.ns);
	e.crc = r.crc;
	e.line = r.line;
	return e;
}

const std::vector<Export> &Symvers::exports() const
{
	if (exports_.size() != records_.size()) {
		exports_.reserve(records_.size());
		for (const Record &r : records_)
			exports_.push_back(make(r));
	}
	return exports_;
}

const Export *Symvers::find(std::string_view name) const
{
	auto it = by_name_.find(name);
	if (it == by_name_.end())
		return nullptr;
	if (exports_.size() == records_.size())
		return &exports_[it->second];
	if (auto made = made_.find(it->second); made != made_.end())
		return &made->second;
	return &made_.emplace(it->second, make(records_[it->second])).first->second;
}

} // namespace klp::ksym
