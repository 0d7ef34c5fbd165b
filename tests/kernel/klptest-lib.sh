# klptest-lib.sh: shell helpers for test scripts that run inside the QEMU guest.
#
# guest-run installs this file as /klp/lib.sh; a test script starts with
# `. /klp/lib.sh`. It runs under busybox ash: POSIX sh, no bash features.
# Results are lines the host harness (tests/kernel/guest-run) reads:
#   KLPTEST PASS <name>
#   KLPTEST FAIL <name> <reason>
#   KLPTEST SKIP <name> <reason>

# The bundled core (klpkit-core.ko) mirrors the kernel's interface under
# /sys/kernel/klpkit; a test for it says so in /klp/core.
if [ "$(cat /klp/core 2>/dev/null)" = bundled ]; then
	KLP_SYSFS=/sys/kernel/klpkit
	KLP_CORE=bundled
else
	KLP_SYSFS=/sys/kernel/livepatch
	KLP_CORE=kernel
fi
klp_failed=0

klp_pass() { echo "KLPTEST PASS $1"; }
klp_skip() { echo "KLPTEST SKIP $*"; }
klp_fail() {
	echo "KLPTEST FAIL $*"
	klp_failed=1
}

# klp_check NAME CMD...: PASS if CMD succeeds, else FAIL.
klp_check() {
	name=$1
	shift
	if "$@"; then
		klp_pass "$name"
	else
		klp_fail "$name" "command failed: $*"
	fi
}

# klp_wait_transition PATCH [SECONDS]: wait until the patch is not in
# transition. "transition" reads 0 when done; a patch whose directory has
# gone (disabled, 5.1+ removes it) is done too. Returns 1 on timeout.
klp_wait_transition() {
	patch=$1
	steps=$(( ${2:-30} * 10 ))
	while [ "$steps" -gt 0 ]; do
		[ -d "$KLP_SYSFS/$patch" ] || return 0
		t=$(cat "$KLP_SYSFS/$patch/transition" 2>/dev/null) || return 0
		[ "$t" = 0 ] && return 0
		sleep 0.1
		steps=$((steps - 1))
	done
	return 1
}

# klp_wait_gone PATCH [SECONDS]: wait until /sys/kernel/livepatch/PATCH has
# disappeared (what "echo 0 > enabled" ends with from 5.1 on).
klp_wait_gone() {
	patch=$1
	steps=$(( ${2:-30} * 10 ))
	while [ "$steps" -gt 0 ]; do
		[ -d "$KLP_SYSFS/$patch" ] || return 0
		sleep 0.1
		steps=$((steps - 1))
	done
	return 1
}

# klp_disable PATCH [SECONDS]: disable the patch and wait for it to go away.
klp_disable() {
	echo 0 >"$KLP_SYSFS/$1/enabled" || return 1
	klp_wait_gone "$1" "${2:-30}"
}

# klp_wait_until SECONDS CMD...: run CMD every 0.1 s until it succeeds; 1 on
# timeout. (ash's `local` is dynamic, so the counter has a name no caller uses.)
klp_wait_until() {
	_klp_wu_n=$(($1 * 10))
	shift
	while [ "$_klp_wu_n" -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		_klp_wu_n=$((_klp_wu_n - 1))
	done
	return 1
}

# klp_load FILE PATCH: insmod /klp/FILE, then PATCH's transition must end and
# the patch be enabled (three checks named after PATCH).
klp_load() {
	if ! insmod "/klp/$1"; then
		klp_fail "$2-insmod" "insmod $1 failed"
		return 1
	fi
	klp_check "$2-transition" klp_wait_transition "$2" 60
	klp_check "$2-enabled" grep -qx 1 "$KLP_SYSFS/$2/enabled"
}

# klp_unload PATCH: disable, wait for its sysfs directory to go, rmmod.
klp_unload() {
	klp_check "$1-disable" klp_disable "$1" 60
	klp_check "$1-rmmod" rmmod "$1"
}

# klp_obj_patched PATCH OBJECT: 1 if the patch patches the object now, else 0.
# The `patched` attribute is from 6.1; before it, an enabled patch patches
# vmlinux and every loaded module it names.
klp_obj_patched() {
	if [ -e "$KLP_SYSFS/$1/$2/patched" ]; then
		cat "$KLP_SYSFS/$1/$2/patched"
	elif [ "$(cat "$KLP_SYSFS/$1/enabled" 2>/dev/null)" = 1 ] &&
		{ [ "$2" = vmlinux ] || [ -d "/sys/module/$2" ]; }; then
		echo 1
	else
		echo 0
	fi
}

# klp_dmesg_has PATTERN: the kernel log contains PATTERN (grep regex).
klp_dmesg_has() { dmesg | grep -q -- "$1"; }
