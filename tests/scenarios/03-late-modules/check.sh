# 3. Late module patching: examples/cmdline.patch (vmlinux),
# binfmt-misc.patch (binfmt_misc) and vfat-create.patch (vfat, calling fat's
# export) in one livepatch, loaded while neither module is. vmlinux is patched
# at once; each module is patched as it loads (klp_module_coming(), before its
# init), and each object's `patched` attribute says so at every step.
lp=livepatch-late-modules
img=/tmp/vfat.img
mnt=/tmp/vfat
created() { dmesg | grep -c "vfat_create $1 ino [0-9]* (livepatched)" || true; }
orig_cmdline=$(cat /proc/cmdline)
load $lp
expect cmdline-patched "$orig_cmdline klpkit.livepatched=1" cat /proc/cmdline
expect vmlinux-patched 1 patched $lp vmlinux
expect binfmt-not-yet 0 patched $lp binfmt_misc
expect vfat-not-yet 0 patched $lp vfat
klp_check binfmt-up bm_up
expect binfmt-patched 1 patched $lp binfmt_misc
expect binfmt-entry "interpreter /bin/true (livepatched)" bm_entry
expect vfat-still-not 0 patched $lp vfat
for m in fat vfat loop nls_cp437 nls_ascii; do # (those not built in)
	[ -f "/klp/$m.ko" ] || continue
	[ -d "/sys/module/$m" ] || klp_check "insmod-$m" insmod "/klp/$m.ko"
done
expect vfat-patched 1 patched $lp vfat
mkdir -p $mnt
klp_check vfat-mkfs sh -c "truncate -s 8M $img && mkdosfs $img >/dev/null"
klp_check vfat-mount mount -t vfat -o loop $img $mnt
klp_check vfat-create touch $mnt/late.txt
expect vfat-create-patched 1 created late.txt
klp_check vfat-umount umount $mnt
unload $lp
expect cmdline-restored "$orig_cmdline" cat /proc/cmdline
expect binfmt-restored "interpreter /bin/true" bm_entry
klp_check binfmt-down bm_down
klp_check vfat-rmmod rmmod vfat fat
