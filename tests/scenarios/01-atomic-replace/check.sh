# 1. Atomic replace. B replaces A: A is disabled (its directory goes) and can be
# removed; other(), which A patched and B does not, runs its original again (B's
# nop). Going back to A is rmmod A + insmod A, which replaces B in turn.
# Both cores: the same (docs/bundled-core.md, "Patch management").
klp_check target-up target_up
expect original "1 10 100" target
load livepatch-replace-a
expect a-patched "2 20 100" target
load livepatch-replace-b
klp_check a-replaced klp_wait_until 10 gone livepatch-replace-a
expect b-patched-other-nop "3 10 100" target
klp_check a-removable rmmod livepatch_replace_a
load livepatch-replace-a
klp_check b-replaced klp_wait_until 10 gone livepatch-replace-b
expect back-to-a "2 20 100" target
klp_check b-removable rmmod livepatch_replace_b
unload livepatch-replace-a
expect restored "1 10 100" target
