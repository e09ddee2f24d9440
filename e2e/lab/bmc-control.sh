#!/bin/sh
# chassis_control program for OpenIPMI's ipmi_sim (one per lab VM). ipmi_sim runs it as
#   bmc-control.sh VMDIR get power|boot ...       -> prints "power:0|1", "boot:<dev>" lines
#   bmc-control.sh VMDIR set power 0|1 | reset 1 | shutdown 1 | boot none|pxe|default|cdrom|bios
# It owns the VM's power: power on starts QEMU detached (pidfile), power off kills it by PID.
# The stored boot device becomes bootindex order at power-on (pxe: NIC first; else disk first).
# Must answer fast (< 1 s): ipmi_sim retries otherwise.
VMDIR=$1; shift
case "${1:-}" in get|set) ;; *) shift ;; esac  # an MC address may precede the verb: unused
[ $# -ge 2 ] || { echo "usage: $0 VMDIR [MC] get|set ..." >&2; exit 1; }
op=$1; shift
. "$VMDIR/vm.env"
blog() { echo "$(date -u +%H:%M:%S.%N | cut -c1-12) $*" >> "$VMDIR/bmc.log"; }
blog "call: $op $*"

qemu_pid() {
    local qp
    qp=$(cat "$VMDIR/qemu.pid" 2>/dev/null) || return 1   # QEMU removes its pidfile on exit
    [ -n "$qp" ] && [ -d "/proc/$qp" ] || return 1
    grep -q '^State:.*Z' "/proc/$qp/status" 2>/dev/null && return 1   # zombie = off
    grep -q qemu "/proc/$qp/cmdline" 2>/dev/null || return 1          # stale pid reused
    echo "$qp"
}
is_on() { qemu_pid >/dev/null; }
boot_dev() { cat "$VMDIR/bootdev" 2>/dev/null || echo default; }

power_on() {
    is_on && return 0
    case "$(boot_dev)" in
        pxe) net_idx=1; disk_idx=2 ;;
        *)   net_idx=2; disk_idx=1 ;;
    esac
    rm -f "$VMDIR/qemu.pid"
    cpu=""; [ "$VM_ACCEL" = tcg ] && cpu="-cpu max"
    # shellcheck disable=SC2086
    setsid qemu-system-x86_64 -name "$VM_NAME" -accel "$VM_ACCEL" $cpu -m "$VM_MEM" -smp 1 \
        -nographic -pidfile "$VMDIR/qemu.pid" \
        -chardev "file,id=ser0,path=$VMDIR/serial.log,append=on" -serial chardev:ser0 \
        -monitor "unix:$VMDIR/monitor.sock,server=on,wait=off" \
        -drive "file=$VM_DISK,if=none,id=d0,format=qcow2" -device "virtio-blk-pci,drive=d0,bootindex=$disk_idx,serial=$VM_NAME-disk" \
        -netdev "user,id=n0,net=10.0.2.0/24,bootfile=http://10.0.2.2:$VM_PORT/boot.ipxe" \
        -device "virtio-net-pci,netdev=n0,mac=$VM_MAC,bootindex=$net_idx" \
        </dev/null >>"$VMDIR/qemu.log" 2>&1 &
    # wait (briefly) for the pidfile so that "get power" right after reports on
    n=0; while [ $n -lt 20 ] && ! is_on; do sleep 0.05; n=$((n + 1)); done
    blog "power on (boot=$(boot_dev) net=$net_idx disk=$disk_idx pid=$(cat "$VMDIR/qemu.pid" 2>/dev/null))"
}
power_off() {
    p=$(qemu_pid) || { blog "power off (already off)"; return 0; }
    kill -TERM "$p" 2>/dev/null
    n=0; while [ $n -lt 10 ] && is_on; do sleep 0.05; n=$((n + 1)); done
    is_on && kill -KILL "$p" 2>/dev/null
    blog "power off (pid=$p)"
}

case "$op" in
    get)
        for item in "$@"; do
            case "$item" in
                power) if is_on; then echo "power:1"; else echo "power:0"; fi ;;
                boot) echo "boot:$(boot_dev)" ;;
                *) blog "get $item: unsupported" ;;
            esac
        done
        ;;
    set)
        while [ $# -ge 2 ]; do
            item=$1; val=$2; shift 2
            blog "set $item $val"
            case "$item" in
                power) if [ "$val" = 1 ]; then power_on; else power_off; fi ;;
                reset) if [ "$val" = 1 ]; then power_off; power_on; fi ;;
                shutdown) [ "$val" = 1 ] && power_off ;;
                boot) echo "$val" > "$VMDIR/bootdev" ;;
                *) blog "set $item: unsupported" ;;
            esac
        done
        ;;
    *) exit 1 ;;
esac
exit 0
