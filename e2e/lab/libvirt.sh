#!/bin/sh
# libvirt.sh up [N] | reset | down | status
# Lab machines managed by libvirt, for sushy-emulator's libvirt driver (a Redfish BMC in front of real QEMU):
#   up N    starts virtlogd and libvirtd (system mode, as root, by hand: there is no systemd) unless they already
#           run, defines the storage pool "plinth-lab" (sushy-emulator downloads virtual media into it) and N (1..4)
#           machines from libvirt/domain.xml: plinth-rf-vmI, UUID 7b1e0c55-0d6a-4c2e-9f3b-00000000000I, MAC
#           52:54:00:6c:ac:0I, a qcow2 disk of PLINTH_RF_DISK_SIZE (3G) with serial plinth-rf-vmI-disk,
#           PLINTH_RF_MEM MiB (640), serial console appended to $PLINTH_LAB_DIR/libvirt/vmI/serial.log. Idempotent.
#   reset   every machine off, a new empty disk, no CD, boot from disk, an empty serial log
#   down    undefines the machines and the pool, then stops only the daemons this script started (their PIDs are
#           recorded under $PLINTH_LAB_DIR/libvirt); a libvirtd that ran before is left running
#   status  the daemons and each machine's state
# Runs in the network namespace it is started in (the machines' QEMU user networks are libvirtd's): the guests see
# that namespace's 127.0.0.1 as 10.0.2.2. Nothing here needs DHCP: libvirt networks are neither defined nor started.
set -eu
. "$(dirname "$0")/lib.sh"
RF=$LAB_DIR/libvirt
URI=qemu:///system
POOL=plinth-lab

vm_name() { echo "plinth-rf-vm$1"; }
vm_uuid() { echo "7b1e0c55-0d6a-4c2e-9f3b-00000000000$1"; }
vm_mac() { echo "52:54:00:6c:ac:0$1"; }
virsh_q() { virsh -q -c "$URI" "$@"; }
answers() { virsh -c "$URI" uri >/dev/null 2>&1; }  # not "version": that probes QEMU

# kvm only where lib.sh's detect_accel says so and libvirt's QEMU user may open /dev/kvm too (without udev it may be
# root's alone), else tcg
rf_accel() {
    a=$(detect_accel)
    if [ "$a" = kvm ] && ! setpriv --reuid libvirt-qemu --regid libvirt-qemu --init-groups \
            test -r /dev/kvm -a -w /dev/kvm 2>/dev/null; then
        a=tcg
    fi
    echo "$a"
}

pid_alive() { [ -n "${1:-}" ] && [ -d "/proc/$1" ] && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }
# stop_recorded PIDFILE PROGRAM: TERM, wait up to 10 s, KILL; only if the pid still is that program
stop_recorded() {
    [ -f "$1" ] || return 0
    p=$(cat "$1"); rm -f "$1"
    pid_alive "$p" && [ "$(cat "/proc/$p/comm" 2>/dev/null)" = "$2" ] || return 0
    kill -TERM "$p" 2>/dev/null || true
    w=0; while [ $w -lt 100 ] && pid_alive "$p"; do sleep 0.1; w=$((w + 1)); done
    pid_alive "$p" && kill -KILL "$p" 2>/dev/null || true
}

start_daemons() {
    mkdir -p "$RF"
    if answers; then
        [ -f "$RF/libvirtd.pid" ] || log "libvirtd already running (not started by libvirt.sh): using it, leaving it running"
        return 0
    fi
    command -v libvirtd >/dev/null && command -v virtlogd >/dev/null && command -v virsh >/dev/null \
        || die "libvirtd, virtlogd or virsh missing: run e2e/lab/install-packages.sh"
    # virtlogd first: libvirtd hands it each QEMU's output. One that runs already (any) serves us too.
    if ! pidof virtlogd >/dev/null 2>&1; then
        virtlogd --daemon --pid-file "$RF/virtlogd.pid" || die "virtlogd did not start"
    fi
    if [ -e /dev/kvm ] && [ "$(rf_accel)" = tcg ]; then
        # A /dev/kvm that QEMU must not or cannot use (rf_accel; here a PVM module) is hidden from libvirtd and its
        # QEMUs by a private mount namespace: libvirt probes QEMU as root, who can open it, but checks KVM as the
        # QEMU user, who cannot, and so probes again at every call (about 4 s each, 50 s per domain definition).
        # In that namespace libvirtd also reads a qemu.conf without per-domain /dev namespaces, which would carry
        # the hiding mount into each domain's /dev and fail ("Unable to move ... mount to /dev/kvm").
        : > "$RF/no-kvm"; chmod 0600 "$RF/no-kvm"
        { cat /etc/libvirt/qemu.conf; echo 'namespaces = []'; } > "$RF/qemu.conf"
        unshare --mount --propagation private sh -c 'mount --bind "$1/no-kvm" /dev/kvm &&
            mount --bind "$1/qemu.conf" /etc/libvirt/qemu.conf &&
            exec libvirtd --daemon --pid-file "$1/libvirtd.pid"' sh "$RF" || die "libvirtd did not start"
    else
        libvirtd --daemon --pid-file "$RF/libvirtd.pid" || die "libvirtd did not start"
    fi
    w=0
    until answers; do
        w=$((w + 1)); [ $w -lt 300 ] || die "libvirtd does not answer on $URI after 30 s"
        sleep 0.1
    done
    log "libvirtd $(libvirtd --version | awk '{print $NF}') running (pid $(cat "$RF/libvirtd.pid"))"
}

# the pool sushy-emulator uploads inserted media to (SUSHY_EMULATOR_STORAGE_POOL); ours, so down may remove it
define_pool() {
    virsh_q pool-info "$POOL" >/dev/null 2>&1 && return 0
    mkdir -p "$RF/pool"
    cat > "$RF/pool.xml" <<XML
<pool type='dir'><name>$POOL</name><target><path>$RF/pool</path></target></pool>
XML
    virsh_q pool-define "$RF/pool.xml" >/dev/null
    virsh_q pool-start "$POOL" >/dev/null
}

new_disk() {  # new_disk I
    d=$RF/vm$1
    rm -f "$d/disk.qcow2"
    qemu-img create -q -f qcow2 "$d/disk.qcow2" "${PLINTH_RF_DISK_SIZE:-3G}"
}

define_vm() {  # define_vm I ACCEL
    i=$1; name=$(vm_name "$i"); d=$RF/vm$i
    mkdir -p "$d"
    # libvirt runs QEMU as libvirt-qemu and gives it its disk (dynamic ownership): the path must be traversable
    chmod 0755 "$LAB_DIR" "$RF" "$d"
    [ -f "$d/disk.qcow2" ] || new_disk "$i"
    : >> "$d/serial.log"
    if [ "$2" = kvm ]; then type=kvm; cpu=host-passthrough; else type=qemu; cpu=maximum; fi
    mem=${PLINTH_RF_MEM:-640}
    sed -e "s|@ACCEL@|$type|; s|@CPU_MODE@|$cpu|; s|@NAME@|$name|; s|@UUID@|$(vm_uuid "$i")|" \
        -e "s|@MEM@|$mem|g; s|@EMULATOR@|$(command -v qemu-system-x86_64)|; s|@DISK@|$d/disk.qcow2|" \
        -e "s|@SERIAL@|$name-disk|; s|@MAC@|$(vm_mac "$i")|; s|@SERIAL_LOG@|$d/serial.log|" \
        "$LAB_SRC/libvirt/domain.xml" > "$d/domain.xml"
    virsh_q define "$d/domain.xml" >/dev/null
    cat > "$d/vm.env" <<ENV
VM_NAME=$name
VM_UUID=$(vm_uuid "$i")
VM_MAC=$(vm_mac "$i")
VM_DISK=$d/disk.qcow2
VM_MEM=$mem
VM_ACCEL=$2
ENV
}

cmd_up() {
    n=${1:-1}
    [ "$n" -ge 1 ] && [ "$n" -le 4 ] || die "up N: 1 <= N <= 4"
    [ "$(id -u)" = 0 ] || die "needs root (libvirtd in system mode)"
    command -v qemu-system-x86_64 >/dev/null || die "QEMU missing: run e2e/lab/install-packages.sh"
    start_daemons
    define_pool
    accel=$(rf_accel)
    i=1
    while [ $i -le "$n" ]; do
        virsh_q dominfo "$(vm_name $i)" >/dev/null 2>&1 || define_vm $i "$accel"
        i=$((i + 1))
    done
    echo "RF_N=$n" > "$RF/lab.env"
    log "libvirt lab up: $n machine(s), accel=$accel, pool $POOL ($RF/pool)"
}

off() {  # off NAME: hard power off, if running
    [ "$(virsh_q domstate "$1" 2>/dev/null)" != "running" ] || virsh_q destroy "$1" >/dev/null 2>&1 || true
}

cmd_reset() {
    [ -f "$RF/lab.env" ] || die "the libvirt lab is down: libvirt.sh up first"
    . "$RF/lab.env"
    accel=$(rf_accel)
    i=1
    while [ $i -le "$RF_N" ]; do
        off "$(vm_name $i)"
        # defined afresh from the template: no CD left by a test, boot from disk, the same identity
        virsh_q undefine "$(vm_name $i)" >/dev/null 2>&1 || true
        new_disk $i
        : > "$RF/vm$i/serial.log"
        define_vm $i "$accel"
        i=$((i + 1))
    done
    # media a test inserted (sushy-emulator's uploads)
    for v in $(virsh_q vol-list "$POOL" 2>/dev/null | awk '{print $1}'); do
        virsh_q vol-delete --pool "$POOL" "$v" >/dev/null 2>&1 || true
    done
    log "libvirt lab reset: machines off, disks empty"
}

cmd_down() {
    if answers; then
        for d in "$RF"/vm*; do
            [ -d "$d" ] || continue
            i=${d##*/vm}
            off "$(vm_name "$i")"
            virsh_q undefine "$(vm_name "$i")" >/dev/null 2>&1 || true
        done
        if virsh_q pool-info "$POOL" >/dev/null 2>&1; then
            for v in $(virsh_q vol-list "$POOL" 2>/dev/null | awk '{print $1}'); do
                virsh_q vol-delete --pool "$POOL" "$v" >/dev/null 2>&1 || true
            done
            virsh_q pool-destroy "$POOL" >/dev/null 2>&1 || true
            virsh_q pool-undefine "$POOL" >/dev/null 2>&1 || true
        fi
    fi
    stop_recorded "$RF/libvirtd.pid" libvirtd
    stop_recorded "$RF/virtlogd.pid" virtlogd
    rm -rf "$RF"
    log "libvirt lab down"
}

cmd_status() {
    if ! answers; then echo "libvirtd not running"; return 0; fi
    echo "libvirtd: $([ -f "$RF/libvirtd.pid" ] && echo "pid $(cat "$RF/libvirtd.pid") (started by libvirt.sh)" || echo "not started by libvirt.sh")"
    virsh_q list --all
    virsh_q pool-list --all
}

case "${1:-}" in
    up) shift; cmd_up "$@" ;;
    reset) cmd_reset ;;
    down) cmd_down ;;
    status) cmd_status ;;
    *) echo "usage: $0 up [N] | reset | down | status" >&2; exit 2 ;;
esac
