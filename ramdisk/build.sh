#!/bin/sh
# Build the deploy ramdisk: $PLINTH_LAB_DIR/ramdisk/{vmlinuz,initramfs.cpio.gz} (default /var/tmp/plinth-lab)
# from Debian packages only (busybox-static, the linux-image .deb that e2e/lab/install-packages.sh extracts)
# plus the agent (agent/plinth-agent.sh, its /init, udhcpc hook and library). Wire protocol: PROTOCOL.md.
set -eu
. "$(dirname "$0")/lib.sh"
[ -x /bin/busybox ] && busybox --list | grep -qx wget || die "busybox-static missing: run e2e/lab/install-packages.sh"
rd=$RAMDISK_WORK/ramdisk
mkdir -p "$rd"
cp "$(kernel_image)" "$rd/vmlinuz"
build_initramfs "$rd/initramfs.cpio.gz" "$RAMDISK_SRC/agent/plinth-agent.sh"
log "kernel:    $rd/vmlinuz ($(stat -c %s "$rd/vmlinuz") bytes, $(kernel_version))"
log "initramfs: $rd/initramfs.cpio.gz ($(stat -c %s "$rd/initramfs.cpio.gz") bytes)"
