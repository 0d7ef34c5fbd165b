// kpatch_compat.h: kpatch-build's options, one by one, onto klp-build's.
#include "kpatch_compat.h"

#include <fmt/format.h>

#include <optional>
#include <regex>

namespace klp::build {
namespace {

struct Spec {
	char short_name; // 0: long only
	const char *long_name;
	bool takes_value;
};

constexpr Spec specs[] = {
	{'h', "help", false},          {'a', "archversion", true},   {'r', "sourcerpm", true},
	{'s', "sourcedir", true},      {'c', "config", true},        {'v', "vmlinux", true},
	{'j', "jobs", true},           {'t', "target", true},        {'n', "name", true},
	{'o', "output", true},         {'d', "debug", false},        {'e', "oot-module", true},
	{'R', "non-replace", false},   {0, "oot-module-src", true},  {0, "skip-cleanup", false},
	{0, "skip-compiler-check", false}, {0, "skip-gcc-check", false},
};

const Spec *find_short(char c)
{
	for (const Spec &s : specs)
		if (s.short_name == c)
			return &s;
	return nullptr;
}

const Spec *find_long(std::string_view name)
{
	for (const Spec &s : specs)
		if (name == s.long_name)
			return &s;
	return nullptr;
}

std::string option_name(const Spec &s)
{
	if (!s.short_name)
		return fmt::format("--{}", s.long_name);
	return fmt::format("-{}/--{}", s.short_name, s.long_name);
}

struct Parsed {
	std::vector<std::pair<const Spec *, std::string>> options; // in order
	std::vector<std::string> patches;
};

Expected<Parsed> parse(const std::vector<std::string> &args)
{
	Parsed out;
	for (size_t i = 0; i < args.size(); i++) {
		const std::string &a = args[i];
		if (a == "--") {
			out.patches.insert(out.patches.end(), args.begin() + long(i) + 1, args.end());
			break;
		}
		if (a.starts_with("--")) {
			std::string name = a.substr(2), value;
			bool inline_value = false;
			if (auto eq = name.find('='); eq != std::string::npos) {
				value = name.substr(eq + 1);
				name.erase(eq);
				inline_value = true;
			}
			const Spec *s = find_long(name);
			if (!s)
				return make_error("unknown option --{} (kpatch-build --help lists them)", name);
			if (s->takes_value && !inline_value) {
				if (i + 1 == args.size())
					return make_error("{} needs a value", option_name(*s));
				value = args[++i];
			} else if (!s->takes_value && inline_value) {
				return make_error("{} takes no value", option_name(*s));
			}
			out.options.emplace_back(s, value);
			continue;
		}
		if (a.size() > 1 && a[0] == '-') {
			// -dR, -j4, -j 4: a cluster of flags, the last of which may take a value.
			for (size_t k = 1; k < a.size(); k++) {
				const Spec *s = find_short(a[k]);
				if (!s)
					return make_error("unknown option -{} (kpatch-build --help lists them)", a[k]);
				if (!s->takes_value) {
					out.options.emplace_back(s, "");
					continue;
				}
				std::string value = a.substr(k + 1);
				if (value.empty()) {
					if (i + 1 == args.size())
						return make_error("{} needs a value", option_name(*s));
					value = args[++i];
				}
				out.options.emplace_back(s, value);
				break;
			}
			continue;
		}
		out.patches.push_back(a);
	}
	return out;
}

// "6.1.0-57-amd64" -> "6.1"
std::string series_of(const std::string &release)
{
	static const std::regex series(R"(^(\d+\.\d+))");
	std::smatch m;
	return std::regex_search(release, m, series) ? m[1].str() : "";
}

} // namespace

Expected<KpatchTranslation> translate_kpatch_build(const std::vector<std::string> &args,
						   const KpatchHost &host)
{
	auto parsed = parse(args);
	if (!parsed)
		return parsed.take_error();
	KpatchTranslation t;
	std::optional<std::string> release, source, vmlinux, oot_src;
	int debug = 0;
	std::vector<std::string> rest;
	for (const auto &[spec, value] : parsed->options) {
		std::string name = spec->long_name;
		if (name == "help") {
			t.help = true;
			return t;
		} else if (name == "archversion") {
			release = value;
		} else if (name == "sourcerpm") {
			return make_error("{} {}: RPM sources are not supported; extract the kernel source "
					  "and give -s DIR (or Debian's linux-source tarball)",
					  option_name(*spec), value);
		} else if (name == "skip-compiler-check" || name == "skip-gcc-check") {
			return make_error("{} is not supported: a livepatch must be compiled by the compiler "
					  "that built the target; give klp-build that compiler (CC=, or "
					  "--build-root auto for Debian's)",
					  option_name(*spec));
		} else if (name == "sourcedir") {
			source = value;
		} else if (name == "config") {
			rest.insert(rest.end(), {"-c", value});
		} else if (name == "vmlinux") {
			vmlinux = value;
		} else if (name == "jobs") {
			rest.insert(rest.end(), {"-j", value});
		} else if (name == "target") {
			t.notes.push_back(fmt::format("-t {}: ignored; klp-build compiles only the objects the "
						      "patches touch (the whole kernel only where a header "
						      "change needs it)",
						      value));
		} else if (name == "name") {
			rest.insert(rest.end(), {"-n", value});
		} else if (name == "output") {
			rest.insert(rest.end(), {"-o", value});
		} else if (name == "debug") {
			debug++;
		} else if (name == "oot-module") {
			rest.insert(rest.end(), {"--oot-module", value});
		} else if (name == "oot-module-src") {
			oot_src = value;
		} else if (name == "non-replace") {
			rest.push_back("--no-replace");
		} else if (name == "skip-cleanup") {
			rest.push_back("-T");
		}
	}
	if (parsed->patches.empty())
		return make_error("no patch given (kpatch-build [options] PATCH...)");

	// kpatch-build's target is the running kernel unless -a names another.
	std::string target = release.value_or(host.running_release);
	if (release)
		t.args.insert(t.args.end(), {"--release", *release});
	if (oot_src) {
		// For an out-of-tree module, kpatch-build's -s is the kernel build tree the
		// module is built against: klp-build's -k.
		t.args.insert(t.args.end(), {"--oot-module-src", *oot_src});
		if (source)
			t.args.insert(t.args.end(), {"-k", *source});
	} else if (source) {
		t.args.insert(t.args.end(), {"-s", *source});
	} else {
		// kpatch-build downloads the distribution's source; on Debian that is the
		// linux-source package's tarball.
		std::string series = series_of(target);
		std::string found;
		for (const char *ext : {"xz", "bz2", "gz"}) {
			std::string tar = fmt::format("/usr/src/linux-source-{}.tar.{}", series, ext);
			if (!series.empty() && host.exists(tar)) {
				found = tar;
				break;
			}
		}
		if (found.empty())
			return make_error("no kernel source: give -s SRC (a tree, or Debian's linux-source "
					  "tarball; klp-build does not download the distribution's source "
					  "as kpatch-build does){}",
					  series.empty() ? "" : fmt::format(", or install linux-source-{}", series));
		t.notes.push_back(fmt::format("no -s: the source is {}", found));
		t.args.insert(t.args.end(), {"-s", found});
	}
	if (vmlinux) {
		t.args.insert(t.args.end(), {"--vmlinux", *vmlinux});
	} else if (!oot_src && !target.empty()) {
		// Where the debug symbols packages put it: Debian's linux-image-*-dbg, then
		// Fedora's and RHEL's kernel-debuginfo.
		for (const std::string &path : {"/usr/lib/debug/boot/vmlinux-" + target,
						"/usr/lib/debug/lib/modules/" + target + "/vmlinux"}) {
			if (host.exists(path)) {
				t.notes.push_back(fmt::format("no -v: the symbols are {}", path));
				t.args.insert(t.args.end(), {"--vmlinux", path});
				break;
			}
		}
	}
	t.args.insert(t.args.end(), rest.begin(), rest.end());
	if (debug >= 1)
		t.args.push_back("--debug"); // keeps the work directory too, as -d does
	if (debug >= 2)
		t.args.push_back("-v");
	t.args.push_back("--");
	t.args.insert(t.args.end(), parsed->patches.begin(), parsed->patches.end());
	return t;
}

std::string kpatch_usage()
{
	return R"(usage: kpatch-build [options] PATCH...

kpatch-build's command line on klpkit's klp-build (see klp-build --help for all it
can do). The module is verified before it is written; exit status as klp-build's.
  -a, --archversion VER   the target kernel's release (default: the running one)
  -s, --sourcedir SRC     kernel source tree, or a linux-source tarball
                          (default: /usr/src/linux-source-X.Y.tar.* for VER);
                          with --oot-module-src, the kernel build tree the
                          module is built against (default /lib/modules/VER/build)
  -c, --config FILE       the target's .config
  -v, --vmlinux FILE      the target's vmlinux (default: the debug symbols
                          package's, /usr/lib/debug/boot/vmlinux-VER or
                          /usr/lib/debug/lib/modules/VER/vmlinux)
  -j, --jobs N            parallel jobs
  -t, --target TARGET     ignored: klp-build compiles only what the patches touch
  -n, --name NAME         module name
  -o, --output DIR        output directory
  -d, --debug             keep the work directory and print every decision
                          (twice: and the output of make and the tools)
  -e, --oot-module KO     out-of-tree module, as deployed on the target
  --oot-module-src DIR    its source directory
  -R, --non-replace       no atomic replace
  --skip-cleanup          keep the work directory (OUT/klp-tmp/)
Not supported (an error): -r/--sourcerpm, --skip-compiler-check.
)";
}

} // namespace klp::build
