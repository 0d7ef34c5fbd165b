# klp-build-guest.sh: the guest side of tests/kernel/klp-build-e2e (busybox ash).
# /klp holds the modules klp-build made from examples/ and the deployed
# hello-oot.ko. Each case loads a livepatch, waits for its transition, checks
# the behaviour and the sysfs layout, disables it (its directory vanishes),
# checks the original behaviour is back and unloads it. guest-run fails the run
# on any splat in the log.
# /klp/cases, when the host puts it there, names the cases to run (e.g.
# "oot late" for klp-build-e2e --oot-only); without it all of them run.
# With /klp/core saying "bundled" (klp-build-e2e --core bundled) the modules
# are for klpkit-core.ko, loaded first; its sysfs is /sys/kernel/klpkit, with
# no directory per function.
. /klp/lib.sh

LP=$KLP_SYSFS
if [ "$KLP_CORE" = bundled ]; then
	klp_check insmod-klpkit-core insmod /klp/klpkit-core.ko
	klp_check no-kernel-livepatch sh -c "[ -z \"\$(ls /sys/kernel/livepatch 2>/dev/null)\" ]"
fi
# func_dir PATCH OBJECT FUNC,POS: the kernel's core has a directory per function.
func_dir() {
	[ "$KLP_CORE" = bundled ] || test -d "$LP/$1/$2/$3"
}

# now_ms: guest uptime in milliseconds, for the per-case times.
now_ms() { awk '{ printf "%d", $1 * 1000 }' /proc/uptime; }
case_start() { t0=$(now_ms); echo "== $1"; }
case_end() { echo "KLPTEST TIME $1 $(( $(now_ms) - t0 ))ms"; }

# ---------------------------------------------------------------- case 1a
# vmlinux: /proc/cmdline, through a livepatch relocation to the unexported
# saved_command_line.
case_cmdline() {
	case_start cmdline
	orig_cmdline=$(cat /proc/cmdline)
	klp_load livepatch-cmdline.ko livepatch_cmdline
	klp_check cmdline-sysfs-func func_dir livepatch_cmdline vmlinux "cmdline_proc_show,1"
	patched=$(cat /proc/cmdline)
	if [ "$patched" = "$orig_cmdline klpkit.livepatched=1" ]; then
		klp_pass cmdline-patched
	else
		klp_fail cmdline-patched "got '$patched'"
	fi
	klp_unload livepatch_cmdline
	klp_check cmdline-restored test "$(cat /proc/cmdline)" = "$orig_cmdline"
	case_end cmdline
}

# ---------------------------------------------------------------- case 1b
# klpkit, the command on the machine being patched: load waits for the
# transition, list shows the patch (and its function, with the kernel's core),
# a second load says it is loaded, unload disables and removes it.
case_klpkit() {
	if [ ! -x /klp/klpkit ]; then
		klp_skip klpkit "no statically linked klpkit in the image"
		return
	fi
	case_start klpkit
	orig_cmdline=$(cat /proc/cmdline)
	/klp/klpkit info /klp/livepatch-cmdline.ko >/tmp/klpkit-info
	cat /tmp/klpkit-info
	klp_check klpkit-info sh -c "grep -q '^  vmlinux: cmdline_proc_show,1\$' /tmp/klpkit-info &&
		grep -qx '  not loaded' /tmp/klpkit-info"
	klp_check klpkit-load /klp/klpkit load /klp/livepatch-cmdline.ko
	klp_check klpkit-info-loaded sh -c "/klp/klpkit info /klp/livepatch-cmdline.ko | grep -qx '  loaded: enabled'"
	klp_check klpkit-patched test "$(cat /proc/cmdline)" = "$orig_cmdline klpkit.livepatched=1"
	/klp/klpkit list >/tmp/klpkit-list
	cat /tmp/klpkit-list
	klp_check klpkit-list-enabled grep -q "^livepatch_cmdline: enabled.* ($KLP_CORE core)\$" /tmp/klpkit-list
	if [ "$KLP_CORE" = kernel ]; then
		klp_check klpkit-list-function grep -q '^  vmlinux.*: cmdline_proc_show,1' /tmp/klpkit-list
	fi
	if /klp/klpkit load /klp/livepatch-cmdline.ko >/tmp/klpkit-again 2>&1; then
		klp_fail klpkit-load-twice "exit 0: $(cat /tmp/klpkit-again)"
	else
		klp_check klpkit-load-twice grep -q 'module livepatch_cmdline is already loaded' /tmp/klpkit-again
	fi
	klp_check klpkit-unload /klp/klpkit unload livepatch-cmdline
	klp_check klpkit-unloaded sh -c "[ ! -d $LP/livepatch_cmdline ] && [ ! -d /sys/module/livepatch_cmdline ]"
	klp_check klpkit-restored test "$(cat /proc/cmdline)" = "$orig_cmdline"
	klp_check klpkit-list-empty sh -c "/klp/klpkit list | grep -qx 'no livepatch loaded'"
	# Installed, then loaded the way klpkit.service does at boot.
	klp_check klpkit-install /klp/klpkit install /klp/livepatch-cmdline.ko
	klp_check klpkit-installed sh -c "/klp/klpkit installed | grep -q '^livepatch_cmdline /var/lib/klpkit/$(uname -r)/001-livepatch_cmdline.ko\$'"
	klp_check klpkit-load-installed /klp/klpkit load-installed
	klp_check klpkit-load-installed-patched test "$(cat /proc/cmdline)" = "$orig_cmdline klpkit.livepatched=1"
	klp_check klpkit-load-installed-again sh -c "/klp/klpkit load-installed | grep -q 'livepatch_cmdline: already loaded'"
	klp_check klpkit-unload-installed /klp/klpkit unload livepatch_cmdline
	klp_check klpkit-uninstall /klp/klpkit uninstall livepatch-cmdline
	klp_check klpkit-uninstalled sh -c "/klp/klpkit installed | grep -q '^no livepatch installed'"
	case_end klpkit
}

# ---------------------------------------------------------------- case 1e
# A new global of the patch: fs/proc/cmdline.c counts its reads in it,
# fs/proc/version.c (another diff object of the same module) shows the count.
case_new_global() {
	case_start new-global
	orig_version=$(cat /proc/version)
	klp_load livepatch-new-global.ko livepatch_new_global
	cat /proc/cmdline >/dev/null
	cat /proc/cmdline >/dev/null
	case "$(cat /proc/version)" in
	"[cmdline shown 2 times] "*) klp_pass new-global-shared ;;
	*) klp_fail new-global-shared "got '$(cat /proc/version)'" ;;
	esac
	klp_unload livepatch_new_global
	klp_check new-global-restored test "$(cat /proc/version)" = "$orig_version"
	case_end new-global
}

# ---------------------------------------------------------------- atomic replace
# livepatch-new-global replaces livepatch-cmdline (both built with atomic replace,
# both patch cmdline_proc_show): once its transition ends the kernel drops the
# replaced patch (its sysfs directory vanishes, its module can be removed), and
# /proc/cmdline is new-global's, without cmdline's text.
case_replace() {
	case_start replace
	orig_cmdline=$(cat /proc/cmdline)
	orig_version=$(cat /proc/version)
	klp_load livepatch-cmdline.ko livepatch_cmdline
	klp_check replace-first test "$(cat /proc/cmdline)" = "$orig_cmdline klpkit.livepatched=1"
	klp_load livepatch-new-global.ko livepatch_new_global
	klp_check replace-old-gone klp_wait_gone livepatch_cmdline 60
	klp_check replace-cmdline test "$(cat /proc/cmdline)" = "$orig_cmdline"
	case "$(cat /proc/version)" in
	"[cmdline shown 1 times] "*) klp_pass replace-second ;;
	*) klp_fail replace-second "got '$(cat /proc/version)'" ;;
	esac
	klp_check replace-old-rmmod rmmod livepatch_cmdline
	klp_unload livepatch_new_global
	klp_check replace-restored test "$(cat /proc/version)" = "$orig_version"
	case_end replace
}

# ---------------------------------------------------------------- case 1b, 1c, 1d
# One livepatch, two objects. vmlinux: sysctl_vm_numa_stat_handler() (a static
# mutex, unexported first_online_pgdat()/next_zone()) and s_show() of
# mm/vmalloc.c, the fourth s_show in kallsyms (sympos 4). The binfmt_misc
# module of the shipped kernel: bm_entry_read() (entry_status() inlined),
# patched when the module loads after the livepatch.
case_kernel_cases() {
	case_start kernel-cases
	numa_msgs() { dmesg | grep -c "$1" || true; }
	plain_vmalloc() { grep -E ' vmalloc( |$)' /proc/vmallocinfo | grep -vc 'vmalloc livepatched' || true; }
	tagged_vmalloc() { grep -c ' vmalloc livepatched' /proc/vmallocinfo || true; }

	klp_check numa-sysctl-exists test -w /proc/sys/vm/numa_stat
	before=$(plain_vmalloc)
	klp_check vmallocinfo-plain-before test "$before" -gt 0 -a "$(tagged_vmalloc)" = 0

	klp_load livepatch-kernel-cases.ko livepatch_kernel_cases
	klp_check vmalloc-sympos4-sysfs func_dir livepatch_kernel_cases vmlinux "s_show,4"
	klp_check numa-sysfs func_dir livepatch_kernel_cases vmlinux "sysctl_vm_numa_stat_handler,1"
	if [ "$(tagged_vmalloc)" -gt 0 ] && [ "$(plain_vmalloc)" = 0 ]; then
		klp_pass vmallocinfo-patched
	else
		klp_fail vmallocinfo-patched "tagged $(tagged_vmalloc), untagged $(plain_vmalloc)"
	fi
	# The other s_show functions (kallsyms, mce, trace) are untouched.
	klp_check kallsyms-unpatched sh -c "head -n1 /proc/kallsyms | grep -Eq '^[0-9a-f]+ [A-Za-z] '"
	echo 0 >/proc/sys/vm/numa_stat
	klp_check numa-disable-patched klp_dmesg_has "disable numa statistics, and clear numa counters (livepatched)"
	echo 1 >/proc/sys/vm/numa_stat
	klp_check numa-enable-patched klp_dmesg_has "enable numa statistics (livepatched)"
	klp_check numa-value test "$(cat /proc/sys/vm/numa_stat)" = 1

	bm=/tmp/binfmt
	klp_check binfmt-not-loaded test "$(klp_obj_patched livepatch_kernel_cases binfmt_misc)" = 0
	if insmod /klp/binfmt_misc.ko && mkdir -p $bm && mount -t binfmt_misc binfmt_misc $bm &&
		echo ':klpkit:E::klp::/bin/true:' >$bm/register; then
		klp_check binfmt-late-patched test "$(klp_obj_patched livepatch_kernel_cases binfmt_misc)" = 1
		klp_check binfmt-sysfs func_dir livepatch_kernel_cases binfmt_misc "bm_entry_read,1"
		klp_check binfmt-entry-patched grep -qx 'interpreter /bin/true (livepatched)' $bm/klpkit
	else
		klp_fail binfmt-setup "insmod/mount/register binfmt_misc failed"
	fi

	klp_unload livepatch_kernel_cases
	klp_check vmallocinfo-restored test "$(tagged_vmalloc)" = 0 -a "$(plain_vmalloc)" -gt 0
	n_before=$(numa_msgs "counters (livepatched)")
	echo 0 >/proc/sys/vm/numa_stat
	echo 1 >/proc/sys/vm/numa_stat
	klp_check numa-restored test "$(numa_msgs 'counters (livepatched)')" = "$n_before"
	klp_check numa-restored-msg sh -c "dmesg | tail -n 5 | grep -q 'disable numa statistics, and clear numa counters$'"
	klp_check binfmt-entry-restored grep -qx 'interpreter /bin/true' $bm/klpkit
	echo -1 >$bm/klpkit
	klp_check binfmt-unmount umount $bm
	klp_check binfmt-rmmod rmmod binfmt_misc
	case_end kernel-cases
}

# ---------------------------------------------------------------- meminfo
# vmlinux, with alternatives: meminfo_proc_show() computes VmallocTotal through
# pgtable_l5_enabled(), a static_cpu_has(). The livepatch carries the
# function's .altinstructions entries (the target's size: 14 bytes in 6.12)
# and its .altinstr_aux code; the kernel applies them when the livepatch
# loads. The new line appears, VmallocTotal stays what it was.
case_meminfo() {
	case_start meminfo
	vmalloc_total() { grep '^VmallocTotal:' /proc/meminfo; }
	before=$(vmalloc_total)
	klp_check meminfo-plain-before sh -c "! grep -q '^Livepatched:' /proc/meminfo"
	klp_load livepatch-meminfo.ko livepatch_meminfo
	klp_check meminfo-sysfs func_dir livepatch_meminfo vmlinux "meminfo_proc_show,1"
	klp_check meminfo-patched grep -qx 'Livepatched:    klpkit' /proc/meminfo
	klp_check meminfo-vmalloc-total test "$(vmalloc_total)" = "$before"
	klp_unload livepatch_meminfo
	klp_check meminfo-restored sh -c "! grep -q '^Livepatched:' /proc/meminfo"
	klp_check meminfo-vmalloc-restored test "$(vmalloc_total)" = "$before"
	case_end meminfo
}

# ---------------------------------------------------------------- binfmt
# The Debian module binfmt_misc alone (a single-object module): patched with
# the module loaded before the livepatch, then loaded after it (late module
# patching: the relocations and the patch are applied when it loads).
case_binfmt() {
	case_start binfmt
	bm=/tmp/binfmt
	entry() { grep '^interpreter' $bm/klpkit 2>/dev/null; }
	object_patched() { klp_obj_patched livepatch_binfmt_misc binfmt_misc; }
	bm_up() {
		insmod /klp/binfmt_misc.ko && mkdir -p $bm && mount -t binfmt_misc binfmt_misc $bm &&
			echo ':klpkit:E::klp::/bin/true:' >$bm/register
	}
	bm_down() { echo -1 >$bm/klpkit && umount $bm && rmmod binfmt_misc; }

	klp_check binfmt-up bm_up
	klp_check binfmt-plain test "$(entry)" = "interpreter /bin/true"
	klp_load livepatch-binfmt-misc.ko livepatch_binfmt_misc
	klp_check binfmt-object-patched test "$(object_patched)" = 1
	klp_check binfmt-sysfs func_dir livepatch_binfmt_misc binfmt_misc "bm_entry_read,1"
	klp_check binfmt-patched test "$(entry)" = "interpreter /bin/true (livepatched)"
	klp_unload livepatch_binfmt_misc
	klp_check binfmt-restored test "$(entry)" = "interpreter /bin/true"
	klp_check binfmt-down bm_down

	klp_load livepatch-binfmt-misc.ko livepatch_binfmt_misc
	klp_check binfmt-late-not-loaded test "$(object_patched)" = 0
	klp_check binfmt-late-up bm_up
	klp_check binfmt-late-object-patched test "$(object_patched)" = 1
	klp_check binfmt-late-patched test "$(entry)" = "interpreter /bin/true (livepatched)"
	klp_unload livepatch_binfmt_misc
	klp_check binfmt-late-restored test "$(entry)" = "interpreter /bin/true"
	klp_check binfmt-late-down bm_down
	case_end binfmt
}

# ---------------------------------------------------------------- case 1e
# A module calling another module's export: the patched vfat_create() of the vfat
# module calls fat_build_inode(), exported by fat. The call's livepatch relocation
# is in vfat's .klp.rela section against .klp.sym.fat.fat_build_inode,0, applied
# when vfat is patched; in fat's section it would never be applied and the first
# create would crash. Proven with vfat loaded before the livepatch, then after it
# (late module patching: applied when vfat loads, fat being there already).
case_vfat() {
	case_start vfat
	img=/tmp/vfat.img
	mnt=/tmp/vfat
	created() { dmesg | grep -c "vfat_create $1 ino [0-9]* (livepatched)" || true; }
	for m in fat vfat loop nls_cp437 nls_ascii; do
		# Built in, on the small no-LIVEPATCH kernel: loop and the code pages.
		[ -f "/klp/$m.ko" ] || [ "$m" = fat ] || [ "$m" = vfat ] || continue
		klp_check "vfat-insmod-$m" insmod "/klp/$m.ko"
	done
	mkdir -p $mnt
	klp_check vfat-mkfs sh -c "truncate -s 8M $img && mkdosfs $img >/dev/null"
	klp_check vfat-mount mount -t vfat -o loop $img $mnt
	klp_check vfat-create-orig touch $mnt/orig.txt
	klp_check vfat-orig-silent test "$(created orig.txt)" = 0

	klp_load livepatch-vfat-create.ko livepatch_vfat_create
	klp_check vfat-sysfs func_dir livepatch_vfat_create vfat "vfat_create,1"
	klp_check vfat-object-patched test "$(klp_obj_patched livepatch_vfat_create vfat)" = 1
	klp_check vfat-create-patched touch $mnt/patched.txt
	klp_check vfat-patched-logged test "$(created patched.txt)" = 1
	klp_check vfat-patched-file test -f $mnt/patched.txt
	klp_unload livepatch_vfat_create
	klp_check vfat-create-restored touch $mnt/restored.txt
	klp_check vfat-restored-silent test "$(created restored.txt)" = 0
	klp_check vfat-umount umount $mnt
	klp_check vfat-rmmod rmmod vfat

	klp_load livepatch-vfat-create.ko livepatch_vfat_create
	klp_check vfat-late-not-loaded test "$(klp_obj_patched livepatch_vfat_create vfat)" = 0
	klp_check vfat-late-insmod insmod /klp/vfat.ko
	klp_check vfat-late-patched test "$(klp_obj_patched livepatch_vfat_create vfat)" = 1
	klp_check vfat-late-mount mount -t vfat -o loop $img $mnt
	klp_check vfat-late-create touch $mnt/late.txt
	klp_check vfat-late-logged test "$(created late.txt)" = 1
	klp_check vfat-late-files sh -c "ls $mnt | sort | tr '\n' ' ' | grep -qx 'late.txt orig.txt patched.txt restored.txt '"
	klp_check vfat-late-umount umount $mnt
	if [ "$KLP_CORE" = bundled ]; then
		# Removed and loaded again while patched: the core cleared the
		# relocation to fat_build_inode when vfat went and applies it
		# again now. (The kernel's core refuses such a reload before 6.2.)
		klp_check vfat-reload-rmmod rmmod vfat
		klp_check vfat-reload-unpatched test "$(klp_obj_patched livepatch_vfat_create vfat)" = 0
		klp_check vfat-reload-insmod insmod /klp/vfat.ko
		klp_check vfat-reload-patched test "$(klp_obj_patched livepatch_vfat_create vfat)" = 1
		klp_check vfat-reload-mount mount -t vfat -o loop $img $mnt
		klp_check vfat-reload-create touch $mnt/reload.txt
		klp_check vfat-reload-logged test "$(created reload.txt)" = 1
		klp_check vfat-reload-umount umount $mnt
	fi
	klp_unload livepatch_vfat_create
	klp_check vfat-late-rmmod rmmod vfat fat
	case_end vfat
}

# ---------------------------------------------------------------- case 1f
# A patch written for kpatch-build (examples/consoles-kpatch.patch): its
# KPATCH_PRE_PATCH_CALLBACK runs (KPATCH_PRINTK's message) before the patch
# applies, show_console_dev() is patched, c_stop() changed too but
# KPATCH_IGNORE_FUNCTION left it alone (not in sysfs, its message never
# shows), and KPATCH_POST_UNPATCH_CALLBACK runs after the disable.
case_kpatch() {
	case_start kpatch
	lp=livepatch_consoles_kpatch
	klp_check kpatch-consoles-orig sh -c "grep -q . /proc/consoles && ! grep -q livepatched /proc/consoles"
	klp_check kpatch-no-callback-yet sh -c "! dmesg | grep -q 'consoles: pre-patch callback'"
	klp_load livepatch-consoles-kpatch.ko $lp
	klp_check kpatch-pre-patch-callback klp_dmesg_has "consoles: pre-patch callback for vmlinux"
	klp_check kpatch-sysfs func_dir $lp vmlinux "show_console_dev,1"
	klp_check kpatch-ignored-not-patched sh -c "! ls $LP/$lp/vmlinux | grep -q c_stop"
	klp_check kpatch-patched sh -c "grep -q ' livepatched\$' /proc/consoles"
	klp_check kpatch-ignored-silent sh -c "! dmesg | grep -q 'c_stop is never patched'"
	klp_check kpatch-no-post-unpatch-yet sh -c "! dmesg | grep -q 'consoles: post-unpatch callback'"
	klp_unload $lp
	klp_check kpatch-post-unpatch-callback klp_dmesg_has "consoles: post-unpatch callback for vmlinux"
	klp_check kpatch-restored sh -c "! grep -q livepatched /proc/consoles"
	case_end kpatch
}

# ---------------------------------------------------------------- case 1g
# A patch written for the kernel's own klp-build
# (examples/umask-klp-helpers.patch: <linux/livepatch_helpers.h>,
# KLP_SYSCALL_DEFINE1, KLP_POST_PATCH_CALLBACK, KLP_PRE_UNPATCH_CALLBACK): the
# post-patch callback runs, umask(2) goes through the patched syscall (the
# shell's umask builtin calls it) and logs, the pre-unpatch callback runs at
# the disable and the log stops.
case_helpers() {
	case_start helpers
	lp=livepatch_umask_klp_helpers
	sh -c umask >/dev/null
	klp_check helpers-orig sh -c "! dmesg | grep -q 'klp-helpers:'"
	klp_load livepatch-umask-klp-helpers.ko $lp
	klp_check helpers-post-patch-callback klp_dmesg_has "klp-helpers: post-patch callback for vmlinux"
	klp_check helpers-sysfs func_dir $lp vmlinux "__x64_sys_umask,1"
	sh -c "umask 027; umask" >/dev/null
	klp_check helpers-patched klp_dmesg_has "klp-helpers: umask(027) by sh"
	klp_check helpers-no-pre-unpatch-yet sh -c "! dmesg | grep -q 'klp-helpers: pre-unpatch callback'"
	klp_unload $lp
	klp_check helpers-pre-unpatch-callback klp_dmesg_has "klp-helpers: pre-unpatch callback for vmlinux"
	before=$(dmesg | grep -c 'klp-helpers: umask')
	sh -c "umask 022; umask" >/dev/null
	klp_check helpers-restored sh -c "[ \"\$(dmesg | grep -c 'klp-helpers: umask')\" = $before ]"
	case_end helpers
}

# ---------------------------------------------------------------- case 1h
# The umask patch loaded and disabled three times while 64 processes call
# umask(2) in a loop. The console is quiet meanwhile (the patched syscall logs
# every call); the ring buffer, which the checks and no-splat read, is not.
case_syscall_load() {
	case_start syscall-load
	lp=livepatch_umask_klp_helpers
	dmesg -n 1
	rm -f /tmp/stop-umask
	i=0
	while [ $i -lt 64 ]; do
		(while [ ! -e /tmp/stop-umask ]; do umask 022; done) &
		i=$((i + 1))
	done
	n=0
	while [ $n -lt 3 ]; do
		klp_load livepatch-umask-klp-helpers.ko $lp
		klp_unload $lp
		n=$((n + 1))
	done
	touch /tmp/stop-umask
	wait
	dmesg -n 7
	klp_check syscall-load-patched klp_dmesg_has "klp-helpers: umask(022) by sh"
	klp_check syscall-load-loops-ended sh -c "[ -z \"\$(jobs -p)\" ]"
	case_end syscall-load
}

# ---------------------------------------------------------------- case 2
# An out-of-tree module patched in out-of-tree mode: the patched hello_show()
# shares the module's static counter and calls its static helper.
case_oot() {
	case_start oot
	if insmod /klp/hello-oot.ko; then
		klp_check oot-orig sh -c 'grep -qx "hello from hello-oot, read 1 times" /proc/hello_oot'
		klp_load livepatch-hello-oot.ko livepatch_hello_oot
		klp_check oot-sysfs test "$(klp_obj_patched livepatch_hello_oot hello_oot)" = 1
		got=$(cat /proc/hello_oot)
		if [ "$got" = "hello from the livepatched hello-oot, read 2 times" ]; then
			klp_pass oot-patched
		else
			klp_fail oot-patched "got '$got'"
		fi
		klp_unload livepatch_hello_oot
		klp_check oot-restored sh -c 'grep -qx "hello from hello-oot, read 3 times" /proc/hello_oot'
		klp_check oot-rmmod rmmod hello_oot
	else
		klp_fail oot-insmod "insmod hello-oot.ko failed"
	fi
	case_end oot
}

# ---------------------------------------------------------------- case 3
# Late module patching: the livepatch first, the module after it. Its
# livepatch relocations are applied when hello_oot loads.
case_late() {
	case_start late
	klp_load livepatch-hello-oot.ko livepatch_hello_oot
	klp_check late-not-loaded test "$(klp_obj_patched livepatch_hello_oot hello_oot)" = 0
	if insmod /klp/hello-oot.ko; then
		klp_check late-sysfs test "$(klp_obj_patched livepatch_hello_oot hello_oot)" = 1
		got=$(cat /proc/hello_oot)
		if [ "$got" = "hello from the livepatched hello-oot, read 1 times" ]; then
			klp_pass late-patched
		else
			klp_fail late-patched "got '$got'"
		fi
		klp_unload livepatch_hello_oot
		klp_check late-restored sh -c 'grep -qx "hello from hello-oot, read 2 times" /proc/hello_oot'
		klp_check late-rmmod rmmod hello_oot
	else
		klp_fail late-insmod "insmod hello-oot.ko after the livepatch failed"
		klp_unload livepatch_hello_oot
	fi
	case_end late
}

cases=$(cat /klp/cases 2>/dev/null) || cases="cmdline klpkit new_global replace kernel_cases vfat kpatch helpers oot late"
for c in $cases; do
	if type "case_$c" >/dev/null 2>&1; then
		"case_$c"
	else
		klp_fail cases "no case '$c'"
	fi
done

klp_check no-patches-left sh -c "[ -z \"\$(ls $LP)\" ]"
klp_check no-splat sh -c "! dmesg | grep -E 'Call Trace|WARNING:|BUG:|Unpatched return thunk'"
exit $klp_failed
