# guest.sh: the in-guest half of bench/bundled-switch (busybox ash).
# shellcheck shell=sh disable=SC2010
# Loads klpkit-core.ko and klpkit_bench.ko, starts the sleepers, then for
# each size enables and disables its patch ROUNDS times, printing after
# each switch the core's "switched in" line:
#   BENCH processes <P>
#   BENCH enable|disable <N> <round> <guest seconds of the insmod | of disable+rmmod> <dmesg line>
# /klp/bench.conf sets SIZES, ROUNDS, SLEEPERS and TOTAL (the target's
# function count). A switch that never happens is a KLPTEST FAIL.
# shellcheck source=../../tests/kernel/klptest-lib.sh
. /klp/lib.sh
# shellcheck source=/dev/null
. /klp/bench.conf

# The core's info lines stay in dmesg, off the console: a BENCH line is
# never cut by one.
dmesg -n 5

klp_check insmod-core insmod /klp/klpkit-core.ko
klp_check insmod-target insmod /klp/klpkit_bench.ko
# fn_i(0) is i; patched, i + 1.
base=$((TOTAL * (TOTAL - 1) / 2))
klp_check target-original [ "$(cat /proc/klpkit_bench)" = "$base" ]

# Off the test's output: /init's tee would wait for them to end. A day:
# alive through every round (one round of 1,000 functions takes minutes).
i=0
while [ $i -lt "$SLEEPERS" ]; do
	sleep 86400 >/dev/null 2>&1 &
	i=$((i + 1))
done
echo "BENCH processes $(ls /proc | grep -c '^[0-9]')"

uptime_s() { cut -d' ' -f1 /proc/uptime; }
since() { echo "$(uptime_s) $1" | awk '{ printf "%.2f", $1 - $2 }'; }
switches() { dmesg | grep -c "klpkit-core: $1: switched in"; }
# record OP N ROUND PATCH BEFORE START: print the switch PATCH just logged,
# if it logged one more than BEFORE.
record() {
	if [ "$(switches "$4")" != $(($5 + 1)) ]; then
		klp_fail "$4-$1-$3" "no new 'switched in' line"
		return 1
	fi
	echo "BENCH $1 $2 $3 $(since "$6") $(dmesg | grep "klpkit-core: $4: switched in" | tail -n 1)"
}

for n in $SIZES; do
	mod=livepatch-bench-$n
	lp=livepatch_bench_$n
	r=1
	while [ $r -le "$ROUNDS" ]; do
		before=$(switches $lp)
		start=$(uptime_s)
		if ! insmod /klp/$mod.ko; then
			klp_fail "$lp-insmod-$r" "insmod failed"
			break
		fi
		if ! klp_wait_transition $lp 120; then
			klp_fail "$lp-enable-$r" "transition still $(cat $KLP_SYSFS/$lp/transition) after 120 s: $(cat $KLP_SYSFS/$lp/blocked)"
			break
		fi
		record enable "$n" $r $lp "$before" "$start" || break
		klp_check "$lp-patched-$r" [ "$(cat /proc/klpkit_bench)" = $((base + n)) ]

		before=$(switches $lp)
		start=$(uptime_s)
		if ! klp_disable $lp 600; then
			klp_fail "$lp-disable-$r" "still there after 600 s"
			break
		fi
		if ! rmmod $lp; then
			klp_fail "$lp-rmmod-$r" "rmmod failed"
			break
		fi
		record disable "$n" $r $lp "$before" "$start" || break
		klp_check "$lp-unpatched-$r" [ "$(cat /proc/klpkit_bench)" = "$base" ]
		r=$((r + 1))
	done
done
echo "BENCH processes-at-end $(ls /proc | grep -c '^[0-9]')"
klp_check rmmod-target rmmod klpkit_bench
exit "$klp_failed"
