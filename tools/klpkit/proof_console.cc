// Judging a proof boot's console: the markers the guest's /init prints around each
// step (prove.cc writes it), kernel splats anywhere, and the taint the run added.
// It reads text only; booting is prove.cc's.
#include "prove.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdlib>
#include <sstream>

namespace klp::klpkit {
namespace {

constexpr std::string_view marker = "KLPKIT-PROVE ";

// Lines the kernel prints when something went wrong in it. "Unpatched return thunk"
// is x86's warning for code that returns through a thunk it has not patched (a
// module built without the kernel's mitigations).
constexpr std::string_view splats[] = {"Call Trace", "WARNING:", "BUG:", "Oops", "Kernel panic",
				       "Unpatched return thunk", "general protection fault"};

// kernel/panic.c taint_flags: bit -> letter and what it says. A proof expects K
// (a livepatch), O (out of tree) and E (unsigned): what loading its modules sets.
struct TaintFlag {
	char letter;
	const char *meaning;
};
constexpr TaintFlag taint_flags[] = {
	{'P', "proprietary module"}, {'F', "forced module load"}, {'S', "SMP unsafe"},
	{'R', "forced module unload"}, {'M', "machine check"}, {'B', "bad page"},
	{'U', "taint requested by user space"}, {'D', "kernel died (oops)"}, {'A', "ACPI table overridden"},
	{'W', "warning"}, {'C', "staging driver"}, {'I', "firmware workaround"},
	{'O', "out-of-tree module"}, {'E', "unsigned module"}, {'L', "soft lockup"},
	{'K', "livepatch"}, {'X', "auxiliary taint"}, {'T', "struct randomization"},
	{'N', "in-kernel test"},
};
constexpr unsigned long expected_taint = 1ul << 12 | 1ul << 13 | 1ul << 15;

} // namespace

std::vector<std::string> find_splats(std::string_view text, size_t most)
{
	std::vector<std::string> found;
	std::istringstream in{std::string(text)};
	for (std::string line; std::getline(in, line) && found.size() < most;) {
		if (!line.empty() && line.back() == '\r')
			line.pop_back();
		for (std::string_view s : splats)
			if (line.find(s) != std::string::npos) {
				found.push_back(line);
				break;
			}
	}
	return found;
}

namespace {

std::string taint_letters(unsigned long bits, bool with_meaning)
{
	std::string out;
	for (unsigned i = 0; i < std::size(taint_flags); i++) {
		if (!(bits >> i & 1))
			continue;
		if (with_meaning)
			out += fmt::format("{}{} ({})", out.empty() ? "" : ", ", taint_flags[i].letter,
					   taint_flags[i].meaning);
		else
			out += taint_flags[i].letter;
	}
	if (bits >> std::size(taint_flags))
		out += with_meaning ? fmt::format("{}bits {:#x}", out.empty() ? "" : ", ",
						  bits >> std::size(taint_flags) << std::size(taint_flags))
				    : "?";
	return out;
}

// "uptime=1.23" and the like, from a marker line's words.
std::optional<std::string> field(std::string_view line, std::string_view key)
{
	std::string k = std::string(key) + "=";
	size_t at = line.find(k);
	if (at == std::string_view::npos)
		return std::nullopt;
	size_t end = line.find(' ', at);
	return std::string(line.substr(at + k.size(), end == std::string_view::npos ? end : end - at - k.size()));
}

double number(const std::optional<std::string> &s) { return s ? std::strtod(s->c_str(), nullptr) : 0; }

} // namespace

Proof judge_console(std::string_view console, const std::vector<std::string> &expected_steps)
{
	Proof p;
	std::vector<ProofStep> steps(expected_steps.size());
	std::vector<double> begun(expected_steps.size(), -1);
	for (size_t i = 0; i < steps.size(); i++)
		steps[i].name = expected_steps[i];
	std::optional<double> booted;
	std::optional<unsigned long> taint_before, taint_after;
	bool done = false;
	std::vector<std::string> splat_lines;
	std::istringstream in{std::string(console)};
	for (std::string line; std::getline(in, line);) {
		if (!line.empty() && line.back() == '\r')
			line.pop_back();
		size_t at = line.find(marker);
		if (at != std::string::npos) {
			std::string_view m = std::string_view(line).substr(at + marker.size());
			auto word_end = m.find(' ');
			std::string_view word = m.substr(0, word_end);
			std::string_view rest = word_end == std::string_view::npos ? "" : m.substr(word_end + 1);
			size_t index = std::strtoul(std::string(rest).c_str(), nullptr, 10);
			if (word == "BOOTED") {
				booted = number(field(rest, "uptime"));
				taint_before = std::strtoul(field(rest, "taint").value_or("0").c_str(), nullptr, 10);
			} else if (word == "BEGIN" && index < steps.size()) {
				begun[index] = number(field(rest, "uptime"));
			} else if (word == "END" && index < steps.size()) {
				steps[index].status = std::atoi(field(rest, "rc").value_or("-1").c_str());
				steps[index].seconds = number(field(rest, "uptime")) - std::max(begun[index], 0.0);
			} else if (word == "OUT" && index < steps.size()) {
				size_t text = rest.find(' ');
				steps[index].output.emplace_back(text == std::string_view::npos ? "" : rest.substr(text + 1));
				continue; // what a step prints is its own, not the kernel's
			} else if (word == "TAINT") {
				taint_after = std::strtoul(field(rest, "taint").value_or("0").c_str(), nullptr, 10);
			} else if (word == "DONE") {
				done = true;
			}
			continue;
		}
		if (splat_lines.size() < 5)
			for (auto &s : find_splats(line, 1))
				splat_lines.push_back(s);
	}

	if (!booted) {
		p.failures.push_back("the guest never ran its /init: the kernel did not boot (see the console)");
	} else {
		ProofStep boot{"boot", 0, *booted, {}};
		p.steps.push_back(boot);
	}
	for (size_t i = 0; i < steps.size(); i++) {
		if (begun[i] < 0)
			continue; // not run: an earlier step failed
		if (!steps[i].status)
			p.failures.push_back(fmt::format("{}: never ended (the guest died or hung in it)", steps[i].name));
		else if (*steps[i].status != 0)
			p.failures.push_back(fmt::format("{}: failed (exit status {}){}", steps[i].name, *steps[i].status,
							 steps[i].output.empty() ? "" : ": " + steps[i].output.back()));
		p.steps.push_back(steps[i]);
	}
	if (booted && !done)
		p.failures.push_back("no final marker: the guest crashed, hung or ran out of time");
	if (!splat_lines.empty())
		p.failures.push_back(fmt::format("kernel splat on the console: {}", splat_lines.front()));
	if (taint_before && taint_after) {
		unsigned long added = *taint_after & ~*taint_before;
		p.taint = taint_letters(added, false);
		if (added & ~expected_taint)
			p.failures.push_back(fmt::format("the kernel was tainted: {}",
							 taint_letters(added & ~expected_taint, true)));
	}
	return p;
}

std::string format_proof(const Proof &p, const ProofStyle &style)
{
	auto paint = [&](const char *sgr, const std::string &word) {
		return style.colour ? fmt::format("\033[{}m{}\033[0m", sgr, word) : word;
	};
	std::string out;
	if (!style.quiet)
		out += fmt::format("klpkit prove: {} in {} ({}, {})\n", p.module, p.release.empty() ? "?" : p.release,
				   p.kernel, p.accel);
	for (const auto &n : p.notes)
		out += style.quiet ? "" : "  note: " + n + "\n";
	for (const auto &s : p.steps) {
		if (style.quiet)
			break;
		std::string state = !s.status		    ? paint("1;31", "did not end")
				    : *s.status == 0 ? paint("32", "ok")
						     : paint("1;31", fmt::format("exit {}", *s.status));
		out += fmt::format("  {:<40} {:6.2f} s  {}\n", s.name, s.seconds, state);
		if (s.status && *s.status != 0)
			for (const auto &l : s.output)
				out += "    | " + l + "\n";
	}
	if (!p.taint.empty() && !style.quiet)
		out += fmt::format("  taint added: {} (K livepatch, O out-of-tree, E unsigned are expected)\n", p.taint);
	for (const auto &f : p.failures)
		out += "  " + paint("1;31", "FAILED") + ": " + f + "\n";
	out += fmt::format("{}: {} in {} ({:.1f} s); console: {}\n", p.module,
			   p.proved() ? paint("1;32", "proved") : paint("1;31", "NOT proved"),
			   p.release.empty() ? p.kernel : p.release, p.wall_seconds,
			   p.log.empty() ? "(not kept)" : p.log);
	return out;
}

std::string proof_json(const Proof &p)
{
	nlohmann::ordered_json j;
	j["module"] = p.module;
	j["kernel"] = p.kernel;
	j["release"] = p.release;
	j["accel"] = p.accel;
	j["proved"] = p.proved();
	j["steps"] = nlohmann::ordered_json::array();
	for (const auto &s : p.steps) {
		nlohmann::ordered_json step;
		step["name"] = s.name;
		step["status"] = s.status ? nlohmann::ordered_json(*s.status) : nlohmann::ordered_json(nullptr);
		step["seconds"] = std::round(s.seconds * 1000) / 1000;
		step["output"] = s.output;
		j["steps"].push_back(step);
	}
	j["taint"] = p.taint;
	j["failures"] = p.failures;
	j["notes"] = p.notes;
	j["console"] = p.log;
	j["seconds"] = std::round(p.wall_seconds * 10) / 10;
	return j.dump(2) + "\n";
}

} // namespace klp::klpkit
