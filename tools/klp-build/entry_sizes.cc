// Special-section entry sizes of the target kernel. create-diff-object walks
// `.altinstructions` and the other special sections entry by entry; the kernel's asm
// leaves their sh_entsize 0 and the entry layouts change between versions (struct
// alt_instr: 12 bytes in 6.1, 14 in 6.12; create-diff-object's own fallback is 6.1's).
// So klp-build gives it every size the objects do not state, measured by compiling
// sizeof(TYPE) against the target's headers, or taken from the user's --entry-size.
#include "entry_sizes.h"

#include "kbuild.h"
#include "make.h"
#include "proc/process.h"

#include "elf/object.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <set>

namespace fs = std::filesystem;

namespace klp::build {
namespace {

using arch::SpecialKind;
using arch::SpecialSection;

// The special sections of the target's architecture (run.arch, from the checks);
// x86_64's before the checks have read the config.
std::span<const SpecialSection> special_table(const KernelRun &run)
{
	return (run.arch ? run.arch : arch::find(EM_X86_64))->special_sections;
}

const SpecialSection *find_special(std::span<const SpecialSection> table, std::string_view name)
{
	for (const SpecialSection &s : table)
		if (s.name == name)
			return &s;
	return nullptr;
}

bool has_entries(const SpecialSection &s) { return s.kind != SpecialKind::WholeIfUsed && !s.entry_type.empty(); }

// "struct alt_instr" -> "klpkit_alt_instr": a file name kbuild builds.
std::string probe_name(std::string_view type)
{
	std::string name(type.starts_with("struct ") ? type.substr(7) : type);
	for (char &c : name)
		if (!isalnum(static_cast<unsigned char>(c)))
			c = '_';
	return "klpkit_" + name;
}

std::string header_of(std::span<const SpecialSection> table, std::string_view type)
{
	for (const SpecialSection &s : table)
		if (s.entry_type == type)
			return std::string(s.header);
	return "";
}

} // namespace

Expected<std::map<std::string, uint64_t>> sections_without_entsize(const std::string &object)
{
	auto obj = elf::Object::read(object, {.skip_debug_contents = true});
	if (!obj)
		return obj.take_error();
	std::map<std::string, uint64_t> out;
	const arch::Arch *a = arch::find((*obj)->machine);
	if (!a)
		return out;
	for (const auto &sec : (*obj)->sections) {
		const SpecialSection *s = find_special(a->special_sections, sec->name);
		if (s && has_entries(*s) && sec->entsize == 0 && sec->size() > 0)
			out[sec->name] = sec->size();
	}
	return out;
}

Expected<std::map<std::string, uint64_t>> measure_entry_types(const Options &opts, const KernelRun &run)
{
	std::vector<std::string_view> types;
	auto table = special_table(run);
	for (const SpecialSection &s : table)
		if (has_entries(s) && std::find(types.begin(), types.end(), s.entry_type) == types.end())
			types.push_back(s.entry_type);
	// The control: sizeof(int) compiles against any headers (below). x86_64's table
	// has it for its `.long` lists; arm64's has none.
	if (std::find(types.begin(), types.end(), "int") == types.end())
		types.push_back("int");
	Hasher key;
	key.add("klpkit entry sizes 1");
	key.add_file_bytes(run.headers + "/.config");
	key.add(run.release);
	key.add(run.cc_version);
	for (auto t : types) {
		key.add(t);
		key.add(header_of(table, t));
	}
	std::string cached = opts.cache_dir + "/entry-sizes/" + key.hex() + ".json";
	if (auto text = read_text(cached)) {
		auto j = nlohmann::json::parse(*text, nullptr, false);
		if (j.is_object())
			return j.get<std::map<std::string, uint64_t>>();
	}

	// One probe per type, so that a type this kernel lacks fails alone:
	//   #include <linux/module.h>
	//   #include <asm/alternative.h>
	//   char klpkit_entry_size[sizeof(struct alt_instr)];
	// The array's symbol size is the answer; nothing is linked or run.
	std::string dir = fs::absolute(run.work + "/entry-sizes").string();
	std::error_code ec;
	fs::remove_all(dir, ec);
	fs::create_directories(dir, ec);
	std::vector<std::string> args = {"-k"};
	for (auto t : types) {
		std::string name = probe_name(t);
		std::string header = header_of(table, t);
		KLP_TRY(write_text(dir + "/" + name + ".c",
				   fmt::format("#include <linux/module.h>\n{}char klpkit_entry_size[sizeof({})];\n",
					       header.empty() ? "" : "#include <" + header + ">\n", t)));
		args.push_back(name + ".o");
	}
	// Up to 5.x kbuild builds a single target only if the kbuild file names it
	// (5.10's Makefile.build filters KBUILD_SINGLE_TARGETS by $(targets)).
	KLP_TRY(write_text(dir + "/Kbuild", fmt::format("# klp-build: probes of the target's special-section "
							"entry sizes\nobj-m :=\ntargets += {}\n",
							fmt::join(args.begin() + 1, args.end(), " "))));
	Command make = module_make(opts, run, dir, args, "entry-sizes");
	// Failing probes are expected (-k builds the others); each object is the answer.
	klp::run(make);
	if (interrupted())
		return make_error("interrupted");

	std::map<std::string, uint64_t> sizes;
	for (auto t : types) {
		std::string o = dir + "/" + probe_name(t) + ".o";
		if (!fs::exists(o, ec))
			continue;
		auto obj = elf::Object::read(o, {.skip_debug_contents = true});
		if (!obj)
			return obj.take_error();
		const elf::Symbol *sym = (*obj)->find_symbol("klpkit_entry_size");
		if (!sym || !sym->size)
			return make_error("{}: no klpkit_entry_size symbol", o);
		sizes[std::string(t)] = sym->size;
	}
	// sizeof(int) compiles against any headers: without it the probe build itself
	// failed (no kbuild there?), and nothing is cached.
	if (!sizes.count("int"))
		return make_error("the probe build failed (see {})", make.log);
	fs::create_directories(opts.cache_dir + "/entry-sizes", ec);
	if (auto w = write_text(cached, nlohmann::json(sizes).dump() + "\n"); !w)
		return w.take_error();
	return sizes;
}

Status choose_entry_sizes(const Options &opts, KernelRun &run, const std::map<std::string, std::string> &needed,
			  const std::map<std::string, uint64_t> &measured)
{
	auto table = special_table(run);
	for (const auto &[name, rel] : needed) {
		const SpecialSection *s = find_special(table, name);
		if (!s)
			continue;
		if (auto it = opts.entry_sizes.find(name); it != opts.entry_sizes.end()) {
			run.entry_sizes[name] = {it->second, "--entry-size"};
		} else if (auto m = measured.find(std::string(s->entry_type)); m != measured.end()) {
			run.entry_sizes[name] = {m->second, fmt::format("sizeof({}) in {}", s->entry_type, run.headers)};
		} else {
			return refuse("entry-size",
				      fmt::format("{} has {}, but the target's headers ({}) define no {} to tell "
						  "the size of one entry{}; give it with --entry-size {}=BYTES",
						  rel, name, run.headers, s->entry_type,
						  s->header.empty() ? "" : fmt::format(" (looked in <{}>)", s->header),
						  name));
		}
		decide(opts, run, fmt::format("entry size of {}: {} bytes ({})", name, run.entry_sizes[name].bytes,
					      run.entry_sizes[name].from));
	}
	return std::nullopt;
}

Status find_entry_sizes(const Options &opts, KernelRun &run)
{
	run.entry_sizes.clear();
	// The special sections of the pairs that state no entry size.
	std::map<std::string, std::string> needed; // section -> an object that has it
	for (const auto &pair : run.objects) {
		if (!pair.changed)
			continue;
		for (const std::string *o : {&pair.diff_orig, &pair.diff_patched}) {
			auto secs = sections_without_entsize(o->empty() ? pair.orig : *o);
			if (!secs)
				return fail(secs.error());
			for (const auto &[name, size] : *secs)
				needed.emplace(name, pair.rel);
		}
	}
	bool measure = false;
	for (const auto &[name, rel] : needed)
		measure |= !opts.entry_sizes.count(name);
	std::map<std::string, uint64_t> measured;
	if (measure) {
		auto m = measure_entry_types(opts, run);
		if (!m)
			return fail("entry-size", fmt::format("cannot measure the special-section entries in {}: {}",
							      run.headers, m.error().message()));
		measured = *m;
	}
	if (auto st = choose_entry_sizes(opts, run, needed, measured))
		return st;
	if (!run.entry_sizes.empty()) {
		std::string list;
		for (const auto &[name, size] : run.entry_sizes)
			list += fmt::format("{}{} {}", list.empty() ? "" : ", ", name, size.bytes);
		note(opts, run, fmt::format("entry sizes: {} ({})", list,
					    measure ? "the target's headers" : "--entry-size"));
	}
	return std::nullopt;
}

} // namespace klp::build
