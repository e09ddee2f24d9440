#!/bin/sh
# build-test-image.sh NAME [SIZE_MIB]: a small bootable raw disk image that identifies itself.
# MBR (syslinux mbr.bin) + one FAT16 partition from 1 MiB holding SYSLINUX, the Debian kernel and a
# tiny initramfs whose /init prints PLINTH-IMAGE=NAME, reads the config block and checks in; a NAME starting with
# "broken" (e.g. "broken") never checks in (guest/image-init.sh decides by the name, so the digest below covers it).
# No loop mounts: sfdisk on the file, mkfs.fat --offset, mtools (mcopy) and syslinux --offset.
# Output: $PLINTH_LAB_DIR/images/NAME.raw, NAME.raw.gz, NAME.raw.xz, NAME.sha256
# An image already built from the same scripts (NAME.inputs: a digest of them and the size) is kept.
set -eu
. "$(dirname "$0")/lib.sh"
NAME=${1:?usage: build-test-image.sh NAME [SIZE_MIB]}
SIZE_MIB=${2:-32}
echo "$NAME" | grep -qE '^[A-Za-z0-9._-]{1,40}$' || die "NAME must match [A-Za-z0-9._-]{1,40}"
MBR=/usr/lib/syslinux/mbr/mbr.bin
[ -f "$MBR" ] && command -v syslinux >/dev/null && command -v mcopy >/dev/null && command -v mkfs.fat >/dev/null \
    || die "syslinux/mtools/dosfstools missing: run install-packages.sh"
out=$LAB_DIR/images; mkdir -p "$out"
inputs=$( { cat "$0" "$LAB_SRC/guest/image-init.sh" "$RAMDISK_LIB" "$RAMDISK_SRC/agent/lib.sh" \
    "$RAMDISK_SRC/agent/init.sh" "$RAMDISK_SRC/agent/udhcpc.script"; echo "$SIZE_MIB"; } | sha256sum | cut -d' ' -f1)
if [ -f "$out/$NAME.sha256" ] && [ "$(cat "$out/$NAME.inputs" 2>/dev/null)" = "$inputs" ]; then
    log "$NAME: up to date ($out/$NAME.raw)"; exit 0
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/plinth-img.XXXXXX"); trap 'rm -rf "$work"' EXIT
echo "$NAME" > "$work/plinth-image"
build_initramfs "$work/initrd.gz" "$LAB_SRC/guest/image-init.sh" "$work/plinth-image:etc/plinth-image"
cat > "$work/syslinux.cfg" <<CFG
SERIAL 0 115200
DEFAULT plinth
PROMPT 0
TIMEOUT 0
SAY PLINTH-BOOTLOADER image=$NAME
LABEL plinth
  KERNEL vmlinuz
  INITRD initrd.gz
  APPEND console=ttyS0 quiet plinth.image=$NAME
CFG
img=$work/$NAME.raw
truncate -s "${SIZE_MIB}M" "$img"
printf 'label: dos\nlabel-id: 0x504c4e54\nstart=2048, type=6, bootable\n' | sfdisk -q --no-reread --no-tell-kernel "$img"
part_kib=$(( (SIZE_MIB - 1) * 1024 ))
mkfs.fat -F 16 -n PLINTH -i 504c4e54 --offset 2048 -h 2048 "$img" "$part_kib" >/dev/null
MT="$img@@1048576"
mcopy -i "$MT" "$(kernel_image)" ::vmlinuz
mcopy -i "$MT" "$work/initrd.gz" ::initrd.gz
mcopy -i "$MT" "$work/syslinux.cfg" ::syslinux.cfg
mcopy -i "$MT" "$work/plinth-image" ::plinth-image.txt
syslinux --offset 1048576 --install "$img"
dd if="$MBR" of="$img" bs=440 count=1 conv=notrunc 2>/dev/null
mv "$img" "$out/$NAME.raw"
gzip -6 -n -c "$out/$NAME.raw" > "$out/$NAME.raw.gz"
xz -6 -T1 -c "$out/$NAME.raw" > "$out/$NAME.raw.xz"
sha=$(sha256sum "$out/$NAME.raw" | cut -d' ' -f1)
size=$(stat -c %s "$out/$NAME.raw")
printf 'name=%s\nsha256=%s\nsize=%s\nraw=%s\ngz=%s (%s bytes)\nxz=%s (%s bytes)\n' "$NAME" "$sha" "$size" \
    "$out/$NAME.raw" "$out/$NAME.raw.gz" "$(stat -c %s "$out/$NAME.raw.gz")" \
    "$out/$NAME.raw.xz" "$(stat -c %s "$out/$NAME.raw.xz")" | tee "$out/$NAME.sha256"
echo "$inputs" > "$out/$NAME.inputs"
