# 5. The consistency model, with the kthread klptest-sleeper waiting inside
# klptest_sleep(), a function the patch replaces:
#  a. the transition stays pending while it sleeps there, and completes once it
#     leaves;
#  b. writing 0 to `enabled` reverses a pending transition: the patch is gone,
#     the original stays;
#  c, d. writing 1 to `force` ends a stuck transition, patching (c) or
#     unpatching (d); what happens to the module then is below.
# The kernel's core switches task by task: the sleeper's /proc/PID/patch_state
# reads 0 (unpatched) while the others have switched. The bundled core switches
# all at once: it names the task that holds it in `blocked`.
p=livepatch_consistency
held() {
	sleep 2
	klp_check "$1-pending" [ "$(transition livepatch-consistency)" = 1 ]
	if [ "$KLP_CORE" = kernel ]; then
		expect "$1-sleeper-unpatched" 0 cat "/proc/$(sleeper_pid)/patch_state"
		expect "$1-shell-patched" "$2" cat /proc/self/patch_state
	else
		klp_check "$1-blocked" grep -q "klptest-sleeper klptest_sleep" "$KLP_SYSFS/$p/blocked"
	fi
}
klp_check target-up target_up
expect original "1 10 100" target

# a. pending until the sleeper leaves
echo sleep >/proc/klptest_target
klp_check a-sleeper klp_wait_until 5 sleeper_running
klp_check a-insmod insmod /klp/livepatch-consistency.ko
held a 1
echo wake >/proc/klptest_target
klp_check a-completes klp_wait_until 20 settled livepatch-consistency
expect a-patched "5 10 100" target
unload livepatch-consistency
expect a-restored "1 10 100" target

# b. reversed while pending
echo sleep >/proc/klptest_target
klp_check b-sleeper klp_wait_until 5 sleeper_running
klp_check b-insmod insmod /klp/livepatch-consistency.ko
held b 1
echo 0 >"$KLP_SYSFS/$p/enabled"
klp_check b-reversed klp_wait_until 20 gone livepatch-consistency
expect b-original "1 10 100" target
klp_check b-rmmod rmmod $p
echo wake >/proc/klptest_target
klp_check b-sleeper-done klp_wait_until 5 no_sleeper

# c. forced, patching: the sleeper is left in the old code. From 6.1 the
#    kernel's core marks as forced only the patches a forced transition
#    removes (replaced ones; klp_force_transition()), so this module can be
#    removed after a normal disable; 5.10 marks every patch forced and keeps
#    the module for good, as the bundled core does.
echo sleep >/proc/klptest_target
klp_check c-sleeper klp_wait_until 5 sleeper_running
klp_check c-insmod insmod /klp/livepatch-consistency.ko
held c 1
klp_check c-force sh -c "echo 1 >$KLP_SYSFS/$p/force"
klp_check c-completes klp_wait_until 10 settled livepatch-consistency
expect c-patched "5 10 100" target
echo wake >/proc/klptest_target
klp_check c-sleeper-done klp_wait_until 5 no_sleeper
klp_check c-disable klp_disable $p 30
expect c-restored "1 10 100" target
if [ "$KLP_CORE" = kernel ] && version_ge 6.1; then
	klp_check c-module-removable rmmod $p
else
	klp_check c-module-kept sh -c "! rmmod $p 2>/dev/null"
fi

# d. forced, unpatching: the sleeper waits in the new klptest_sleep() while the
#    patch is disabled; force ends the wait, and the module stays for good on
#    both cores (its code may still run: klp_free_patch_finish() skips the
#    module_put()).
q=livepatch_consistency_force
load livepatch-consistency-force
expect d-patched "5 10 100" target
echo sleep >/proc/klptest_target
klp_check d-sleeper klp_wait_until 5 sleeper_running
echo 0 >"$KLP_SYSFS/$q/enabled"
sleep 2
klp_check d-pending [ "$(transition livepatch-consistency-force)" = 1 ]
if [ "$KLP_CORE" = kernel ]; then
	expect d-sleeper-still-patched 1 cat "/proc/$(sleeper_pid)/patch_state"
fi
klp_check d-force sh -c "echo 1 >$KLP_SYSFS/$q/force"
klp_check d-gone klp_wait_until 10 gone livepatch-consistency-force
expect d-restored "1 10 100" target
echo wake >/proc/klptest_target
klp_check d-sleeper-done klp_wait_until 5 no_sleeper
klp_check d-module-kept sh -c "! rmmod $q 2>/dev/null"
