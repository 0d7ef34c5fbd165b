// Planning and writing #line directives for a patched .c file. The lexer here knows
// only what decides where a directive may stand (line splices, comments, string and
// character literals, parentheses, #if nesting); it does not preprocess.
#include "line_directives.h"

#include "kbuild.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <filesystem>

namespace fs = std::filesystem;

namespace klp::build {
namespace {

// The lines of `text`, each with its line ending; a last line without one counts.
std::vector<std::string_view> split_lines(std::string_view text)
{
	std::vector<std::string_view> lines;
	size_t start = 0;
	while (start < text.size()) {
		size_t nl = text.find('\n', start);
		size_t end = nl == std::string_view::npos ? text.size() : nl + 1;
		lines.push_back(text.substr(start, end - start));
		start = end;
	}
	return lines;
}

std::string_view without_eol(std::string_view line)
{
	while (!line.empty() && (line.back() == '\n' || line.back() == '\r'))
		line.remove_suffix(1);
	return line;
}

std::string_view eol_of(std::string_view line)
{
	if (line.ends_with("\r\n"))
		return "\r\n";
	return "\n";
}

// What a preprocessor conditional line does to the nesting.
enum class Cond { none, open, alternative, close };

struct LineFacts {
	bool safe = false; // a directive may stand just before this line
	Cond cond = Cond::none;
	int depth = 0; // #if nesting before this line
};

Cond conditional_of(std::string_view line)
{
	size_t k = line.find_first_not_of(" \t");
	if (k == std::string_view::npos || line[k] != '#')
		return Cond::none;
	k = line.find_first_not_of(" \t", k + 1);
	if (k == std::string_view::npos)
		return Cond::none;
	size_t end = k;
	auto ident = [](char ch) { return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_'; };
	while (end < line.size() && ident(line[end]))
		end++;
	std::string_view word = line.substr(k, end - k);
	if (word == "if" || word == "ifdef" || word == "ifndef")
		return Cond::open;
	if (word == "else" || word == "elif" || word == "elifdef" || word == "elifndef")
		return Cond::alternative;
	if (word == "endif")
		return Cond::close;
	return Cond::none;
}

bool is_directive_line(std::string_view line)
{
	size_t k = line.find_first_not_of(" \t");
	return k != std::string_view::npos && line[k] == '#';
}

// Translation phase 2 joins a line ending in a backslash with the next one, whatever
// the backslash is part of (gcc also accepts blanks between it and the newline).
bool ends_in_splice(std::string_view line)
{
	size_t k = line.find_last_not_of(" \t\r\n");
	return k != std::string_view::npos && line[k] == '\\';
}

std::vector<LineFacts> scan_lines(const std::vector<std::string_view> &lines)
{
	enum class In { code, block_comment, line_comment, string, character };
	std::vector<LineFacts> facts(lines.size());
	In in = In::code;
	bool spliced = false; // the previous line ended in a backslash
	bool in_directive = false; // on the logical line of a # directive
	int parens = 0;
	int depth = 0;
	for (size_t i = 0; i < lines.size(); i++) {
		std::string_view line = without_eol(lines[i]);
		LineFacts &f = facts[i];
		f.depth = depth;
		bool logical_start = !spliced && in == In::code;
		f.safe = logical_start && parens == 0;
		if (logical_start && is_directive_line(line)) {
			in_directive = true;
			f.cond = conditional_of(line);
			if (f.cond == Cond::open)
				depth++;
			else if (f.cond == Cond::close)
				depth = std::max(0, depth - 1);
		}
		for (size_t c = 0; c < line.size(); c++) {
			char ch = line[c];
			char next = c + 1 < line.size() ? line[c + 1] : '\0';
			switch (in) {
			case In::code:
				if (ch == '/' && next == '*') {
					in = In::block_comment;
					c++;
				} else if (ch == '/' && next == '/') {
					in = In::line_comment;
					c = line.size();
				} else if (ch == '"') {
					in = In::string;
				} else if (ch == '\'') {
					in = In::character;
				} else if (!in_directive) {
					// A directive's own parentheses (#if defined(X)) stay on its line.
					if (ch == '(')
						parens++;
					else if (ch == ')' && parens > 0)
						parens--;
				}
				break;
			case In::block_comment:
				if (ch == '*' && next == '/') {
					in = In::code;
					c++;
				}
				break;
			case In::line_comment:
				c = line.size();
				break;
			case In::string:
			case In::character:
				if (ch == '\\')
					c++;
				else if (ch == (in == In::string ? '"' : '\''))
					in = In::code;
				break;
			}
		}
		spliced = ends_in_splice(line);
		if (!spliced) {
			// A // comment ends with its line; an unterminated literal too (an
			// apostrophe in `#error don't`).
			if (in != In::block_comment)
				in = In::code;
			in_directive = false;
		}
	}
	return facts;
}

// "-12,3" -> {12, 3}; "-12" -> {12, 1}.
bool parse_range(std::string_view s, size_t &start, size_t &count)
{
	size_t comma = s.find(',');
	std::string_view a = s.substr(0, comma);
	count = 1;
	if (std::from_chars(a.data(), a.data() + a.size(), start).ec != std::errc())
		return false;
	if (comma == std::string_view::npos)
		return true;
	std::string_view b = s.substr(comma + 1);
	return std::from_chars(b.data(), b.data() + b.size(), count).ec == std::errc();
}

std::string c_string_literal(std::string_view s)
{
	std::string out = "\"";
	for (char ch : s) {
		if (ch == '"' || ch == '\\')
			out += '\\';
		out += ch;
	}
	return out + "\"";
}

} // namespace

Expected<std::vector<ChangedLines>> changed_lines(std::string_view diff)
{
	std::vector<ChangedLines> runs;
	size_t old_left = 0, new_left = 0; // lines of the current hunk still to come
	size_t old_next = 0, new_next = 0; // their numbers
	bool open = false;
	ChangedLines run;
	auto close = [&] {
		if (!open)
			return;
		// A side with no lines names the line before the run.
		if (run.old_count == 0)
			run.old_start--;
		if (run.new_count == 0)
			run.new_start--;
		runs.push_back(run);
		open = false;
	};
	auto start = [&] {
		if (open)
			return;
		run = {old_next, 0, new_next, 0};
		open = true;
	};
	size_t lineno = 0;
	for (std::string_view raw : split_lines(diff)) {
		lineno++;
		std::string_view line = without_eol(raw);
		if (old_left == 0 && new_left == 0) {
			close();
			if (!line.starts_with("@@ -"))
				continue;
			size_t plus = line.find(" +", 4);
			size_t end = plus == std::string_view::npos ? plus : line.find(" @@", plus);
			size_t old_start = 0, new_start = 0;
			if (end == std::string_view::npos ||
			    !parse_range(line.substr(4, plus - 4), old_start, old_left) ||
			    !parse_range(line.substr(plus + 2, end - plus - 2), new_start, new_left))
				return make_error("line {}: cannot read the hunk header '{}'", lineno, line);
			old_next = old_left ? old_start : old_start + 1;
			new_next = new_left ? new_start : new_start + 1;
			continue;
		}
		// Some mailers drop the blank of an empty context line.
		char kind = line.empty() ? ' ' : line[0];
		if (kind == '\\')
			continue; // "\ No newline at end of file"
		if ((kind == ' ' && (old_left == 0 || new_left == 0)) || (kind == '-' && old_left == 0) ||
		    (kind == '+' && new_left == 0) || (kind != ' ' && kind != '-' && kind != '+'))
			return make_error("line {}: the hunk has more lines than its header says", lineno);
		if (kind == ' ') {
			close();
			old_next++, new_next++;
			old_left--, new_left--;
		} else if (kind == '-') {
			start();
			run.old_count++;
			old_next++, old_left--;
		} else {
			start();
			run.new_count++;
			new_next++, new_left--;
		}
	}
	if (old_left || new_left)
		return make_error("the last hunk ends early ({} original and {} new lines missing)",
				  old_left, new_left);
	close();
	return runs;
}

Expected<std::vector<LineDirective>> plan_line_directives(std::string_view patched,
							  const std::vector<ChangedLines> &runs)
{
	std::vector<std::string_view> lines = split_lines(patched);
	const size_t n = lines.size();
	// For each line of the patched text: changed, or its number in the original.
	std::vector<bool> changed(n, false);
	std::vector<bool> change_before(n + 1, false); // lines were removed just before it
	std::vector<size_t> orig(n, 0);
	size_t new_next = 0, old_next = 0; // 0-based, first line after the previous run
	for (const ChangedLines &r : runs) {
		size_t nb = r.new_count ? r.new_start - 1 : r.new_start;
		size_t ob = r.old_count ? r.old_start - 1 : r.old_start;
		if ((r.new_count && r.new_start == 0) || (r.old_count && r.old_start == 0) ||
		    nb < new_next || ob < old_next || nb - new_next != ob - old_next ||
		    nb + r.new_count > n)
			return make_error("the changes (line {} of the original, {} of the patched "
					  "file) do not fit a file of {} lines",
					  r.old_start, r.new_start, n);
		for (size_t i = new_next; i < nb; i++)
			orig[i] = old_next + (i - new_next) + 1;
		for (size_t i = nb; i < nb + r.new_count; i++)
			changed[i] = true;
		if (r.new_count == 0)
			change_before[nb] = true;
		new_next = nb + r.new_count;
		old_next = ob + r.old_count;
	}
	for (size_t i = new_next; i < n; i++)
		orig[i] = old_next + (i - new_next) + 1;

	std::vector<LineFacts> facts = scan_lines(lines);
	std::vector<LineDirective> dirs;
	bool wanted = false; // a change since the last directive
	bool forced = false; // wanted after an #else or #endif: see below
	int hidden = 0; // #if levels 1..hidden enclose a directive the preprocessor may skip
	size_t presumed = 1; // the number the compiler gives line i
	for (size_t i = 0; i < n; i++, presumed++) {
		const LineFacts &f = facts[i];
		if (change_before[i])
			wanted = true;
		if (wanted && !changed[i] && f.safe) {
			// Nothing to say when the number is already right, unless an earlier
			// directive may have been skipped (then `presumed` may be wrong).
			if (presumed != orig[i] || forced || hidden > 0) {
				dirs.push_back({i + 1, orig[i]});
				presumed = orig[i];
				hidden = std::max(hidden, f.depth);
			}
			wanted = forced = false;
		}
		if (changed[i])
			wanted = true;
		// `#ifdef X` ... directive ... `#else` / `#endif`: with X undefined the
		// directive was skipped, and the lines after the #else or #endif need one.
		if (f.depth >= 1 && f.depth <= hidden) {
			if (f.cond == Cond::alternative)
				wanted = forced = true;
			if (f.cond == Cond::close) {
				wanted = forced = true;
				hidden = f.depth - 1;
			}
		}
	}
	return dirs;
}

std::string line_directive(size_t line, std::string_view file)
{
	return fmt::format("#line {} {}", line, c_string_literal(file));
}

std::string with_line_directives(std::string_view patched, const std::vector<LineDirective> &dirs,
				 std::string_view file)
{
	std::vector<std::string_view> lines = split_lines(patched);
	std::string out;
	out.reserve(patched.size() + dirs.size() * (file.size() + 16));
	size_t d = 0;
	for (size_t i = 0; i < lines.size(); i++) {
		for (; d < dirs.size() && dirs[d].before == i + 1; d++)
			out += line_directive(dirs[d].line, file) + std::string(eol_of(lines[i]));
		out += lines[i];
	}
	return out;
}

std::string line_directive_patch(std::string_view path, std::string_view patched,
				 const std::vector<LineDirective> &dirs, std::string_view file)
{
	if (dirs.empty())
		return "";
	constexpr size_t context = 3;
	std::vector<std::string_view> lines = split_lines(patched);
	const size_t n = lines.size();
	std::string out = fmt::format("--- a/{}\n+++ b/{}\n", path, path);
	size_t added_before = 0; // directives in earlier hunks
	for (size_t d = 0; d < dirs.size();) {
		// One hunk: the directives whose context windows touch, and the lines around.
		size_t first = dirs[d].before - 1; // 0-based line the directive precedes
		size_t begin = first > context ? first - context : 0;
		size_t last_d = d;
		while (last_d + 1 < dirs.size() &&
		       dirs[last_d + 1].before <= dirs[last_d].before + 2 * context)
			last_d++;
		size_t end = std::min(n, dirs[last_d].before - 1 + context);
		size_t count = last_d - d + 1;
		out += fmt::format("@@ -{},{} +{},{} @@\n", begin + 1, end - begin, begin + 1 + added_before,
				   end - begin + count);
		for (size_t i = begin; i < end; i++) {
			for (; d <= last_d && dirs[d].before - 1 == i; d++)
				out += "+" + line_directive(dirs[d].line, file) + std::string(eol_of(lines[i]));
			out += " ";
			out += lines[i];
			if (!lines[i].ends_with('\n'))
				out += "\n\\ No newline at end of file\n";
		}
		added_before += count;
		d = last_d + 1;
	}
	return out;
}

std::optional<std::string> compiler_file_name(const std::string &dir_in, const std::string &rel,
					      const std::vector<std::string> &sources,
					      const std::string &as_dir)
{
	std::string dir = dir_in;
	while (dir.size() > 1 && dir.back() == '/')
		dir.pop_back();
	auto full = [&](const std::string &s) {
		fs::path p(s);
		return (p.is_absolute() ? p : fs::path(dir) / p).lexically_normal();
	};
	auto rebase = [&](std::string name) {
		if (!as_dir.empty() && name.starts_with(dir + "/"))
			name = as_dir + name.substr(dir.size());
		return name;
	};
	const fs::path want = (fs::path(dir) / rel).lexically_normal();
	for (const std::string &s : sources)
		if (full(s) == want)
			return rebase(s);
	// `#include "rt.c"` in kernel/sched/build_policy.c: gcc names the file after the
	// includer's directory as it was spelled, "kernel/sched/rt.c".
	for (const std::string &s : sources) {
		auto text = read_text(full(s).string());
		if (!text)
			continue;
		size_t slash = s.rfind('/');
		std::string spelled_dir = slash == std::string::npos ? "" : s.substr(0, slash + 1);
		for (std::string_view line : split_lines(*text)) {
			line = without_eol(line);
			size_t k = line.find_first_not_of(" \t");
			if (k == std::string_view::npos || line[k] != '#')
				continue;
			k = line.find_first_not_of(" \t", k + 1);
			if (k == std::string_view::npos || line.substr(k, 7) != "include")
				continue;
			size_t open = line.find('"', k + 7);
			size_t close = open == std::string_view::npos ? open : line.find('"', open + 1);
			if (close == std::string_view::npos)
				continue;
			std::string name(line.substr(open + 1, close - open - 1));
			if ((full(s).parent_path() / name).lexically_normal() == want)
				return rebase(spelled_dir + name);
		}
	}
	return std::nullopt;
}

} // namespace klp::build
