# 6. Callbacks (Documentation/livepatch/callbacks.rst; kernel/livepatch/core.c
# and transition.c): for each loaded object pre-patch runs before the
# transition and post-patch after it; for a module that loads later both run
# from klp_module_coming(), and its unpatch callbacks from klp_module_going()
# when it is removed while patched; on disable pre-unpatch runs before the transition
# and post-unpatch after it, for every patched object. A pre-patch callback
# returning an error refuses the patch (insmod fails); a module's refuses that
# module's load while the patch stays. The bundled core runs them in the same
# order (docs/bundled-core.md).
log() { dmesg | sed -n 's/.*klptest-callbacks: //p' | tr '\n' ';'; }
clear_log() { dmesg -c >/dev/null; }
ran() { log | grep -q "$1;"; }
only_pre_patch() { ! log | grep -qE 'post_patch|unpatch'; }
# expect_phases NAME KIND1 KIND2: the log is KIND1 of both objects, then KIND2
# of both, the objects in the patch's order either way
expect_phases() {
	a="$2 vmlinux;$2 binfmt_misc;$3 vmlinux;$3 binfmt_misc;"
	b="$2 binfmt_misc;$2 vmlinux;$3 binfmt_misc;$3 vmlinux;"
	got=$(log)
	if [ "$got" = "$a" ] || [ "$got" = "$b" ]; then klp_pass "$1"; else klp_fail "$1" "'$got'"; fi
}
clear_log
load livepatch-callbacks
expect enable-vmlinux "pre_patch vmlinux;post_patch vmlinux;" log
clear_log
klp_check binfmt-up bm_up
expect late-module "pre_patch binfmt_misc;post_patch binfmt_misc;" log
expect late-module-patched "interpreter /bin/true (livepatched)" bm_entry
# The module goes while patched (klp_module_going()): its unpatch callbacks run.
clear_log
klp_check binfmt-down-patched bm_down
expect module-going "pre_unpatch binfmt_misc;post_unpatch binfmt_misc;" log
klp_check binfmt-up-again bm_up
clear_log
unload livepatch-callbacks
expect_phases disable-both pre_unpatch post_unpatch
expect binfmt-restored "interpreter /bin/true" bm_entry

# With binfmt_misc loaded: both objects' callbacks at enable.
clear_log
load livepatch-callbacks
expect_phases enable-both pre_patch post_patch
unload livepatch-callbacks
klp_check binfmt-down bm_down

# vmlinux's veto: the patch does not load, nothing stays patched.
orig_cmdline=$(cat /proc/cmdline)
clear_log
klp_check veto-vmlinux-refused sh -c "! insmod /klp/livepatch-veto-vmlinux.ko 2>/dev/null"
# (busybox's insmod tries init_module() after a failed finit_module(): the
# callback may run twice, once per attempt)
klp_check veto-vmlinux-ran ran "pre_patch vmlinux"
klp_check veto-vmlinux-nothing-else only_pre_patch
klp_check veto-vmlinux-gone sh -c "! lsmod | grep -q '^livepatch_veto_vmlinux '"
expect veto-vmlinux-original "$orig_cmdline" cat /proc/cmdline

# The module's veto: the patch loads; binfmt_misc then does not.
load livepatch-veto-module
clear_log
klp_check veto-module-refused sh -c "! insmod /klp/binfmt_misc.ko 2>/dev/null"
klp_check veto-module-ran ran "pre_patch binfmt_misc"
klp_check veto-module-nothing-else only_pre_patch
klp_check veto-module-not-loaded test ! -d /sys/module/binfmt_misc
unload livepatch-veto-module
klp_check module-loads-after insmod /klp/binfmt_misc.ko
klp_check module-rmmod rmmod binfmt_misc
