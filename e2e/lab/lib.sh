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

# detect_accel: kvm or tcg (PLINTH_LAB_ACCEL=tcg|kvm overrides)
detect_accel() {
    case "${PLINTH_LAB_ACCEL:-auto}" in
        tcg|kvm) echo "$PLINTH_LAB_ACCEL"; return ;;
    esac
    # Only a real kvm_intel/kvm_amd with hardware virtualisation counts: a PVM kvm (kvm_pvm) runs
    # only specially built guests (a Debian kernel hangs), so it means TCG.
    if [ -w /dev/kvm ] && { [ -d /sys/module/kvm_intel ] || [ -d /sys/module/kvm_amd ]; } \
        && grep -qE '\b(vmx|svm)\b' /proc/cpuinfo; then echo kvm; else echo tcg; fi
}

in_ns() { ip netns exec "$LAB_NS" "$@"; }
