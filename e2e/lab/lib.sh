# Shared host-side helpers for the lab scripts (sourced, POSIX sh).
LAB_SRC=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
LAB_DIR=${PLINTH_LAB_DIR:-/var/tmp/plinth-lab}
LAB_NS=${PLINTH_LAB_NS:-plinth-lab}
LAB_PORT=${PLINTH_LAB_PORT:-8080}
# Modules the guests need, in any order: dependency order comes from modprobe --show-depends.
LAB_MODULES=${PLINTH_LAB_MODULES:-"virtio_pci virtio_net virtio_blk e1000 sd_mod ahci ata_piix"}

log() { printf '%s [lab] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

kernel_root() { echo "$LAB_DIR/kernel/root"; }
kernel_version() {
    v=$(ls "$(kernel_root)/lib/modules" 2>/dev/null | sort -V | tail -1)
    [ -n "$v" ] || die "no kernel in $(kernel_root): run install-packages.sh"
    echo "$v"
}
kernel_image() { echo "$(kernel_root)/boot/vmlinuz-$(kernel_version)"; }

# build_initramfs OUT.cpio.gz MAIN_SCRIPT [extra files as SRC:DEST ...]
# A busybox-static userland, the kernel modules in dependency order, the udhcpc hook,
# the shared guest library, and MAIN_SCRIPT installed as /bin/plinth-main (run by /init).
build_initramfs() {
    local out main kv kr work root mtree spec src dst a
    out=$1; main=$2; shift 2
    kv=$(kernel_version); kr=$(kernel_root)
    work=$(mktemp -d "${TMPDIR:-/tmp}/plinth-initrd.XXXXXX")
    root=$work/root; mkdir -p "$root"
    for d in bin sbin usr/bin usr/sbin etc proc sys dev tmp run lib/modules mnt var/log; do mkdir -p "$root/$d"; done
    cp /bin/busybox "$root/bin/busybox"
    # Applet links at build time (busybox --list-full gives paths like usr/bin/wget).
    for a in $(/bin/busybox --list-full); do
        [ -e "$root/$a" ] || ln -s /bin/busybox "$root/$a"
    done
    # Modules: a scratch depmod tree, then modprobe --show-depends gives the insmod order.
    mtree=$work/mtree; mkdir -p "$mtree/lib/modules"
    ln -s "$kr/lib/modules/$kv" "$mtree/lib/modules/$kv"
    depmod -b "$mtree" "$kv" 2>/dev/null || { rm -f "$mtree/lib/modules/$kv"; cp -a "$kr/lib/modules/$kv" "$mtree/lib/modules/"; depmod -b "$mtree" "$kv"; }
    : > "$root/etc/modules.order"
    for m in $LAB_MODULES; do
        modprobe -d "$mtree" -S "$kv" --show-depends "$m" 2>/dev/null | awk '$1=="insmod"{print $2}'
    done | while read -r ko; do
        name=$(basename "$ko")
        grep -qx "$name" "$root/etc/modules.order" && continue
        case "$ko" in
            *.ko) cp "$ko" "$root/lib/modules/$name" ;;
            *.ko.xz) xz -dc "$ko" > "$root/lib/modules/${name%.xz}"; name=${name%.xz} ;;
            *.ko.zst) die "zstd-compressed modules not supported" ;;
        esac
        echo "$name" >> "$root/etc/modules.order"
    done
    # depmod writes modules.dep etc. into the kernel tree when it is a symlink: clean them up.
    rm -f "$kr/lib/modules/$kv"/modules.*.bin "$kr/lib/modules/$kv"/modules.dep "$kr/lib/modules/$kv"/modules.alias \
          "$kr/lib/modules/$kv"/modules.symbols "$kr/lib/modules/$kv"/modules.devname "$kr/lib/modules/$kv"/modules.softdep \
          "$kr/lib/modules/$kv"/modules.weakdep 2>/dev/null || true
    install -m 0755 "$LAB_SRC/guest/init.sh" "$root/init"
    install -m 0755 "$LAB_SRC/guest/udhcpc.script" "$root/etc/udhcpc.script"
    install -m 0644 "$LAB_SRC/guest/lib.sh" "$root/lib/plinth-lib.sh"
    install -m 0755 "$main" "$root/bin/plinth-main"
    for spec in "$@"; do
        src=${spec%%:*}; dst=${spec#*:}
        mkdir -p "$root/$(dirname "$dst")"; cp "$src" "$root/$dst"
    done
    mkdir -p "$(dirname "$out")"
    (cd "$root" && find . | sort | cpio -o -H newc -R 0:0 --quiet | gzip -9n) > "$out.tmp"
    mv "$out.tmp" "$out"
    rm -rf "$work"
}

in_ns() { ip netns exec "$LAB_NS" "$@"; }
