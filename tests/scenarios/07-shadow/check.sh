# 7. Shadow variables (Documentation/livepatch/shadow-vars.rst): the patched
# arch_dup_task_struct() gives each new task its fork number in a shadow
# variable, proc_pid_status() shows it ("KlpShadow:") with the count of shadows
# freed so far, and the patched free_task() frees a task's shadow with it. B
# replaces A and shows the same variable as "KlpShadowB:": a task forked under
# A keeps its number; A's callbacks do not run on replace, so nothing is freed
# then (B counts forks in its own new global, from 1 again). B's post-unpatch callback frees what is left (klp_shadow_free_all).
field() { sed -n "s/^$1:[[:space:]]*//p" "/proc/$2/status"; }
load livepatch-shadow-a
sleep 600 &
a=$!
n=$(field KlpShadow $a)
klp_check a-set-at-fork test "${n:-0}" -ge 1
klp_check a-per-task [ -z "$(field KlpShadow 1)" ]
frees=$(field KlpShadowFrees self)
freed_since() { [ "$(field KlpShadowFrees self)" -gt "$frees" ]; }
sh -c 'exit 0'
klp_check a-freed-on-exit klp_wait_until 5 freed_since
load livepatch-shadow-b
klp_check a-replaced klp_wait_until 10 gone livepatch-shadow-a
expect b-reads-a "$n" field KlpShadowB $a
klp_check b-no-old-label [ -z "$(field KlpShadow $a)" ]
sleep 600 &
b=$!
m=$(field KlpShadowB $b)
klp_check b-set-at-fork test "${m:-0}" -ge 1
kill $a $b
wait $a $b 2>/dev/null
klp_check a-rmmod rmmod livepatch_shadow_a
unload livepatch-shadow-b
klp_check status-restored sh -c "! grep -q KlpShadow /proc/self/status"
