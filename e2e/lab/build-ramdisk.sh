#!/bin/sh
# Build the deploy ramdisk: $PLINTH_LAB_DIR/ramdisk/{vmlinuz,initramfs.cpio.gz}
# from Debian packages only (busybox-static, the extracted linux-image .deb) plus the agent.
set -eu
. "$(dirname "$0")/lib.sh"
[ -x /bin/busybox ] && busybox --list | grep -qx wget || die "busybox-static missing: run install-packages.sh"
rd=$LAB_DIR/ramdisk
mkdir -p "$rd"
cp "$(kernel_image)" "$rd/vmlinuz"
build_initramfs "$rd/initramfs.cpio.gz" "$LAB_SRC/agent/plinth-agent.sh"
log "kernel:    $rd/vmlinuz ($(stat -c %s "$rd/vmlinuz") bytes, $(kernel_version))"
log "initramfs: $rd/initramfs.cpio.gz ($(stat -c %s "$rd/initramfs.cpio.gz") bytes)"
