#!/bin/sh
# The generic parts of the deploy ISO (virtual media boot), next to what build.sh made in $PLINTH_LAB_DIR/ramdisk:
#   isolinux.bin, ldlinux.c32  the BIOS boot loader (Debian packages isolinux, syslinux-common), which the
#                              controller puts on every per-deploy ISO beside vmlinuz and initramfs.cpio.gz
#   generic.iso                those four and an isolinux.cfg without any deploy: it boots the ramdisk, which stops
#                              at once for want of plinth.api (a check of the boot chain; it holds no credential)
# The controller assembles each deploy's ISO itself (xorriso), adding an isolinux.cfg and a small initrd holding the
# deploy's parameters (/etc/plinth/boot.conf: the API, the deploy's tokens, the static address) and the CA.
set -eu
. "$(dirname "$0")/lib.sh"
rd=$RAMDISK_WORK/ramdisk
[ -f "$rd/vmlinuz" ] && [ -f "$rd/initramfs.cpio.gz" ] || die "no ramdisk in $rd: run ramdisk/build.sh first"
command -v xorriso >/dev/null 2>&1 || die "xorriso missing: run scripts/install-packages.sh"
isolinux=/usr/lib/ISOLINUX/isolinux.bin
ldlinux=/usr/lib/syslinux/modules/bios/ldlinux.c32
[ -f "$isolinux" ] && [ -f "$ldlinux" ] || die "isolinux missing ($isolinux, $ldlinux): run scripts/install-packages.sh"
cp "$isolinux" "$rd/isolinux.bin"
cp "$ldlinux" "$rd/ldlinux.c32"
work=$(mktemp -d "${TMPDIR:-/tmp}/plinth-iso.XXXXXX")
trap 'rm -rf "$work"' EXIT
printf 'DEFAULT plinth\nPROMPT 0\nTIMEOUT 0\nLABEL plinth\n  KERNEL /plinth/vmlinuz\n  APPEND initrd=/plinth/initrd.gz console=ttyS0 quiet\n' > "$work/isolinux.cfg"
xorriso -as mkisofs -quiet -o "$rd/generic.iso.tmp" -R -J -V PLINTH_DEPLOY \
    -b isolinux/isolinux.bin -c isolinux/boot.cat -no-emul-boot -boot-load-size 4 -boot-info-table \
    -graft-points "isolinux/isolinux.bin=$rd/isolinux.bin" "isolinux/ldlinux.c32=$rd/ldlinux.c32" \
    "isolinux/isolinux.cfg=$work/isolinux.cfg" "plinth/vmlinuz=$rd/vmlinuz" "plinth/initrd.gz=$rd/initramfs.cpio.gz"
mv "$rd/generic.iso.tmp" "$rd/generic.iso"
log "boot loader: $rd/isolinux.bin, $rd/ldlinux.c32"
log "generic ISO: $rd/generic.iso ($(stat -c %s "$rd/generic.iso") bytes)"
