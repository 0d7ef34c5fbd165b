# guest.sh: the in-guest half of tests/kernel/template-selftest (busybox ash).
# Loads the selftest livepatch, checks it took effect, disables and removes
# it, and checks everything is back.
# shellcheck source=../klptest-lib.sh
. /klp/lib.sh

mod=livepatch-klpkit-selftest
patch=livepatch_klpkit_selftest	# sysfs and lsmod use "_"
dir=$KLP_SYSFS/$patch

orig=$(cat /proc/cmdline)

if [ "$KLP_CORE" = bundled ]; then
	klp_check no-kernel-core-used [ ! -e /sys/kernel/livepatch/$patch ]
	if insmod /klp/livepatch-klpkit-bad.ko 2>/dev/null; then
		klp_fail core-needed "a patch module loaded without klpkit-core"
	else
		klp_pass core-needed
	fi
	klp_check insmod-core insmod /klp/klpkit-core.ko
	klp_check core-ready klp_dmesg_has "klpkit-core: ready"
fi

# A callback whose object name create-diff-object never filled in: refused.
if insmod /klp/livepatch-klpkit-bad.ko 2>/dev/null; then
	klp_fail refuse-null-objname "insmod succeeded"
	rmmod livepatch_klpkit_bad
else
	klp_check refuse-null-objname klp_dmesg_has "livepatch_klpkit_bad: pre_patch callback selftest_pre_patch.* has no object name"
fi
klp_check refuse-leaves-nothing [ ! -e "$KLP_SYSFS/livepatch_klpkit_bad" ]

if ! insmod /klp/$mod.ko; then
	klp_fail insmod "insmod failed"
	exit 1
fi
klp_pass insmod

klp_check sysfs-enabled [ "$(cat "$dir/enabled")" = 1 ]
# sympos 0 (unique) shows as ",1" (the kernel's core has a directory per
# function; the bundled one has none).
[ "$KLP_CORE" = bundled ] ||
	klp_check sysfs-func [ -d "$dir/vmlinux/cmdline_proc_show,1" ]
if klp_wait_transition "$patch" 30 && [ "$(cat "$dir/transition")" = 0 ]; then
	klp_pass transition
else
	klp_fail transition "transition still $(cat "$dir/transition" 2>&1) after 30s"
fi
# The object's "patched" attribute is from 6.1; 5.10 has none.
if [ -e "$dir/vmlinux/patched" ]; then
	klp_check sysfs-patched [ "$(cat "$dir/vmlinux/patched")" = 1 ]
fi

# The new cmdline_proc_show() counts reads in a shadow variable.
first=$(cat /proc/cmdline)
second=$(cat /proc/cmdline)
echo "patched /proc/cmdline: '$first' then '$second'"
klp_check new-text [ "$first" = "klpkit-selftest reads=1" ]
klp_check shadow-count [ "$second" = "klpkit-selftest reads=2" ]

klp_check pre-patch-callback klp_dmesg_has "livepatch_klpkit_selftest: selftest: pre_patch callback ran"
klp_check post-patch-callback-state klp_dmesg_has "livepatch_klpkit_selftest: selftest: post_patch callback ran, state found"

if klp_disable "$patch" 30; then
	klp_pass disable
else
	klp_fail disable "$dir still there 30s after echo 0 > enabled"
fi
after=$(cat /proc/cmdline)
echo "unpatched /proc/cmdline: '$after'"
klp_check old-text [ "$after" = "$orig" ]
klp_check pre-unpatch-callback klp_dmesg_has "livepatch_klpkit_selftest: selftest: pre_unpatch callback ran"
klp_check post-unpatch-callback klp_dmesg_has "livepatch_klpkit_selftest: selftest: post_unpatch callback ran, reads=2"
# The four callbacks in the kernel core's order.
order=$(dmesg | grep -o 'selftest: [a-z_]* callback ran' | awk '{ print $2 }' | tr '\n' ' ')
klp_check callback-order [ "$order" = "pre_patch post_patch pre_unpatch post_unpatch " ]

klp_check rmmod rmmod "$patch"
klp_check unloaded sh -c "! grep -q '^$patch ' /proc/modules"
if [ "$KLP_CORE" = bundled ]; then
	klp_check rmmod-core rmmod klpkit_core
	klp_check sysfs-root-gone [ ! -e /sys/kernel/klpkit ]
fi

# The bundled core's own scenarios.
[ "$KLP_CORE" != bundled ] || . /klp/core-guest.sh

# guest-run (klpkit boot) checks the kernel log as well; this names the test that caused it.
if dmesg | grep -E -q 'Call Trace|WARNING:|BUG:'; then
	klp_fail clean-dmesg "kernel splat in dmesg"
else
	klp_pass clean-dmesg
fi
exit "$klp_failed"
