# 2. Stacked patches (--no-replace). Both enabled: B, the newest, wins value().
# Disabling A under B: since 5.1 __klp_disable_patch() no longer requires the
# patch to be the top one (5.10, 6.1, 6.12 and 7.2 all allow it); A's functions
# leave the func_stack, so value() stays B's, other() is the original again,
# third() stays B's. Then disabling B restores the original. The bundled core
# prescribes the same ("disabling one under it leaves the newer one's").
klp_check target-up target_up
expect original "1 10 100" target
load livepatch-stack-a
expect a-patched "2 20 100" target
load livepatch-stack-b
expect both-b-wins "3 20 300" target
klp_check a-still-enabled grep -qx 1 "$KLP_SYSFS/livepatch_stack_a/enabled"
# `replace` is in sysfs from 6.2
[ ! -e "$KLP_SYSFS/livepatch_stack_b/replace" ] ||
	klp_check b-not-replace grep -qx 0 "$KLP_SYSFS/livepatch_stack_b/replace"
unload livepatch-stack-a
expect a-gone-b-stays "3 10 300" target
unload livepatch-stack-b
expect restored "1 10 100" target
