# core-guest.sh: the bundled core's consistency engine and patch management,
# on klpkit_target.ko (core-target.c) and stand-in patches (core-patch.c).
# Sourced by guest.sh in template-selftest --core bundled, after its own
# checks (busybox ash).

proc=/proc/klpkit_target
value() { cat $proc; }
expect() { # NAME "VALUE OTHER"
	local got
	got=$(value)
	if [ "$got" = "$2" ]; then klp_pass "$1"; else klp_fail "$1" "'$got', expected '$2'"; fi
}
transition() { cat "$KLP_SYSFS/$1/transition"; }
gone() { [ ! -d "$KLP_SYSFS/$1" ]; }
settled() { [ "$(transition "$1")" = 0 ]; }
sleeper_running() { ps | grep -q '[k]lpkit-sleeper'; }
no_sleeper() { ! sleeper_running; }

klp_check insmod-core-again insmod /klp/klpkit-core.ko
klp_check insmod-target insmod /klp/klpkit_target.ko
expect original "1 10"

# 1. A task in a function being replaced holds the switch; all at once.
echo sleep >$proc
klp_check sleeper-started klp_wait_until 5 sleeper_running
klp_check insmod-a insmod /klp/livepatch-a.ko
sleep 1
klp_check a-held [ "$(transition livepatch_a)" = 1 ]
expect a-not-yet "1 10"
klp_check a-blocker sh -c "grep -q 'klpkit-sleeper klpkit_target_sleep' $KLP_SYSFS/livepatch_a/blocked"
klp_check a-reported klp_dmesg_has "livepatch_a: patching waits for pid .* klpkit-sleeper klpkit_target_sleep"
echo wake >$proc
klp_check a-completes klp_wait_until 10 settled livepatch_a
expect a-patched "2 10"
klp_check a-object-patched [ "$(cat $KLP_SYSFS/livepatch_a/klpkit_target/patched)" = 1 ]
klp_check sleeper-done klp_wait_until 5 no_sleeper

# 2. Reversal: a disable held by a task in the new code, then enabled again.
echo sleep >$proc
klp_check sleeper-in-new klp_wait_until 5 sleeper_running
echo 0 >$KLP_SYSFS/livepatch_a/enabled
sleep 1
klp_check disable-held [ "$(transition livepatch_a)" = 1 ]
klp_check disable-blocker sh -c "grep -q 'klpkit-sleeper patched_sleep' $KLP_SYSFS/livepatch_a/blocked"
expect disable-not-yet "2 10"
echo 1 >$KLP_SYSFS/livepatch_a/enabled
klp_check reversed [ "$(transition livepatch_a)" = 0 ] && [ "$(cat $KLP_SYSFS/livepatch_a/enabled)" = 1 ]
expect reversed-still-patched "2 10"

# 3. force ends a held disable; the module stays (its code may be running).
echo 0 >$KLP_SYSFS/livepatch_a/enabled
sleep 0.5
klp_check disable-held-again [ "$(transition livepatch_a)" = 1 ]
klp_check force sh -c "echo 1 >$KLP_SYSFS/livepatch_a/force"
klp_check forced-gone klp_wait_until 5 gone livepatch_a
expect forced-unpatched "1 10"
klp_check forced-module-stays sh -c "! rmmod livepatch_a 2>/dev/null"
klp_check forced-reported klp_dmesg_has "livepatch_a: transition forced"
echo wake >$proc
klp_check sleeper-done-2 klp_wait_until 5 no_sleeper

# 4. Late module patching, and the module removed and loaded again while patched.
klp_check rmmod-target rmmod klpkit_target
klp_check insmod-a2 insmod /klp/livepatch-a2.ko
klp_check a2-settled klp_wait_until 10 settled livepatch_a2
klp_check a2-object-not-patched [ "$(cat $KLP_SYSFS/livepatch_a2/klpkit_target/patched)" = 0 ]
klp_check insmod-target-late insmod /klp/klpkit_target.ko
expect late-patched "2 10"
klp_check late-object-patched [ "$(cat $KLP_SYSFS/livepatch_a2/klpkit_target/patched)" = 1 ]
klp_check late-reported klp_dmesg_has "livepatch_a2: patched module klpkit_target as it loads"
klp_check rmmod-patched-target rmmod klpkit_target
klp_check going-reported klp_dmesg_has "livepatch_a2: module klpkit_target is going; unpatched it"
klp_check reload-target insmod /klp/klpkit_target.ko
expect reload-patched "2 10"

# 5. Atomic replace: B takes over; A2's value goes back to the original (nop).
klp_check insmod-b insmod /klp/livepatch-b.ko
klp_check b-settled klp_wait_until 10 settled livepatch_b
# B adds the shadow variable A2's post-patch callback set: it outlived A2.
expect replaced-with-shadow "1 62"
klp_check a2-gone klp_wait_until 5 gone livepatch_a2
klp_check a2-unloadable rmmod livepatch_a2
# Going back to A2: disable B, rmmod, insmod A2.
klp_check disable-b klp_disable livepatch_b 10
klp_check rmmod-b rmmod livepatch_b
expect b-gone "1 10"
klp_check back-to-a2 insmod /klp/livepatch-a2.ko
klp_check a2-again-settled klp_wait_until 10 settled livepatch_a2
expect back-to-a2-value "2 10"

# 6. Stacking (C built without replace): C's version wins; disabling A2
# under it leaves C's; disabling C then gives the original.
klp_check insmod-c insmod /klp/livepatch-c.ko
klp_check c-settled klp_wait_until 10 settled livepatch_c
expect stacked "3 10"
klp_check c-no-replace [ "$(cat $KLP_SYSFS/livepatch_c/replace)" = 0 ]
klp_check a2-still-there [ -d $KLP_SYSFS/livepatch_a2 ]
klp_check disable-a2-under-c klp_disable livepatch_a2 10
expect c-still-wins "3 10"
klp_check disable-c klp_disable livepatch_c 10
expect stack-unwound "1 10"
klp_check rmmod-a2-c rmmod livepatch_a2 livepatch_c

# 7. KLP_IMMEDIATE: D switches its sleep function despite the sleeper.
echo sleep >$proc
klp_check sleeper-for-d klp_wait_until 5 sleeper_running
klp_check insmod-d insmod /klp/livepatch-d.ko
klp_check d-settled klp_wait_until 5 settled livepatch_d
expect immediate "4 10"
echo wake >$proc
klp_check sleeper-done-3 klp_wait_until 5 no_sleeper
klp_check disable-d klp_disable livepatch_d 10
klp_check rmmod-d rmmod livepatch_d
expect d-gone "1 10"

# 8. A pre-patch callback's veto: the load fails and nothing of E stays.
if insmod /klp/livepatch-e.ko 2>/dev/null; then
	klp_fail veto "insmod of the vetoed patch succeeded"
else
	klp_pass veto
fi
klp_check veto-reported klp_dmesg_has "object klpkit_target: the pre-patch callback refused"
klp_check veto-nothing-left [ ! -d $KLP_SYSFS/livepatch_e ]
klp_check veto-not-loaded sh -c "! grep -q '^livepatch_e ' /proc/modules"
expect veto-unchanged "1 10"

# 9. Two static functions of one name in the module: sympos 2 patches the
# second (100 + 2000), no position is ambiguous and refused.
dup() { cat /proc/klpkit_target_dup; }
klp_check dup-original [ "$(dup)" = 300 ]
if insmod /klp/livepatch-g.ko 2>/dev/null; then
	klp_fail sympos-ambiguous "a patch of klpkit_target_dup without a position loaded"
else
	klp_pass sympos-ambiguous
fi
klp_check sympos-ambiguous-reported klp_dmesg_has "symbol klpkit_target_dup is ambiguous in klpkit_target"
klp_check insmod-f insmod /klp/livepatch-f.ko
klp_check f-settled klp_wait_until 10 settled livepatch_f
klp_check sympos-2-patched [ "$(dup)" = 2100 ]
klp_check disable-f klp_disable livepatch_f 10
klp_check sympos-2-unpatched [ "$(dup)" = 300 ]
klp_check rmmod-f rmmod livepatch_f

# 10. Switching while 64 processes read through the patched functions.
i=0
while [ $i -lt 64 ]; do
	(while [ ! -e /tmp/stop ]; do
		v=$(cat $proc)
		case $v in "1 10"|"2 10") ;; *) echo "bad $v" >/tmp/bad ;; esac
	done) &
	i=$((i + 1))
done
n=0
while [ $n -lt 5 ]; do
	insmod /klp/livepatch-a2.ko || echo "insmod $n" >>/tmp/bad
	klp_wait_until 20 settled livepatch_a2 || echo "settle $n" >>/tmp/bad
	klp_disable livepatch_a2 20 || echo "disable $n" >>/tmp/bad
	rmmod livepatch_a2 || echo "rmmod $n" >>/tmp/bad
	n=$((n + 1))
done
touch /tmp/stop
wait
if [ -e /tmp/bad ]; then klp_fail switch-under-load "$(head -3 /tmp/bad)"; else klp_pass switch-under-load; fi

klp_check rmmod-target-end rmmod klpkit_target
