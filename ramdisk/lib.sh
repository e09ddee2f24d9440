# Host-side helpers to build the deploy ramdisk (sourced, POSIX sh): the kernel the lab's install-packages.sh
# extracted, and build_initramfs. e2e/lab/lib.sh sources this too: the lab's test image is built the same way.
RAMDISK_SRC=$(CDPATH= cd -- "$(dirname -- "${RAMDISK_LIB:-$0}")" && pwd)
# Where the kernel comes from and the outputs go (the lab's directory: e2e/lab/install-packages.sh fills it).
RAMDISK_WORK=${PLINTH_LAB_DIR:-/var/tmp/plinth-lab}
# Modules the guests need, in any order: dependency order comes from modprobe --show-depends.
RAMDISK_MODULES=${PLINTH_LAB_MODULES:-"virtio_pci virtio_net virtio_blk e1000 sd_mod ahci ata_piix"}

command -v log >/dev/null 2>&1 || log() { printf '%s [ramdisk] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
command -v die >/dev/null 2>&1 || die() { log "ERROR: $*"; exit 1; }

kernel_root() { echo "$RAMDISK_WORK/kernel/root"; }
kernel_version() {
    v=$(ls "$(kernel_root)/lib/modules" 2>/dev/null | sort -V | tail -1)
    [ -n "$v" ] || die "no kernel in $(kernel_root): run e2e/lab/install-packages.sh"
    echo "$v"
}
kernel_image() { echo "$(kernel_root)/boot/vmlinuz-$(kernel_version)"; }

# add_dynamic_binary ROOT SRC DEST: SRC at ROOT/DEST with the shared libraries ldd names, at their paths.
add_dynamic_binary() {
    local root=$1 src=$2 dst=$3 lib
    [ -x "$src" ] || die "$dst: not found on this host (install the package that has it)"
    mkdir -p "$root/$(dirname "$dst")"; cp "$src" "$root/$dst"
    for lib in $(ldd "$src" | awk '$2=="=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}'); do
        mkdir -p "$root/$(dirname "$lib")"
        [ -e "$root/$lib" ] || cp -L "$lib" "$root/$lib"
    done
}

# build_initramfs OUT.cpio.gz MAIN_SCRIPT [extra files as SRC:DEST ...]
# A busybox-static userland, the kernel modules in dependency order, the udhcpc hook,
# the guest library (agent/lib.sh), and MAIN_SCRIPT installed as /bin/plinth-main (run by /init).
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
    # openssl: busybox wget verifies HTTPS certificates only through it (without it, busybox's own TLS checks
    # nothing); the agent refuses an https API when it is missing.
    add_dynamic_binary "$root" "$(command -v openssl)" /usr/bin/openssl
    # Modules: a scratch depmod tree, then modprobe --show-depends gives the insmod order.
    mtree=$work/mtree; mkdir -p "$mtree/lib/modules"
    ln -s "$kr/lib/modules/$kv" "$mtree/lib/modules/$kv"
    depmod -b "$mtree" "$kv" 2>/dev/null || { rm -f "$mtree/lib/modules/$kv"; cp -a "$kr/lib/modules/$kv" "$mtree/lib/modules/"; depmod -b "$mtree" "$kv"; }
    : > "$root/etc/modules.order"
    for m in $RAMDISK_MODULES; do
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
    install -m 0755 "$RAMDISK_SRC/agent/init.sh" "$root/init"
    install -m 0755 "$RAMDISK_SRC/agent/udhcpc.script" "$root/etc/udhcpc.script"
    install -m 0644 "$RAMDISK_SRC/agent/lib.sh" "$root/lib/plinth-lib.sh"
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
