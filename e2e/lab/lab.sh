#!/bin/sh
# lab.sh up N | reset | down | status | exec CMD... | ipmi I ARGS...
# A virtual bare-metal lab in the network namespace "plinth-lab" (only lo inside):
# per VM i (1..9): qcow2 disk, MAC 52:54:00:6c:ab:0i, an ipmi_sim BMC on 127.0.0.1:(9001+i) in the
# namespace (user admin, password in a 0600 file) whose chassis_control is bmc-control.sh.
# The VMs' iPXE fetches http://10.0.2.2:$PLINTH_LAB_PORT/boot.ipxe: the controller (or stub) must
# listen on 127.0.0.1:$PLINTH_LAB_PORT inside the namespace (QEMU user networking maps 10.0.2.2 there).
# Env: PLINTH_LAB_DIR (/var/tmp/plinth-lab), PLINTH_LAB_PORT (8080), PLINTH_LAB_ACCEL (auto|tcg|kvm),
#      PLINTH_LAB_DISK_SIZE (2G), PLINTH_LAB_MEM (512).
set -eu
. "$(dirname "$0")/lib.sh"
VMS=$LAB_DIR/vms

vm_dir() { echo "$VMS/vm$1"; }
bmc_port() { echo $((9001 + $1)); }
ipmi() {  # ipmi I ARGS...: ipmitool against VM i's BMC (inside the namespace)
    i=$1; shift
    in_ns ipmitool -I lanplus -C 3 -H 127.0.0.1 -p "$(bmc_port "$i")" -U admin \
        -f "$(vm_dir "$i")/bmc-password" "$@"
}

pid_alive() { [ -n "${1:-}" ] && [ -d "/proc/$1" ] && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }
stop_pid() {  # stop_pid PIDFILE NAME-PATTERN: TERM, wait, KILL; only if the pid still is that program
    [ -f "$1" ] || return 0
    p=$(cat "$1"); rm -f "$1"
    pid_alive "$p" && grep -q "$2" "/proc/$p/cmdline" 2>/dev/null || return 0
    kill -TERM "$p" 2>/dev/null || true
    n=0; while [ $n -lt 20 ] && pid_alive "$p"; do sleep 0.1; n=$((n + 1)); done
    pid_alive "$p" && kill -KILL "$p" 2>/dev/null || true
}

cmd_up() {
    n=${1:-1}
    [ "$n" -ge 1 ] && [ "$n" -le 9 ] || die "up N: 1 <= N <= 9"
    command -v ipmi_sim >/dev/null && command -v qemu-system-x86_64 >/dev/null || die "run install-packages.sh"
    [ ! -d "$VMS" ] || [ -z "$(ls "$VMS" 2>/dev/null)" ] || die "lab already up ($VMS exists): run lab.sh down first"
    accel=$(detect_accel)
    mkdir -p "$VMS"
    ip netns add "$LAB_NS"
    in_ns ip link set lo up
    printf 'LAB_N=%s\nLAB_ACCEL=%s\nLAB_PORT=%s\n' "$n" "$accel" "$LAB_PORT" > "$VMS/lab.env"
    i=1
    while [ $i -le "$n" ]; do
        d=$(vm_dir $i); mkdir -p "$d/ipmi-state"
        qemu-img create -q -f qcow2 "$d/disk.qcow2" "${PLINTH_LAB_DISK_SIZE:-2G}"
        ( umask 077; head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$d/bmc-password" )
        cat > "$d/vm.env" <<ENV
VM_NAME=plinth-vm$i
VM_MAC=52:54:00:6c:ab:0$i
VM_DISK=$d/disk.qcow2
VM_PORT=$LAB_PORT
VM_ACCEL=$accel
VM_MEM=${PLINTH_LAB_MEM:-512}
ENV
        echo default > "$d/bootdev"
        : > "$d/serial.log"
        ( umask 077; cat > "$d/lan.conf" <<CONF
name "plinth-vm$i"
set_working_mc 0x20
  startlan 1
    addr 127.0.0.1 $(bmc_port $i)
    priv_limit admin
    allowed_auths_callback none md2 md5 straight
    allowed_auths_user none md2 md5 straight
    allowed_auths_operator none md2 md5 straight
    allowed_auths_admin none md2 md5 straight
    guid a0b1c2d3e4f5a6b7c8d9e0f1a2b3c40$i
  endlan
  chassis_control "$LAB_SRC/bmc-control.sh $d"
  user 2 true "admin" "$(cat "$d/bmc-password")" admin 10 md5 straight
CONF
        )
        cat > "$d/bmc.emu" <<EMU
mc_setbmc 0x20
mc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02 persist_sdr
mc_enable 0x20
EMU
        ( exec ip netns exec "$LAB_NS" ipmi_sim -n -c "$d/lan.conf" -f "$d/bmc.emu" -s "$d/ipmi-state" >"$d/ipmi_sim.log" 2>&1 ) &
        echo $! > "$d/ipmi_sim.pid"
        i=$((i + 1))
    done
    # wait for the BMCs to answer
    i=1
    while [ $i -le "$n" ]; do
        t=0
        until ipmi $i chassis power status >/dev/null 2>&1; do
            t=$((t + 1)); [ $t -lt 50 ] || die "BMC of vm$i does not answer (see $(vm_dir $i)/ipmi_sim.log)"
            sleep 0.1
        done
        i=$((i + 1))
    done
    log "lab up: $n VM(s), accel=$accel, namespace $LAB_NS, BMCs 127.0.0.1:$(bmc_port 1)..$(bmc_port "$n"), controller expected on 127.0.0.1:$LAB_PORT (guests see 10.0.2.2:$LAB_PORT)"
}

cmd_down() {
    if [ -d "$VMS" ]; then
        for d in "$VMS"/vm*; do
            [ -d "$d" ] || continue
            stop_pid "$d/qemu.pid" qemu-system
            stop_pid "$d/ipmi_sim.pid" ipmi_sim
        done
        rm -rf "$VMS"
    fi
    if ip netns list | grep -qw "$LAB_NS"; then
        pids=$(ip netns pids "$LAB_NS" 2>/dev/null || true)
        [ -z "$pids" ] || log "warning: processes still in $LAB_NS (not started by lab.sh?): $pids"
        ip netns del "$LAB_NS"
    fi
    log "lab down"
}

# Every VM as lab.sh up left it: QEMU stopped (off), a new empty disk, boot device "default", an empty serial log.
# The namespace and the BMCs (ports, passwords) stay: a test JVM inside the namespace can start afresh without
# leaving it (down + up would make a new namespace, which it is not in).
cmd_reset() {
    [ -f "$VMS/lab.env" ] || die "lab is down: lab.sh up N first"
    for d in "$VMS"/vm*; do
        [ -d "$d" ] || continue
        stop_pid "$d/qemu.pid" qemu-system
        rm -f "$d/disk.qcow2"
        qemu-img create -q -f qcow2 "$d/disk.qcow2" "${PLINTH_LAB_DISK_SIZE:-2G}"
        echo default > "$d/bootdev"
        : > "$d/serial.log"
    done
    log "lab reset: VMs off, disks empty"
}

cmd_status() {
    [ -f "$VMS/lab.env" ] || { echo "lab is down"; return 0; }
    . "$VMS/lab.env"
    echo "lab: $LAB_N VM(s), accel=$LAB_ACCEL, namespace $LAB_NS, controller port $LAB_PORT"
    i=1
    while [ $i -le "$LAB_N" ]; do
        d=$(vm_dir $i); . "$d/vm.env"
        pw=$(ipmi $i chassis power status 2>&1 || true)
        echo "vm$i mac=$VM_MAC bmc=127.0.0.1:$(bmc_port $i) bootdev=$(cat "$d/bootdev") $pw"
        tail -n 3 "$d/serial.log" 2>/dev/null | tr -d '\r' | sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g; s/^/    | /'; echo
        i=$((i + 1))
    done
}

case "${1:-}" in
    up) shift; cmd_up "$@" ;;
    reset) cmd_reset ;;
    down) cmd_down ;;
    status) cmd_status ;;
    exec) shift; in_ns "$@" ;;
    ipmi) shift; ipmi "$@" ;;
    *) echo "usage: $0 up N | reset | down | status | exec CMD... | ipmi I IPMITOOL-ARGS..." >&2; exit 2 ;;
esac
