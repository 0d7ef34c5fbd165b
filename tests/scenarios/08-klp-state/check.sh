# 8. klp_state (5.5+; kernel/livepatch/state.c klp_is_patch_compatible(): a
# replace patch must carry every state of the loaded patches at the same or a
# higher version). Version 2 creates the state's data; version 3, cumulative,
# takes it over through klp_get_prev_state() (v2's callbacks do not run when it
# is replaced); version 1 and a patch without the state are refused while v3
# holds it ("not compatible", insmod fails) and leave v3 in place; disabling v3
# frees the data. The bundled core: the same rules.
klp_check target-up target_up
load livepatch-state-v2
klp_check v2-created klp_dmesg_has "klptest-state: version 2 created 42"
expect v2-patched "2 10 100" target
load livepatch-state-v3
klp_check v3-took-over klp_dmesg_has "klptest-state: version 3 took over 42"
klp_check v2-replaced klp_wait_until 10 gone livepatch-state-v2
klp_check v2-not-freed sh -c "! dmesg | grep -q 'klptest-state: version 2 freed'"
klp_check v2-rmmod rmmod livepatch_state_v2
expect v3-patched "3 10 100" target
klp_check v1-refused sh -c "! insmod /klp/livepatch-state-v1.ko 2>/dev/null"
klp_check none-refused sh -c "! insmod /klp/livepatch-state-none.ko 2>/dev/null"
klp_check v1-none-gone sh -c "! lsmod | grep -qE '^livepatch_state_(v1|none) '"
expect v3-stays "3 10 100" target
unload livepatch-state-v3
klp_check v3-freed klp_dmesg_has "klptest-state: version 3 freed 42"
expect restored "1 10 100" target
