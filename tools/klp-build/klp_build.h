// klp-build's shared model: the options of one invocation, the target kernels it
// names, and the state of one kernel's build (its objects, decisions and timings).
// The passes (checks, tree, targets, builds, diff, module) fill a KernelRun in turn.
#pragma once

#include "arch/arch.h"
#include "buildroot.h"
#include "elf/error.h"

#include <chrono>
#include <map>
#include <set>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace klp::build {

// What the user named for one target kernel. Kernel-tree mode needs `src`; out-of-tree
// mode needs `headers` and the deployed module(s).
struct KernelSpec {
	std::string src; // a kernel source tree, or a linux-source tarball
	std::string config; // the target's .config
	std::string vmlinux; // target symbols: one of vmlinux, kallsyms, system_map
	std::string kallsyms;
	std::string system_map;
	std::string symvers; // the target's Module.symvers
	std::string headers; // build tree the module is linked against (Module.symvers, .config)
	std::string modules_dir; // the target's lib/modules/<release>: parents' .ko files
	std::string release; // kernel release; default: from headers or tree
	std::vector<std::string> oot_modules; // deployed NAME.ko of the out-of-tree module(s)
	// Where kbuild and the compiler run: "" the host, "auto" the root of the suite
	// whose gcc built the target (made in the cache if missing), else a root's directory.
	std::string build_root;
	// The livepatch core the module is built for: "auto" (the kernel's where the
	// config has CONFIG_LIVEPATCH=y, else klpkit-core.ko), "kernel" or "bundled".
	std::string core = "auto";
	// The bootable image --prove boots; empty: the release's (klpkit prove finds it).
	std::string image;
	// --target: a release (or "running") whose inputs target.cc fetches or finds.
	std::string target;
};

// Build steps that -S/--short-circuit can start at (a kept work directory has the
// results of the steps before).
enum class Step { orig = 1, patched = 2, diff = 3, module = 4 };
const char *step_name(Step s);

struct Options {
	std::vector<std::string> patches; // absolute paths, in order
	std::string name; // module name, sanitised like kmod-template does
	std::string output_dir;
	unsigned jobs = 1;
	// A header change in a tree without a build recompiles the .c files that
	// include it; past this many, the whole kernel is built instead.
	size_t max_header_users = 300;
	bool full_build = true; // --no-full-build: refuse instead (CI runs, the corpus)
	bool replace = true;
	// --split: one module per patched object, NAME-<object>, stacked (replace off)
	bool split = false;
	bool line_directives = true; // #line after each change of a .c file (keep_lines.h)
	bool replay = true; // proven recorded commands instead of make (replay.h)
	bool keep_tmp = false;
	bool prove = false; // --prove: klpkit prove after the build (prove.cc)
	std::string prove_check; // --prove-check: the script the proof runs in the guest
	bool verbose = false;
	bool quiet = false; // -q: no stage lines, only each kernel's result and errors
	bool colour = false; // the result words in colour: stderr is a terminal (--color)
	bool debug = false;
	Step first_step = Step::orig;
	bool short_circuit = false;
	std::string json_path;
	std::string oot_src; // out-of-tree module source directory
	std::vector<KernelSpec> kernels;
	std::string cache_dir;
	std::vector<std::string> cc; // $CC split into words; empty: the target's compiler
	// Entry sizes of special sections given by the user (--entry-size SECTION=BYTES),
	// for sections the target's headers do not describe.
	std::map<std::string, uint64_t> entry_sizes;
	std::string tools_dir; // where create-diff-object and klp-convert are
	std::string template_dir; // kmod-template
	std::string scripts_dir; // scripts/ (kernel/fetch-debian-kernel)
	std::vector<std::string> argv;

	bool oot() const { return !oot_src.empty(); }
};

// How one kernel's build ended: exit 0, 2, 3 or 1.
enum class Result { built, refused, no_change, error };
const char *result_name(Result r);
int exit_code(Result r);

// Why a kernel's build stopped. `refused`: the patch or the kernel cannot be
// livepatched as asked (a reason the user can act on); `no_change`: the patch changes
// no function; `error`: a tool or the environment failed.
struct Stop {
	Result result = Result::error;
	std::string kind; // short tag for the JSON summary: "compiler-mismatch", ...
	std::string message;
};
using Status = std::optional<Stop>;

Stop refuse(std::string kind, std::string message);
Stop fail(std::string kind, std::string message);
Stop fail(const Error &error);

// One object the patch recompiled, with its original twin.
struct ObjectPair {
	std::string rel; // path in its build directory: fs/proc/cmdline.o
	std::string orig; // copies in the work directory
	std::string patched;
	std::string cmd_file; // copy of kbuild's .<name>.o.cmd of the patched build
	bool changed = false; // bytes differ
	std::string parent; // "vmlinux" or a module name ('-' as '_')
	std::string parent_reason; // how the parent was found
	// The parent module is linked from this object alone (fs/binfmt_misc.o), not from
	// several parts (fs/fat/namei_vfat.o of vfat.ko): kbuild runs objtool differently.
	bool single_object_module = false;
	// objtool as kbuild runs it on the object's link (objtool.cc): the command run on
	// copies of both sides before the diff (empty: not run) and why.
	std::string objtool_command;
	std::string objtool_reason;
	std::string diff_orig, diff_patched; // what create-diff-object reads: the copies, else orig/patched
	std::string parent_symtab; // the parent's symbols, for create-diff-object
	std::string diff; // the diff object, when create-diff-object wrote one
	std::string report; // its JSON report
	std::string diff_result; // written | no-change | refused | error
	std::string diff_message; // create-diff-object's last line of output
};

struct StageTime {
	std::string name;
	double seconds = 0;
	std::string summary;
};

enum class Mode { tree, oot };

// Which livepatch core loads the module: the kernel's own (CONFIG_LIVEPATCH), or
// klpkit-core.ko, klpkit's runtime for kernels built without it (kmod-template/core).
enum class CoreKind { kernel, bundled };
const char *core_kind_name(CoreKind k);
struct CoreChoice {
	CoreKind kind = CoreKind::kernel;
	std::string reason; // "target has CONFIG_LIVEPATCH=y", ...; empty: not chosen yet
};

// One special section's entry size for create-diff-object, and where it came from.
struct EntrySize {
	uint64_t bytes = 0;
	std::string from; // "sizeof(struct alt_instr) in HEADERS", "--entry-size"
};

struct KernelRun {
	KernelSpec spec;
	size_t index = 0;
	Mode mode = Mode::tree;
	std::string release;
	std::string work; // this kernel's work directory
	std::string tree; // the prepared source tree (tree mode)
	std::string headers; // where the module is linked
	std::string symvers;
	std::string config; // the .config the objects are built with
	std::string symbols; // vmlinux's symbols, as create-diff-object takes them
	std::string symbols_option; // the klp-convert --check option for them
	BuildRoot root; // empty: kbuild runs on the host
	CoreChoice core; // core.cc
	// The bundled core on a kernel without CONFIG_KALLSYMS_ALL: it can look up text
	// only, and create-diff-object refuses a livepatch relocation to data.
	bool kallsyms_text_only = false;
	// The bundled core's kbuild directory (<work>/klpkit-core/core: klpkit-core.ko,
	// Module.symvers), and klpkit-core.ko in the output directory next to the module.
	std::string core_build;
	std::string core_module;
	std::vector<std::string> cc; // compiler command
	std::string cc_version; // first line of `$CC --version`
	// ARCH= and CROSS_COMPILE= when the target is another architecture than the
	// host's (check_compiler_and_config); empty for the host's.
	std::vector<std::string> cross;
	const arch::Arch *arch = nullptr; // the target's row (lib/arch)
	std::map<std::string, std::string> oot_modules; // module name -> deployed .ko
	std::vector<std::string> changed_files; // touched by the patches (tree-relative)
	std::vector<std::string> targets; // objects to build, tree-relative
	// kbuild's name for a target, the make goal, where it is not the target's path:
	// "drivers/gpu/drm/amd/amdgpu/../display/dc/core/dc.o" (amdgpu's Makefile lists it).
	std::map<std::string, std::string> make_goals;
	// Targets whose recorded kbuild command was proven to give kbuild's object
	// (replay.h): the patched build runs those commands instead of make.
	std::set<std::string> replayable;
	std::set<std::string> not_replayable; // tried, and the bytes differed
	// Targeted builds run make -j1: kbuild would compile a target twice at once.
	bool serial_make = false;
	bool full_build = false;
	std::vector<ObjectPair> objects;
	// Modules the livepatch relocations name besides the parents (a vfat patch
	// calling fat's export), with where their symbols are: for the verifier.
	std::map<std::string, std::string> used_modules;
	// Special sections without sh_entsize in the changed objects (entry_sizes.cc).
	std::map<std::string, EntrySize> entry_sizes;
	std::vector<std::string> decisions;
	// What the module does that its user must know before relying on it (printed,
	// and in --json's "warnings").
	std::vector<std::string> warnings;
	std::vector<StageTime> stages;
	std::shared_ptr<void> tree_lock; // held while the tree is ours (tree.cc)
	std::string module_ko; // the verified module, in the output directory
	std::vector<std::string> split_modules; // --split: every part's module, vmlinux's first
	std::string proof_json; // --prove: klpkit prove's JSON, beside the module
	std::string module_name;
	Stop stop; // valid when result != built
	Result result = Result::built;
	double seconds = 0;

	std::string label() const { return release.empty() ? "kernel " + std::to_string(index + 1) : release; }
};

// Progress: one line per stage with its elapsed time.
class StageClock {
public:
	StageClock(const Options &opts, KernelRun &run, std::string name);
	// Records the stage and prints "klp-build: <release>: <stage>: <summary> (1.2s)".
	void done(const std::string &summary);

private:
	const Options &opts_;
	KernelRun &run_;
	std::string name_;
	std::chrono::steady_clock::time_point start_;
};

// Prints "klp-build: <release>: <text>" (always) and records it as a decision.
void note(const Options &opts, KernelRun &run, const std::string &text);
// note("warning: " + text), also kept in run.warnings.
void warn(const Options &opts, KernelRun &run, const std::string &text);
// What `patch` said it guessed (AppliedPatches' notes): an offset is a note; a hunk
// applied with fuzz is a warning, since fuzz can put a hunk in the wrong function.
void patch_notes(const Options &opts, KernelRun &run, const std::vector<std::string> &notes);
// Records a decision; printed only with -d.
void decide(const Options &opts, KernelRun &run, const std::string &text);
double seconds_since(std::chrono::steady_clock::time_point t);
// `word` in the colour of a result (green built, yellow refused or no change, red
// error) when opts.colour, else as it is.
std::string painted(const Options &opts, Result result, const std::string &word);

// create-diff-object or klp-convert: next to klp-build, else from $PATH (diff.cc).
std::string tool_path(const Options &opts, const std::string &name);

// The passes, in the order build_kernel() runs them.
Status resolve_kernel(const Options &opts, KernelRun &run); // checks.cc
Status check_patches(const Options &opts, KernelRun &run); // checks.cc
Status select_core(const Options &opts, KernelRun &run); // core.cc
Status enter_build_root(const Options &opts, KernelRun &run); // checks.cc
Status check_compiler_and_config(const Options &opts, KernelRun &run); // checks.cc
Status prepare_tree(const Options &opts, KernelRun &run); // tree.cc
// --split: link_module() and verify_module() once per patched object (module.cc).
Status build_split_modules(const Options &opts, KernelRun &run);
// A linux-source tarball extracted to `dest` once: into a temporary directory, renamed
// into place, then stamped; a tree without its stamp (a run killed half-way) or
// without its top Makefile is extracted again.
Status extract_tarball(const Options &opts, KernelRun &run, const std::string &tarball,
		       const std::string &dest); // tree.cc
Status choose_targets(const Options &opts, KernelRun &run); // targets.cc
bool has_build_records(const std::string &tree); // targets.cc
Status targets_from_records(const Options &opts, KernelRun &run); // targets.cc
Status build_original(const Options &opts, KernelRun &run); // build_tree.cc
Status build_patched(const Options &opts, KernelRun &run); // build_tree.cc
Status build_oot(const Options &opts, KernelRun &run); // build_oot.cc
Status find_parents(const Options &opts, KernelRun &run); // parents.cc
// The file of module `module` under `dir` (NAME.ko, .ko.xz, ...): under updates/ first,
// then by path; "" if none. parents.cc
std::string find_module_file(const std::string &dir, const std::string &module);
Status find_used_modules(const Options &opts, KernelRun &run); // parents.cc
Status run_objtool_like_kbuild(const Options &opts, KernelRun &run); // objtool.cc
Status find_entry_sizes(const Options &opts, KernelRun &run); // entry_sizes.cc
Status diff_objects(const Options &opts, KernelRun &run); // diff.cc
Status build_core_module(const Options &opts, KernelRun &run); // core.cc
Status link_module(const Options &opts, KernelRun &run); // module.cc
Status verify_module(const Options &opts, KernelRun &run); // module.cc
Status prove_module(const Options &opts, KernelRun &run); // prove.cc
Status fetch_target(const Options &opts, KernelRun &run); // target.cc

// Work-directory state for -S (state.cc).
Expected<void> save_state(const KernelRun &run);
Expected<void> load_state(KernelRun &run);

} // namespace klp::build
