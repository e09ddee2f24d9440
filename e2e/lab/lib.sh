# Shared host-side helpers for the lab scripts (sourced, POSIX sh).
LAB_SRC=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
LAB_DIR=${PLINTH_LAB_DIR:-/var/tmp/plinth-lab}
LAB_NS=${PLINTH_LAB_NS:-plinth-lab}
LAB_PORT=${PLINTH_LAB_PORT:-8080}

log() { printf '%s [lab] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# kernel_root, kernel_version, kernel_image, build_initramfs: the ramdisk's build helpers (product code in ramdisk/)
RAMDISK_LIB=$LAB_SRC/../../ramdisk/lib.sh
. "$RAMDISK_LIB"

in_ns() { ip netns exec "$LAB_NS" "$@"; }
