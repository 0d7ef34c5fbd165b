// objtool where kbuild runs it on a link. klp-build compiles single objects and links
// nothing, so an object whose objtool output kbuild only makes on vmlinux.o or on a
// module's link would reach the diff without ORC, return sites or call sites, and the
// new code would run with unpatched return thunks. This pass runs objtool, with the
// arguments kbuild gives that code, on copies of both sides of such a pair before the
// diff. Which entries the livepatch keeps is create-diff-object's business.
#include "objtool.h"

#include "arch/arch.h"

#include "kbuild.h"
#include "make.h"

#include "elf/object.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <filesystem>
#include <sstream>

namespace fs = std::filesystem;

namespace klp::build {
namespace {

bool is_y(const std::map<std::string, std::string> &config, const char *key)
{
	auto it = config.find(key);
	return it != config.end() && it->second == "y";
}

std::vector<std::string> words(const std::string &text)
{
	std::vector<std::string> out;
	std::istringstream in(text);
	std::string w;
	while (in >> w)
		out.push_back(w);
	return out;
}

std::string parent_dir(const std::string &path)
{
	auto slash = path.rfind('/');
	return slash == std::string::npos ? "." : path.substr(0, slash);
}

// The kernel's arch directory, $(SRCARCH), which kbuild exports to objtool: Debian's
// headers package ships tools/objtool/objtool as a wrapper that runs
// objtool.real-$SRCARCH. The architectures objtool supports.
std::string srcarch(const std::map<std::string, std::string> &config)
{
	std::string dir = arch::config_srcarch(config);
	return dir == "x86" || dir == "powerpc" || dir == "loongarch" ? dir : "";
}

} // namespace

// Where kbuild runs objtool (scripts/Makefile.build, Makefile.lib, Makefile.vmlinux_o;
// the same in 6.1 and 6.12):
// - no CONFIG_OBJTOOL (CONFIG_STACK_VALIDATION before 5.19): nowhere;
// - CONFIG_OBJTOOL alone (Debian 6.1): on every object as it is compiled,
//   `$(obj)/%.o: objtool-enabled = y`: fs/proc/cmdline.o comes out of the compiler
//   with .orc_unwind, .return_sites, ... and create-diff-object keeps the entries of
//   the functions it takes. CONFIG_NOINSTR_VALIDATION adds a run on vmlinux.o that
//   only checks (--noinstr), it writes nothing.
// - with X86_KERNEL_IBT or LTO_CLANG ("delay-objtool", Debian 6.12 has IBT):
//   objtool needs the whole link (`--link`), so it runs on
//     vmlinux.o for built-in code (fs/proc/cmdline.o, Makefile.vmlinux_o),
//     the module's link for a part of a multi-object module (fs/fat/namei_vfat.o
//       of vfat.ko: `$(multi-obj-m): objtool-enabled := $(delay-objtool)`),
//     the object itself only for a single-object module (fs/binfmt_misc.o:
//       `$(if $(delay-objtool),$(is-single-obj-m),y)`).
//   klp-build links neither vmlinux.o nor the parent module, so for the first two
//   it runs objtool itself, as kbuild would on that link: on the original and the
//   patched object alike (the diff then compares like with like), `--link`, and
//   `--module` for a module's part. Without it the Debian 6.12 cmdline livepatch
//   printed "Unpatched return thunk in use" the first time its new
//   cmdline_proc_show() returned: no .return_sites entry for its `ret`.
// LTO_CLANG objects are LLVM bitcode before the link; create-diff-object cannot
// read them whatever objtool does.
ObjtoolChoice choose_objtool(const std::map<std::string, std::string> &config, const ObjectPair &pair)
{
	ObjtoolChoice c;
	if (!is_y(config, "CONFIG_OBJTOOL") && !is_y(config, "CONFIG_STACK_VALIDATION")) {
		c.why = "no CONFIG_OBJTOOL: kbuild runs no objtool";
		return c;
	}
	const char *delay = is_y(config, "CONFIG_X86_KERNEL_IBT") ? "CONFIG_X86_KERNEL_IBT"
			    : is_y(config, "CONFIG_LTO_CLANG")    ? "CONFIG_LTO_CLANG"
								  : nullptr;
	if (!delay) {
		c.why = "kbuild ran objtool on the object as it compiled it";
		return c;
	}
	if (pair.parent == "vmlinux") {
		c.run = true;
		c.why = fmt::format("{}: kbuild runs objtool on vmlinux.o, not on built-in objects", delay);
		return c;
	}
	if (pair.single_object_module) {
		c.why = fmt::format("{}: kbuild ran objtool on the object as it compiled it (a "
				    "single-object module, {})",
				    delay, pair.parent);
		return c;
	}
	c.run = true;
	c.module = true;
	c.why = fmt::format("{}: kbuild runs objtool on the link of module {}, not on its parts", delay,
			    pair.parent);
	return c;
}

Expected<std::vector<std::string>> ask_objtool_command(const std::string &make_dir,
						       const std::string &obj_dir, bool extmod,
						       const std::vector<std::string> &make_vars, bool module,
						       const BuildRoot &root)
{
	// objtool-args ends in `$(if $(part-of-module), --module)`; part-of-module is
	// given here, from the parent, rather than found from a goal's name.
	static const std::string query = "klp-build-objtool: ; $(info objtool $(objtool) $(objtool-args))@:";
	std::vector<std::string> argv = {"make", "-C", make_dir, "-s", "--no-print-directory", "-f",
					 "scripts/Makefile.build", "obj=" + obj_dir, "srctree=.", "srcroot=.", "objtree=.",
					 std::string("part-of-module=") + (module ? "y" : "")};
	if (extmod)
		argv.insert(argv.end(), {"src=" + obj_dir, "KBUILD_EXTMOD=" + obj_dir});
	argv.insert(argv.end(), make_vars.begin(), make_vars.end());
	argv.insert(argv.end(), {"--eval=" + query, "klp-build-objtool"});
	auto out = capture(root.empty() ? argv : root.wrap(argv, make_dir));
	if (!out)
		return make_error("cannot ask kbuild how it runs objtool ({}): {}", obj_dir, out.error().message());
	std::istringstream in(*out);
	std::string line;
	while (std::getline(in, line)) {
		if (!line.starts_with("objtool"))
			continue;
		auto w = words(line.substr(7));
		if (w.empty() || w[0].find("objtool") == std::string::npos)
			break;
		return w;
	}
	return make_error("kbuild in {} names no objtool command (scripts/Makefile.lib without "
			  "objtool-args?)",
			  make_dir);
}

Expected<void> drop_endbr_seal(const std::string &object)
{
	auto obj = elf::Object::read(object);
	if (!obj)
		return obj.take_error();
	elf::Section *seal = (*obj)->find_section(".ibt_endbr_seal");
	if (!seal)
		return success();
	(*obj)->remove_section(seal);
	return (*obj)->write(object);
}

Status run_objtool_like_kbuild(const Options &opts, KernelRun &run)
{
	auto config = read_config(run.config);
	if (!config)
		return fail(config.error());
	std::map<std::string, std::vector<std::string>> commands; // by query directory and --module
	std::vector<std::string> ran;
	for (auto &pair : run.objects) {
		pair.diff_orig = pair.orig;
		pair.diff_patched = pair.patched;
		pair.objtool_command.clear();
		if (!pair.changed)
			continue;
		ObjtoolChoice choice = choose_objtool(*config, pair);
		pair.objtool_reason = choice.why;
		decide(opts, run, fmt::format("{}: objtool {}: {}", pair.rel, choice.run ? "run" : "not run",
					      choice.why));
		if (!choice.run)
			continue;

		// Where to ask: the tree's directory of the object (or the nearest one above
		// with a kbuild file), the module's directory out of tree.
		std::string make_dir = run.mode == Mode::tree ? run.tree : run.headers;
		std::string obj_dir;
		if (run.mode == Mode::tree) {
			std::error_code ec;
			obj_dir = parent_dir(pair.rel);
			while (obj_dir != "." && !fs::exists(run.tree + "/" + obj_dir + "/Makefile", ec) &&
			       !fs::exists(run.tree + "/" + obj_dir + "/Kbuild", ec))
				obj_dir = parent_dir(obj_dir);
		} else {
			obj_dir = fs::absolute(run.work + "/oot/orig").string();
		}
		std::string key = obj_dir + (choice.module ? " module" : "");
		if (!commands.count(key)) {
			auto cmd = ask_objtool_command(make_dir, obj_dir, run.mode == Mode::oot, kbuild_vars(run),
						       choice.module, run.root);
			if (!cmd)
				return fail(cmd.error());
			commands[key] = *cmd;
		}
		const auto &command = commands[key];
		pair.objtool_command = shell_line(command);

		for (auto [from, to] : {std::pair{&pair.orig, &pair.diff_orig}, {&pair.patched, &pair.diff_patched}}) {
			std::string side = from == &pair.orig ? "orig" : "patched";
			std::string copy = run.work + "/objtool/" + side + "/" + pair.rel;
			if (auto c = copy_file(*from, copy); !c)
				return fail(c.error());
			Command cmd;
			cmd.argv = command;
			cmd.argv.push_back(fs::absolute(copy).string());
			cmd.argv = in_root(run, cmd.argv, make_dir);
			cmd.cwd = make_dir;
			if (std::string arch = srcarch(*config); !arch.empty())
				cmd.env.push_back({"SRCARCH", arch});
			cmd.log = log_path(run, "objtool");
			cmd.echo = opts.verbose;
			if (auto st = run_step(opts, cmd, fmt::format("objtool on the {} {}", side, pair.rel)))
				return st;
			// objtool seals (lists in .ibt_endbr_seal) every ENDBR nothing in the file
			// takes the address of. On vmlinux.o that is a fact; on one object it is a
			// guess: a second object of the same patch may take the address of a
			// function this one changes (`ops->show = foo` in one file, foo changed in
			// another), and a sealed foo would fault on the indirect call. An ENDBR
			// left in place only keeps a function an indirect-call target.
			if (auto d = drop_endbr_seal(copy); !d)
				return fail("build-failed", d.error().message());
			*to = copy;
		}
		ran.push_back(pair.rel);
	}
	if (!ran.empty())
		note(opts, run, fmt::format("objtool: run as kbuild runs it on the link, on both sides of {}",
					    fmt::join(ran, ", ")));
	return std::nullopt;
}

} // namespace klp::build
