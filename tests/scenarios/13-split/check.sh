# 13. Per-object livepatch modules (klp-build --split; the per-object proposal
# the kernel never merged). What the kernel allows: each module is its own
# klp_patch, and an atomic-replace patch replaces every enabled patch, so the
# parts are built without replace (stacked) and load side by side, each
# patching only its object; one part can be disabled and loaded again alone;
# a single cumulative patch of the same fixes (replace) then takes over all
# of them at once, and going back is insmod of the parts again.
orig_cmdline=$(cat /proc/cmdline)
img=/tmp/vfat.img
mnt=/tmp/vfat
created() { dmesg | grep -c "vfat_create $1 ino [0-9]* (livepatched)" || true; }
only_object() { # only_object PATCH OBJECT: the patch's sysfs has that object alone
	local _o_d=$KLP_SYSFS/$(sysname "$1") _o_x
	[ -d "$_o_d/$2" ] || return 1
	for _o_x in vmlinux binfmt_misc vfat; do
		[ "$_o_x" = "$2" ] || [ ! -d "$_o_d/$_o_x" ] || return 1
	done
}
klp_check binfmt-up bm_up
for m in fat vfat loop nls_cp437 nls_ascii; do # (those not built in)
	[ -f "/klp/$m.ko" ] || continue
	[ -d "/sys/module/$m" ] || klp_check "insmod-$m" insmod "/klp/$m.ko"
done
mkdir -p $mnt
klp_check mkfs sh -c "truncate -s 8M $img && mkdosfs $img >/dev/null"
klp_check mount mount -t vfat -o loop $img $mnt

load livepatch-split-vmlinux
expect vmlinux-part "$orig_cmdline klpkit.livepatched=1" cat /proc/cmdline
expect binfmt-not-by-vmlinux-part "interpreter /bin/true" bm_entry
load livepatch-split-binfmt-misc
expect binfmt-part "interpreter /bin/true (livepatched)" bm_entry
load livepatch-split-vfat
klp_check vfat-create touch $mnt/a.txt
expect vfat-part 1 created a.txt
klp_check vmlinux-part-object only_object livepatch-split-vmlinux vmlinux
klp_check binfmt-part-object only_object livepatch-split-binfmt-misc binfmt_misc
klp_check vfat-part-object only_object livepatch-split-vfat vfat

# One part alone: disabled, the others stay; loaded again.
unload livepatch-split-binfmt-misc
expect binfmt-part-gone "interpreter /bin/true" bm_entry
expect vmlinux-part-stays "$orig_cmdline klpkit.livepatched=1" cat /proc/cmdline
load livepatch-split-binfmt-misc
expect binfmt-part-again "interpreter /bin/true (livepatched)" bm_entry

# The set replaced at once by one cumulative patch.
load livepatch-split-all
for p in livepatch-split-vmlinux livepatch-split-binfmt-misc livepatch-split-vfat; do
	klp_check "$p-replaced" klp_wait_until 10 gone $p
	klp_check "$p-removable" rmmod "$(sysname $p)"
done
expect all-cmdline "$orig_cmdline klpkit.livepatched=1" cat /proc/cmdline
expect all-binfmt "interpreter /bin/true (livepatched)" bm_entry
klp_check all-vfat-create touch $mnt/b.txt
expect all-vfat 1 created b.txt
unload livepatch-split-all
expect restored-cmdline "$orig_cmdline" cat /proc/cmdline
expect restored-binfmt "interpreter /bin/true" bm_entry
klp_check umount umount $mnt
klp_check binfmt-down bm_down
klp_check vfat-rmmod rmmod vfat fat
