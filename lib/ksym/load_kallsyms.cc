// Loads SymbolTable objects from a /proc/kallsyms dump: vmlinux lines
// ("ffffffff81000000 T _stext") and module lines ("ffffffffc0a01000 t foo\t[mod]"),
// one object per module in order of appearance. A dump is the kernel's own view, so
// every line counts; it has no sizes, files or sections.
#include "ksym/symbol_table.h"
#include "ksym/text_input.h"

#include <cctype>

namespace klp::ksym {
namespace {

// nm letters: lower case local, upper case global; 'w'/'W'/'v'/'V' weak. For
// vmlinux lines; a module's case means something else (below).
void bind_and_type(char letter, KernelSymbol &sym)
{
	char up = char(std::toupper(static_cast<unsigned char>(letter)));
	if (up == 'W' || up == 'V')
		sym.bind = STB_WEAK;
	else
		sym.bind = std::islower(static_cast<unsigned char>(letter)) ? STB_LOCAL : STB_GLOBAL;
	// `A`/`a` is how kallsyms lists per-cpu symbols, and its case says nothing of
	// the binding: x86_64 vmlinux lists all of them as `A` (scripts/kallsyms makes
	// per-cpu symbols absolute), e.g. `0000000000030b60 A flush_works` for net/core/
	// dev.c's `static DEFINE_PER_CPU(struct work_struct, flush_works)`; a module
	// lists its per-cpu symbols as `a` (kernel/module/kallsyms.c), extern or not.
	// `?` is nm's "unknown": System.map has it for linker-script symbols such
	// as `__nosave_begin` on some configs.
	if (up == 'A' || letter == '?')
		sym.bind_known = false;
	switch (up) {
	case 'T':
		sym.type = STT_FUNC;
		break;
	case 'D':
	case 'B':
	case 'R':
	case 'V':
	case 'G':
	case 'S':
		sym.type = STT_OBJECT;
		break;
	default:
		sym.type = STT_NOTYPE;
	}
}

struct Pending {
	std::string name;
	std::vector<KernelSymbol> symbols;
};

} // namespace

Expected<void> SymbolTable::add_kallsyms(const std::string &path)
{
	auto text = read_text_file(path);
	if (!text)
		return text.take_error();
	return add_kallsyms_text(*text, path);
}

Expected<void> SymbolTable::add_kallsyms_text(std::string_view text, const std::string &origin)
{
	std::vector<Pending> pending; // vmlinux and modules, in order of first line
	std::unordered_map<std::string, size_t> index;
	bool any_address = false;
	size_t count = 0;

	// The last line's module field and its object: a dump lists each object's
	// symbols together, so the name is looked up once per object, not per line.
	std::string_view last_field;
	size_t last_object = SIZE_MAX;
	LineReader lines(text);
	std::string_view line;
	std::string_view f[4];
	while (lines.next(line)) {
		// "ffffffff81000000 T _stext": the address and letter in their places
		// spare splitting most of the line. Else (or if the address is not 16
		// characters), split it all.
		size_t n;
		uint64_t address = 0;
		bool hex = false;
		auto blank = [](char c) { return c == ' ' || c == '\t'; };
		if (line.size() >= 20 && line[16] == ' ' && !blank(line[17]) && line[18] == ' ' &&
		    !blank(line[19]) && parse_hex(line.substr(0, 16), address)) {
			f[0] = line.substr(0, 16);
			f[1] = line.substr(17, 1);
			n = 2 + split_whitespace(line.substr(19), f + 2, 2);
			hex = true;
		} else {
			n = split_whitespace(line, f, 4);
			hex = n >= 3 && f[0].size() <= 16 && parse_hex(f[0], address);
		}
		if (n == 0)
			continue; // blank
		bool ok = (n == 3 || n == 4) && hex && !f[0].starts_with("0x") && f[1].size() == 1 &&
			  (std::isalpha(static_cast<unsigned char>(f[1][0])) || f[1][0] == '?');
		std::string_view field = n == 4 ? f[3] : std::string_view();
		if (ok && n == 4)
			ok = f[3].size() > 2 && f[3].front() == '[' && f[3].back() == ']';
		if (!ok)
			return make_error("{}:{}: malformed line (expected \"<hex address> <type "
					  "letter> <name> [\\t[<module>]]\")",
					  origin, lines.number());
		if (last_object == SIZE_MAX || field != last_field) {
			std::string objname =
				n == 4 ? normalize_objname(f[3].substr(1, f[3].size() - 2)) : "vmlinux";
			auto [it, fresh] = index.try_emplace(objname, pending.size());
			if (fresh) {
				pending.push_back({objname, {}});
				// At most one symbol per 20 bytes of dump ("ffffffff81000000 T x\n"
				// is 21): reserved, not touched.
				if (pending.size() == 1)
					pending.back().symbols.reserve(text.size() / 20);
			}
			last_field = field;
			last_object = it->second;
		}
		auto &syms = pending[last_object].symbols;
		KernelSymbol &sym = syms.emplace_back();
		sym.name = f[2]; // into `text`; stored by the object below
		sym.address = address;
		sym.letter = f[1][0];
		bind_and_type(sym.letter, sym);
		// A module's letter is upper case when the symbol is exported, lower case
		// otherwise (kernel/kallsyms.c s_show), whatever its binding: an extern
		// but unexported `probe` of a module is listed as `t probe\t[mod]`.
		if (n == 4 && sym.bind == STB_LOCAL)
			sym.bind_known = false;
		sym.views = all_views;
		sym.order = syms.size() - 1;
		any_address |= address != 0;
		count++;
	}
	if (count == 0)
		return make_error("{}: {} (expected a /proc/kallsyms dump)", origin,
				  text.empty() ? "the file is empty" : "no symbols");
	// With kptr_restrict, an unprivileged read of /proc/kallsyms shows 0 for every
	// address. The per-CPU symbols of x86_64 sit at small addresses (even 0), so only
	// an all-zero dump is refused.
	if (!any_address)
		return make_error("{}: every address is 0: dumped without privilege (read "
				  "/proc/kallsyms as root); sympos needs real addresses for ordering",
				  origin);
	// All or nothing: check every name before adding any object.
	for (const Pending &p : pending)
		if (const KernelObject *prev = object(p.name))
			return make_error("{}: object {} is already loaded from {}", origin, p.name,
					  prev->path);
	for (Pending &p : pending) {
		auto begun = begin_object(p.name, origin, SymbolSource::kallsyms);
		if (!begun)
			return begun.take_error();
		KernelObject *obj = *begun;
		obj->symbols = std::move(p.symbols);
		for (KernelSymbol &sym : obj->symbols)
			sym.name = obj->store_name(sym.name);
		finish_object(obj);
	}
	return success();
}

} // namespace klp::ksym
