# guest.sh: the guest side of tests/scenarios/run (busybox ash). Runs each
# scenario named in /klp/scenarios, in order, from its check script
# /klp/s/<scenario>.sh, and ends each with one line:
#   KLPTEST SCENARIO <scenario> PASS <checks> checks <ms>ms
#   KLPTEST SCENARIO <scenario> FAIL <reason>
# A scenario fails on a failed check, a non-zero exit of its script, a
# "Call Trace", "WARNING:", "BUG:" or "Oops" in the kernel log while it ran, or
# a new taint other than livepatch (K), out-of-tree (O) and unsigned module (E).
# Between scenarios every patch is disabled and every module a scenario loaded
# is removed, so that each starts from the unpatched kernel.
. /klp/lib.sh

# The kernel's MAJOR.MINOR (the host writes /klp/series): version_ge 6.3
version_ge() {
	awk -v have="$(cat /klp/series)" -v want="$1" 'BEGIN {
		split(have, h, "."); split(want, w, ".")
		exit !(h[1] > w[1] || (h[1] == w[1] && h[2] >= w[2]))
	}'
}

# ---- helpers for the check scripts. ash's `local` is dynamic: a function a
# helper calls sees the helper's locals, so they have names no check uses.
now_ms() { awk '{ printf "%d", $1 * 1000 }' /proc/uptime; }
# sysfs name of a patch module: livepatch-replace-a -> livepatch_replace_a
sysname() { echo "$1" | tr - _; }
# expect NAME WANT CMD...: the output of CMD is WANT
expect() {
	local _e_name=$1 _e_want=$2 _e_got
	shift 2
	_e_got=$("$@" 2>&1)
	if [ "$_e_got" = "$_e_want" ]; then
		klp_pass "$_e_name"
	else
		klp_fail "$_e_name" "'$_e_got', expected '$_e_want'"
	fi
}
# load FILE / unload FILE: klp_load / klp_unload of /klp/FILE.ko
load() { klp_load "$1.ko" "$(sysname "$1")"; }
unload() { klp_unload "$(sysname "$1")"; }
transition() { cat "$KLP_SYSFS/$(sysname "$1")/transition" 2>/dev/null || echo gone; }
gone() { [ ! -d "$KLP_SYSFS/$(sysname "$1")" ]; }
settled() { [ "$(transition "$1")" = 0 ] || gone "$1"; }
# patched FILE OBJECT: klp_obj_patched of /klp/FILE.ko's patch
patched() { klp_obj_patched "$(sysname "$1")" "$2"; }
# The out-of-tree target (tests/scenarios/target)
target_up() { insmod /klp/klptest_target.ko; }
target() { cat /proc/klptest_target; }
sleeper_pid() { ps | awk '/[k]lptest-sleeper/ { print $1; exit }'; }
sleeper_running() { [ -n "$(sleeper_pid)" ]; }
no_sleeper() { ! sleeper_running; }
# Debian's binfmt_misc module, mounted, with one entry
bm=/tmp/binfmt
bm_up() {
	insmod /klp/binfmt_misc.ko && mkdir -p $bm && mount -t binfmt_misc binfmt_misc $bm &&
		echo ':klptest:E::klp::/bin/true:' >$bm/register
}
bm_down() { echo -1 >$bm/klptest && umount $bm && rmmod binfmt_misc; }
bm_entry() { grep '^interpreter' $bm/klptest 2>/dev/null; }

# ---- between scenarios
cleanup() {
	for d in "$KLP_SYSFS"/*; do
		[ -f "$d/enabled" ] || continue
		[ "$(cat "$d/enabled")" = 1 ] && echo 0 >"$d/enabled" 2>/dev/null
		klp_wait_gone "$(basename "$d")" 20 || true
	done
	[ ! -e /proc/klptest_target ] || echo wake >/proc/klptest_target
	umount $bm /tmp/vfat 2>/dev/null
	for m in $(lsmod | awk '$1 ~ /^livepatch_/ { print $1 }'); do
		rmmod "$m" 2>/dev/null
	done
	for m in klptest_target binfmt_misc vfat fat; do
		[ -d "/sys/module/$m" ] && rmmod "$m" 2>/dev/null
	done
	return 0
}

allowed_taint=$(((1 << 12) | (1 << 13) | (1 << 15)))
if [ "$KLP_CORE" = bundled ]; then
	insmod /klp/klpkit-core.ko || echo "KLPTEST FAIL klpkit-core insmod"
fi
for s in $(cat /klp/scenarios); do
	echo "== scenario $s"
	dmesg -c >/dev/null
	t0=$(now_ms)
	taint_before=$(cat /proc/sys/kernel/tainted)
	(. "/klp/s/$s.sh") >/tmp/scenario.out 2>&1
	rc=$?
	cat /tmp/scenario.out
	cleanup
	reason=$(sed -n 's/^KLPTEST FAIL //p' /tmp/scenario.out | head -n1)
	[ -n "$reason" ] || [ $rc = 0 ] || reason="its script exited $rc"
	splat=$(dmesg | grep -m1 -E 'Call Trace|WARNING:|BUG:|Oops')
	[ -n "$reason" ] || [ -z "$splat" ] || reason="kernel log: $splat"
	bad=$(($(cat /proc/sys/kernel/tainted) & ~taint_before & ~allowed_taint))
	[ -n "$reason" ] || [ $bad = 0 ] || reason="taint $bad beyond K, O and E"
	checks=$(grep -c '^KLPTEST PASS ' /tmp/scenario.out)
	if [ -n "$reason" ]; then
		echo "KLPTEST SCENARIO $s FAIL $reason"
	else
		echo "KLPTEST SCENARIO $s PASS $checks checks $(($(now_ms) - t0))ms"
	fi
done
echo "KLPTEST PASS scenarios-ran"
