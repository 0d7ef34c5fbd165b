# 4. vfat, patched (its patched vfat_create() calls fat's export through a
# livepatch relocation in .klp.rela.vfat), is removed and loaded again while
# the patch stays enabled.
#  - The kernel's core from 6.3 clears the relocation targets when the module
#    goes (clear_relocate_add()) and writes them again: the reload works and
#    the module is patched again.
#  - Before 6.3 (5.10, 6.1) x86's apply_relocate_add() finds the old values
#    ("Invalid relocation target, existing value is nonzero") and
#    klp_module_coming() refuses the module: insmod fails. klp-build's --json
#    warns about exactly this (the host side of the scenario checks it).
#  - The bundled core clears its own relocations when the module goes: the
#    reload works on every kernel.
lp=livepatch-module-reload
img=/tmp/vfat.img
mnt=/tmp/vfat
created() { dmesg | grep -c "vfat_create $1 ino [0-9]* (livepatched)" || true; }
for m in fat vfat loop nls_cp437 nls_ascii; do # (those not built in)
	[ -f "/klp/$m.ko" ] || continue
	[ -d "/sys/module/$m" ] || klp_check "insmod-$m" insmod "/klp/$m.ko"
done
load $lp
expect vfat-patched 1 patched $lp vfat
mkdir -p $mnt
klp_check mkfs sh -c "truncate -s 8M $img && mkdosfs $img >/dev/null"
klp_check mount mount -t vfat -o loop $img $mnt
klp_check create touch $mnt/a.txt
expect create-patched 1 created a.txt
klp_check umount umount $mnt
klp_check vfat-rmmod rmmod vfat
expect vfat-gone-unpatched 0 patched $lp vfat
if [ "$KLP_CORE" = kernel ] && ! version_ge 6.3; then
	klp_check reload-refused sh -c "! insmod /klp/vfat.ko 2>/dev/null"
	klp_check reload-refusal-logged klp_dmesg_has "refusing to load module 'vfat'"
	klp_check patch-still-enabled grep -qx 1 "$KLP_SYSFS/livepatch_module_reload/enabled"
else
	klp_check reload insmod /klp/vfat.ko
	expect reload-patched 1 patched $lp vfat
	klp_check reload-mount mount -t vfat -o loop $img $mnt
	klp_check reload-create touch $mnt/b.txt
	expect reload-create-patched 1 created b.txt
	klp_check reload-umount umount $mnt
fi
unload $lp
