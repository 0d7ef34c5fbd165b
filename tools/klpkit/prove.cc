// The proof run: the inputs checked at the door (a livepatch module, its kernel's
// image and release, the modules its objects need, busybox and a static klpkit), an
// initramfs whose /init runs the steps between markers, one boot (KVM when it works,
// else TCG), and the console judged by proof_console.cc.
#include "prove.h"

#include "elf/file_io.h"
#include "guest.h"
#include "livepatch/names.h"
#include "livepatches.h"
#include "proc/process.h"
#include "qemu.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;

namespace klp::klpkit {
namespace {

struct GuestModule {
	std::string name; // as the kernel names it: '-' as '_'
	std::string from; // the host file, for messages
	std::string bytes; // uncompressed
};

// "fat.ko.xz" -> "fat"
std::string module_stem(const std::string &path)
{
	std::string base = fs::path(path).filename().string();
	return livepatch::kernel_module_name(base.substr(0, base.find(".ko")));
}

// A module file's bytes, uncompressed: Debian's 6.12+ ship .ko.xz, others .zst.
Expected<std::string> module_bytes(const std::string &path)
{
	for (auto [suffix, tool] : {std::pair{".xz", "xz"}, {".zst", "zstd"}, {".gz", "gzip"}})
		if (path.ends_with(suffix)) {
			if (auto ok = check_input_file(path); !ok)
				return ok.take_error();
			return capture({tool, "-dc", path});
		}
	return read_file(path);
}

Expected<GuestModule> guest_module(const std::string &path)
{
	auto bytes = module_bytes(path);
	if (!bytes)
		return bytes.take_error();
	return GuestModule{module_stem(path), path, std::move(*bytes)};
}

// The modules a livepatch's objects are, from the target's modules.dep, each after
// the modules it depends on ("kernel/fs/fat/vfat.ko.xz: kernel/fs/fat/fat.ko.xz":
// fat first). Objects are named as the kernel names modules ('-' as '_').
Expected<std::vector<GuestModule>> modules_for_objects(const std::string &dir, const std::vector<std::string> &objects)
{
	std::string dep_path = dir + "/modules.dep";
	auto text = read_file(dep_path);
	if (!text)
		return text.take_error();
	std::map<std::string, std::pair<std::string, std::vector<std::string>>> by_name; // name -> path, deps
	std::istringstream in(*text);
	for (std::string line; std::getline(in, line);) {
		size_t colon = line.find(':');
		if (colon == std::string::npos)
			continue;
		std::vector<std::string> deps;
		std::istringstream words(line.substr(colon + 1));
		for (std::string w; words >> w;)
			deps.push_back(w);
		by_name[module_stem(line.substr(0, colon))] = {line.substr(0, colon), deps};
	}
	std::vector<std::string> order; // relative paths, load order, once each
	for (const auto &object : objects) {
		auto it = by_name.find(livepatch::kernel_module_name(object));
		if (it == by_name.end())
			return make_error("{}: no module {} (the livepatch patches it)", dep_path, object);
		const auto &[path, deps] = it->second;
		// modules.dep lists every dependency, the one loaded first last.
		for (auto d = deps.rbegin(); d != deps.rend(); ++d)
			if (std::find(order.begin(), order.end(), *d) == order.end())
				order.push_back(*d);
		if (std::find(order.begin(), order.end(), path) == order.end())
			order.push_back(path);
	}
	std::vector<GuestModule> out;
	for (const auto &rel : order) {
		auto m = guest_module(rel.starts_with("/") ? rel : dir + "/" + rel);
		if (!m)
			return m.take_error();
		out.push_back(std::move(*m));
	}
	return out;
}

std::string shell_quote(const std::string &s) { return shell_line({s}); }

// The guest's /init: mounts, then each step between BEGIN and END markers with its
// output prefixed, the taint before and after, the kernel log, and power-off.
// Steps after a failed one do not run, except that a loaded patch is always
// unloaded.
std::string guest_init(const std::vector<std::string> &module_files, const std::string &livepatch_file,
		       const std::string &livepatch, bool check, double transition_timeout)
{
	std::string s(init_preamble);
	s += R"SH(step() {
	i=$1
	shift
	echo "KLPKIT-PROVE BEGIN $i uptime=$(up)"
	"$@" >/tmp/step.out 2>&1
	rc=$?
	sed "s/^/KLPKIT-PROVE OUT $i /" /tmp/step.out
	echo "KLPKIT-PROVE END $i rc=$rc uptime=$(up)"
	return $rc
}
echo "KLPKIT-PROVE BOOTED uptime=$(up) taint=$(cat /proc/sys/kernel/tainted)"
cd /klp
ok=1
loaded=0
)SH";
	size_t i = 0;
	for (const auto &f : module_files)
		s += fmt::format("[ $ok = 1 ] && {{ step {} insmod {} || ok=0; }}\n", i++, shell_quote(f));
	std::string t = fmt::format("{}", transition_timeout);
	s += fmt::format("if [ $ok = 1 ]; then if step {} /klp/klpkit load --timeout {} {}; then loaded=1; else "
			 "ok=0; fi; fi\n",
			 i++, t, shell_quote(livepatch_file));
	if (check)
		s += fmt::format("[ $loaded = 1 ] && {{ step {} env KLPKIT_LIVEPATCH={} sh /klp/check || ok=0; }}\n", i++,
				 livepatch);
	s += fmt::format("[ $loaded = 1 ] && {{ step {} /klp/klpkit unload --timeout {} {} || ok=0; }}\n", i++, t,
			 livepatch);
	s += R"SH(echo "KLPKIT-PROVE TAINT taint=$(cat /proc/sys/kernel/tainted)"
dmesg -n 1
echo "KLPKIT-PROVE DMESG BEGIN"
dmesg
echo "KLPKIT-PROVE DMESG END"
echo "KLPKIT-PROVE DONE ok=$ok uptime=$(up)"
sync
poweroff -f
)SH";
	return s;
}

// The modules the guest loads before the livepatch, in order: --module files,
// klpkit-core.ko for the bundled core, the patch's objects from --modules; and the
// patched modules left out (their functions are not run: a note says so).
struct GuestModules {
	std::vector<GuestModule> load;
	std::vector<std::string> not_loaded;
};

Expected<GuestModules> guest_modules(const ProveOptions &o, const ModuleInfo &info)
{
	GuestModules out;
	for (const auto &m : o.modules) {
		auto gm = guest_module(m);
		if (!gm)
			return gm.take_error();
		out.load.push_back(std::move(*gm));
	}
	auto given = [&](const std::string &name) {
		return std::any_of(out.load.begin(), out.load.end(), [&](const GuestModule &m) { return m.name == name; });
	};
	// klp-build writes klpkit-core.ko beside a module for a kernel without
	// CONFIG_LIVEPATCH.
	if (info.core == "bundled" && !given("klpkit_core")) {
		auto core = guest_module((fs::path(o.module).parent_path() / "klpkit-core.ko").string());
		if (!core)
			return make_error("{}: needs klpkit-core.ko (its kernel has no livepatch core): not beside it; "
					  "give it with --module",
					  o.module);
		out.load.insert(out.load.begin(), std::move(*core));
	}
	std::vector<std::string> objects;
	for (const auto &obj : info.objects)
		if (obj.name != "vmlinux" && !given(livepatch::kernel_module_name(obj.name)))
			objects.push_back(obj.name);
	if (!o.modules_dir.empty() && !objects.empty()) {
		auto found = modules_for_objects(o.modules_dir, objects);
		if (!found)
			return found.take_error();
		for (auto &m : *found)
			if (!given(m.name))
				out.load.push_back(std::move(m));
	}
	for (const auto &name : objects)
		if (!given(livepatch::kernel_module_name(name)))
			out.not_loaded.push_back(name);
	return out;
}

// The initramfs: the guest base, the modules, the livepatch, the check and /init;
// with the names of the steps /init runs, in order.
Expected<std::vector<std::string>> lay_out_guest(Initramfs &img, const ProveOptions &o, const ModuleInfo &info,
						  const std::vector<GuestModule> &modules)
{
	if (auto r = add_guest_base(img, arch::host_machine(), ""); !r)
		return r.take_error();
	std::vector<std::string> files, steps;
	for (size_t i = 0; i < modules.size(); i++) {
		std::string file = fmt::format("/klp/modules/{:02}-{}.ko", i, modules[i].name);
		img.add_file(file, modules[i].bytes);
		files.push_back(file);
		steps.push_back("insmod " + modules[i].name);
	}
	std::string livepatch_file = "/klp/" + fs::path(o.module).filename().string();
	auto livepatch_bytes = read_file(o.module);
	if (!livepatch_bytes)
		return livepatch_bytes.take_error();
	img.add_file(livepatch_file, *livepatch_bytes);
	steps.push_back("load " + info.name);
	if (!o.check.empty()) {
		if (auto r = img.add_host_file("/klp/check", o.check, 0755); !r)
			return r.take_error();
		steps.push_back("check " + fs::path(o.check).filename().string());
	}
	steps.push_back("unload " + info.name);
	img.add_file("/init", guest_init(files, livepatch_file, info.name, !o.check.empty(), o.transition_timeout),
		     0755);
	return steps;
}

} // namespace

Expected<Proof> prove(const ProveOptions &o)
{
	auto t0 = std::chrono::steady_clock::now();
	// At the door: a livepatch module, an architecture we boot, its kernel's image.
	auto info = read_module_info(o.module);
	if (!info)
		return info.take_error();
	// The guest runs this klpkit, built for the host: modules of the host's machine.
	const arch::Arch *machine = info->machine == arch::host_machine() ? arch::find(info->machine) : nullptr;
	if (!machine)
		return make_error("{}: a module for {}; klpkit prove runs {} guests only (klpkit boot "
				  "--kernel IMAGE --script S boots other machines with busybox alone)",
				  o.module, arch::machine_name(info->machine),
				  arch::machine_name(arch::host_machine()));
	auto kernel = resolve_kernel(o.kernel, o.cache_dir);
	if (!kernel)
		return kernel.take_error();
	auto [image, release] = *kernel;
	// An image whose header names another release would refuse the module anyway.
	if (!release.empty())
		if (auto ok = check_release(*info, release); !ok)
			return ok.take_error();
	if (!o.check.empty())
		if (auto ok = check_input_file(o.check); !ok)
			return ok.take_error();
	if (o.accel == "kvm" && !kvm_available())
		return make_error("--accel kvm: /dev/kvm cannot make a VM here (--accel auto falls back to TCG)");
	auto modules = guest_modules(o, *info);
	if (!modules)
		return modules.take_error();

	Initramfs img;
	auto steps = lay_out_guest(img, o, *info, modules->load);
	if (!steps)
		return steps.take_error();
	auto work_dir = make_work_dir("prove");
	if (!work_dir)
		return work_dir.take_error();
	std::string work = *work_dir;
	std::string initrd = work + "/initrd.cpio", log = work + "/console.log";
	if (auto r = write_file_atomically(initrd, img.bytes()); !r) {
		fs::remove_all(work);
		return r.take_error();
	}

	Boot b;
	b.machine = machine;
	b.kernel = image;
	b.initrd = initrd;
	b.append = o.append;
	b.memory = o.memory;
	b.log = log;
	b.timeout_seconds = o.timeout;
	std::string accel;
	std::vector<std::string> notes;
	int status = boot_choosing_accel(b, o.accel, "KLPKIT-PROVE BOOTED", accel, notes);
	fs::remove(initrd);

	auto console = read_file(log);
	Proof p = judge_console(console ? *console : "", *steps);
	p.module = o.module;
	p.kernel = image;
	p.release = release;
	p.accel = accel;
	if (status == kTimedOut)
		p.failures.insert(p.failures.begin(), fmt::format("stopped after {} s (--timeout)", o.timeout));
	else if (status != 0)
		p.failures.insert(p.failures.begin(), fmt::format("{} exited with status {}", machine->qemu_system, status));
	p.notes = notes;
	for (const auto &name : modules->not_loaded)
		p.notes.push_back(fmt::format("{} is not loaded in the guest, so its patched functions were not "
					      "run (--modules DIR or --module {}.ko loads it)",
					      name, name));
	// The console: where asked, else kept only for a failure's reader.
	if (!o.log.empty()) {
		if (auto r = write_file_atomically(o.log, console ? *console : ""); !r)
			p.failures.push_back(r.error().message());
		p.log = o.log;
		fs::remove_all(work);
	} else if (!p.proved()) {
		p.log = log;
	} else {
		fs::remove_all(work);
	}
	p.wall_seconds = since(t0);
	return p;
}

} // namespace klp::klpkit
