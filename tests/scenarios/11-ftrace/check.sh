# 11. ftrace and livepatch share the function's fentry site: with the function
# tracer filtered to klptest_value(), the patch loads and switches, calls still
# reach the trace (the traced entry is the original's, redirected), and tracing
# keeps working after the patch goes. Both cores use ftrace_ops with IPMODIFY;
# the function tracer does not modify the IP, so they coexist. Both mark their
# ops permanent: sysctl kernel.ftrace_enabled=0 is refused while a patch is on.
tr=/sys/kernel/tracing
[ -d $tr/instances ] || mount -t tracefs nodev $tr 2>/dev/null
traced() { grep -c 'klptest_value' $tr/trace; }
klp_check target-up target_up
klp_check tracefs test -w $tr/set_ftrace_filter
klp_check filter sh -c "echo klptest_value >$tr/set_ftrace_filter"
klp_check tracer sh -c "echo function >$tr/current_tracer"
echo >$tr/trace
expect traced-original "1 10 100" target
klp_check traced-before [ "$(traced)" -ge 1 ]
load livepatch-ftrace
# A patch's ftrace_ops are permanent (5.4+): ftrace_enabled cannot go 0 under it.
klp_check ftrace-enabled-kept sh -c "! echo 0 >/proc/sys/kernel/ftrace_enabled 2>/dev/null"
expect ftrace-enabled-still 1 cat /proc/sys/kernel/ftrace_enabled
echo >$tr/trace
expect patched "7 10 100" target
klp_check traced-while-patched [ "$(traced)" -ge 1 ]
unload livepatch-ftrace
echo >$tr/trace
expect restored "1 10 100" target
klp_check traced-after [ "$(traced)" -ge 1 ]
echo nop >$tr/current_tracer
echo >$tr/set_ftrace_filter
