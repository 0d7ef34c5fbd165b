# 10. A hot system call under load: 64 shells each run the umask builtin
# (umask(2) twice) in a loop and write what they see to their own file
# (builtins only: no fork per round), about 20 rounds a second each. The
# patched umask() returns the old mask with S_ISVTX set, which no real mask
# has, so a shell shows 1022. The transition must complete with all of them
# running (each switches at a system call's exit or while it sleeps), and then every one of them
# must show the new behaviour; after the disable every one shows the old.
loops=64
rm -f /tmp/umask-stop /tmp/umask.* /tmp/umask-tick
mkfifo /tmp/umask-tick
i=0
while [ $i -lt $loops ]; do
	# 50 ms between rounds (read -t on a FIFO no one writes): busy, and
	# one TCG vCPU still has time for the rest
	(while [ ! -e /tmp/umask-stop ]; do
		umask >/tmp/umask.$i
		read -t 0.05 x <>/tmp/umask-tick
	done) </dev/null >/dev/null 2>&1 &
	i=$((i + 1))
done
# all: every shell's file says $1
all() {
	local i=0 v
	while [ $i -lt $loops ]; do
		v=
		read -r v </tmp/umask.$i 2>/dev/null
		[ "$v" = "$1" ] || return 1
		i=$((i + 1))
	done
}
klp_check loops-running klp_wait_until 60 all 0022
load livepatch-umask
klp_check every-task-patched klp_wait_until 60 all 1022
unload livepatch-umask
klp_check every-task-restored klp_wait_until 60 all 0022
touch /tmp/umask-stop
wait
