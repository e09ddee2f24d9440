#!/bin/sh
# The generic parts of the deploy ISO (virtual media boot), next to what build.sh made in $PLINTH_LAB_DIR/ramdisk:
#   isolinux.bin, ldlinux.c32  the BIOS boot loader (Debian packages isolinux, syslinux-common), which the
#                              controller puts on every per-deploy ISO beside vmlinuz and initramfs.cpio.gz
#   efiboot.img                the UEFI boot loader: a FAT image (the ISO's EFI El Torito entry) holding GRUB as
#                              EFI/BOOT/BOOTX64.EFI (grub-mkstandalone, Debian grub-efi-amd64-bin), whose built-in
#                              config finds the ISO (by /plinth/grub.cfg) and runs that file: the controller writes it
#                              per boot with the same kernel arguments and initrds as isolinux.cfg
#   generic.iso                those and an isolinux.cfg without any deploy: it boots the ramdisk, which stops
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
command -v grub-mkstandalone >/dev/null 2>&1 && [ -d /usr/lib/grub/x86_64-efi ] \
    || die "GRUB for UEFI missing (grub-mkstandalone, /usr/lib/grub/x86_64-efi): run scripts/install-packages.sh"
command -v mkfs.vfat >/dev/null 2>&1 && command -v mcopy >/dev/null 2>&1 \
    || die "mkfs.vfat or mcopy missing (dosfstools, mtools): run scripts/install-packages.sh"
cp "$isolinux" "$rd/isolinux.bin"
cp "$ldlinux" "$rd/ldlinux.c32"
work=$(mktemp -d "${TMPDIR:-/tmp}/plinth-iso.XXXXXX")
trap 'rm -rf "$work"' EXIT

# GRUB with its modules in a memdisk, so it needs nothing from the ISO but the per-boot grub.cfg. It searches for
# that file rather than trusting $root: firmware may hand over the CD under any device name.
printf 'search --no-floppy --set=root --file /plinth/grub.cfg\nconfigfile ($root)/plinth/grub.cfg\n' > "$work/embed.cfg"
grub-mkstandalone -O x86_64-efi -o "$work/bootx64.efi" --locales= --fonts= --themes= \
    --install-modules="linux normal iso9660 search search_fs_file configfile echo test part_gpt part_msdos fat efi_gop efi_uga" \
    --modules="iso9660 search search_fs_file configfile linux normal efi_gop efi_uga" "boot/grub/grub.cfg=$work/embed.cfg"
# the FAT image: the loader plus some room for the file system's own blocks
kb=$(( $(stat -c %s "$work/bootx64.efi") / 1024 + 256 ))
rm -f "$rd/efiboot.img.tmp"
mkfs.vfat -C -n PLINTH_EFI "$rd/efiboot.img.tmp" "$kb" >/dev/null
mmd -i "$rd/efiboot.img.tmp" ::/EFI ::/EFI/BOOT
mcopy -i "$rd/efiboot.img.tmp" "$work/bootx64.efi" ::/EFI/BOOT/BOOTX64.EFI
mv "$rd/efiboot.img.tmp" "$rd/efiboot.img"
printf 'DEFAULT plinth\nPROMPT 0\nTIMEOUT 0\nLABEL plinth\n  KERNEL /plinth/vmlinuz\n  APPEND initrd=/plinth/initrd.gz console=ttyS0 quiet\n' > "$work/isolinux.cfg"
printf 'set timeout=0\nmenuentry plinth {\n  linux /plinth/vmlinuz console=ttyS0 quiet\n  initrd /plinth/initrd.gz\n}\n' > "$work/grub.cfg"
xorriso -as mkisofs -quiet -o "$rd/generic.iso.tmp" -R -J -V PLINTH_DEPLOY \
    -b isolinux/isolinux.bin -c isolinux/boot.cat -no-emul-boot -boot-load-size 4 -boot-info-table \
    -eltorito-alt-boot -e efi/efiboot.img -no-emul-boot \
    -graft-points "isolinux/isolinux.bin=$rd/isolinux.bin" "isolinux/ldlinux.c32=$rd/ldlinux.c32" \
    "isolinux/isolinux.cfg=$work/isolinux.cfg" \
    "efi/efiboot.img=$rd/efiboot.img" "plinth/grub.cfg=$work/grub.cfg" "plinth/vmlinuz=$rd/vmlinuz" "plinth/initrd.gz=$rd/initramfs.cpio.gz"
mv "$rd/generic.iso.tmp" "$rd/generic.iso"
log "boot loaders: $rd/isolinux.bin, $rd/ldlinux.c32 (BIOS), $rd/efiboot.img (UEFI)"
log "generic ISO: $rd/generic.iso ($(stat -c %s "$rd/generic.iso") bytes)"
