#!/bin/bash
# dhcp-smoke.sh [dnsmasq|isc|kea] [down]
# Runs the DHCP snippet for that server from docs/provisioning.md ("Pointing DHCP at the controller"), taken
# from the document itself (HOST:PORT = 192.0.2.1:8080, /srv/tftp = a scratch dir), against real network boots:
# namespace plinth-dhcp with bridge br0 (192.0.2.1/24, TEST-NET-1, only inside the namespace), tap0 for one
# QEMU VM and veth pair for a DHCP probe; the server under test on br0; TFTP of Debian's ipxe files (dnsmasq's own
# TFTP for dnsmasq; for isc/kea a second dnsmasq with port=0 and no DHCP, TFTP only); a python3 HTTP server on
# 192.0.2.1:8080 serving /boot.ipxe (as the controller does) and a per-MAC script that prints PLINTH-DHCP-OK.
# Cases (DHCP_SMOKE_CASES, default "probe ipxe undi uefi"), one VM at a time, each must show PLINTH-DHCP-OK on its
# serial console within DHCP_SMOKE_TIMEOUT:
#   probe  busybox udhcpc on the veth end asks as a BIOS PXE ROM (arch 0), a UEFI x86-64 ROM (arch 7 and 9),
#          iPXE by user class 77 only and by option 175 only; asserts the boot file and next-server answered,
#          then fetches undionly.kpxe over TFTP and compares it with /usr/lib/ipxe/undionly.kpxe.
#   ipxe   BIOS VM (SeaBIOS) with QEMU's iPXE NIC ROM (ipxe-qemu): the iPXE branch, HTTP URL straight away.
#   undi   BIOS VM, iPXE ROM driven through its shell (Ctrl-B, "dhcp", "chain tftp://192.0.2.1/undionly.kpxe"
#          typed into the serial socket): undionly.kpxe runs on the ROM's PXE/UNDI API, asks DHCP again as iPXE and
#          must get the HTTP URL. The ROM's own DHCP answer is not used (it is iPXE, so it got the HTTP URL).
#   uefi   UEFI VM (OVMF, package ovmf) with the NIC ROM disabled (romfile=): OVMF's own PXE client (arch 7) gets
#          ipxe.efi over TFTP, that iPXE asks DHCP again as iPXE and chains /boot.ipxe -> per-MAC script.
# Not covered by a VM: a plain (non-iPXE) BIOS PXE ROM asking DHCP and being answered undionly.kpxe; "probe" checks
# that DHCP answer, "undi" what happens after it. No non-iPXE BIOS PXE ROM is packaged; SeaBIOS has no PXE.
# Env: DHCP_SMOKE_TIMEOUT (s per VM case, default 180), DHCP_SMOKE_RA (1: dnsmasq sends IPv6 router
# advertisements on br0, default 1; 0 shows iPXE's IPv6 autoconf wait), PLINTH_LAB_DIR.
# Logs stay in $PLINTH_LAB_DIR/dhcp-smoke/SERVER/. "down" only cleans up (idempotent; also run by the trap).
set -eu
. "$(dirname "$0")/lib.sh"
SERVER=${1:-dnsmasq}
case "$SERVER" in dnsmasq|isc|kea) ;; *) echo "usage: $0 [dnsmasq|isc|kea] [down]" >&2; exit 2 ;; esac
NS=plinth-dhcp
HOST=192.0.2.1
PORT=8080
MAC=52:54:00:6c:dc:01
CASES=${DHCP_SMOKE_CASES:-probe ipxe undi uefi}
TIMEOUT=${DHCP_SMOKE_TIMEOUT:-180}
RA=${DHCP_SMOKE_RA:-1}
DOC=${DHCP_SMOKE_DOC:-$LAB_SRC/../../docs/provisioning.md}
W=$LAB_DIR/dhcp-smoke/$SERVER
P=$LAB_DIR/dhcp-smoke/pids     # pidfiles of everything this script started (shared by all servers: one run at a time)

ns() { ip netns exec "$NS" "$@"; }
fail() { log "DHCP SMOKE FAILED ($SERVER): $*"; exit 1; }
now() { date +%s.%N; }
el() { awk -v a="$1" -v b="${2:-$(now)}" 'BEGIN{printf "%.1f", b-a}'; }

# stop NAME PATTERN: stop the process recorded in $P/NAME.pid if it still is PATTERN (TERM, then KILL)
pid_alive() { [ -n "${1:-}" ] && [ -d "/proc/$1" ] && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }
stop() {
    local f=$P/$1.pid p n
    [ -f "$f" ] || return 0
    p=$(cat "$f" 2>/dev/null || true); rm -f "$f"
    pid_alive "$p" && tr '\0' ' ' < "/proc/$p/cmdline" 2>/dev/null | grep -q "$2" || return 0
    kill -TERM "$p" 2>/dev/null || true
    n=0; while [ $n -lt 30 ] && pid_alive "$p"; do sleep 0.1; n=$((n + 1)); done
    if pid_alive "$p"; then kill -KILL "$p" 2>/dev/null || true; fi
}
down() {
    stop qemu qemu-system
    stop keys serial-keys
    stop http http.server
    stop tftp dnsmasq
    stop dhcp 'dnsmasq\|dhcpd\|kea-dhcp4'
    if ip netns list 2>/dev/null | grep -qw "$NS"; then
        left=$(ip netns pids "$NS" 2>/dev/null | tr '\n' ' ')
        [ -z "$left" ] || log "warning: processes still in $NS (not started by this script?): $left"
        ip netns del "$NS"
    fi
}
if [ "${2:-}" = down ]; then down; log "down"; exit 0; fi

# bg NAME LOG CMD...: start CMD inside the namespace, record its real PID
bg() {
    local name=$1 out=$2; shift 2
    ( exec ip netns exec "$NS" "$@" ) >"$out" 2>&1 </dev/null &
    echo $! > "$P/$name.pid"
}
# wait_for SECONDS WHAT CMD...: poll every 0.2 s
wait_for() {
    local secs=$1 what=$2 end; shift 2
    end=$(( $(date +%s) + secs ))
    until "$@"; do
        [ "$(date +%s)" -lt "$end" ] || fail "timeout after ${secs}s waiting for $what"
        sleep 0.2
    done
}
alive() { pid_alive "$(cat "$P/$1.pid" 2>/dev/null)"; }

# The fenced block that follows the first line starting with $1 in docs/provisioning.md.
doc_snippet() {
    awk -v start="$1" '
        !found && index($0, start) == 1 { found = 1; next }
        found == 1 && /^```/ { found = 2; next }
        found == 2 && /^```/ { exit }
        found == 2 { print }' "$DOC"
}
subst() { sed -e "s#HOST:PORT#$HOST:$PORT#g" -e "s#/srv/tftp#$W/tftp#g"; }

finish() {
    rc=$?
    set +e
    down
    if [ $rc = 0 ]; then log "all cases passed; logs in $W/"; else log "logs kept in $W/"; fi
    exit $rc
}

# --- preflight -----------------------------------------------------------------------------------------
for f in /usr/lib/ipxe/undionly.kpxe /usr/lib/ipxe/ipxe.efi; do [ -f "$f" ] || die "$f missing: apt-get install ipxe"; done
command -v dnsmasq >/dev/null || die "dnsmasq missing: apt-get install dnsmasq-base"
command -v qemu-system-x86_64 >/dev/null || die "run e2e/lab/install-packages.sh"
case "$SERVER" in
    isc) command -v dhcpd >/dev/null || die "dhcpd missing: apt-get install isc-dhcp-server" ;;
    kea) command -v kea-dhcp4 >/dev/null || die "kea-dhcp4 missing: apt-get install kea-dhcp4-server" ;;
esac
case " $CASES " in *" uefi "*) [ -f /usr/share/OVMF/OVMF_CODE_4M.fd ] || die "OVMF missing: apt-get install ovmf" ;; esac
[ -f "$DOC" ] || die "no $DOC"

mkdir -p "$P"
down   # leftovers of an interrupted run
rm -rf "$W"; mkdir -p "$W/tftp" "$W/http/v1/boot"
trap finish EXIT
trap 'exit 130' INT TERM
T0=$(now)

# --- network: namespace, bridge, tap for the VM, veth pair for the probe -------------------------------
ip netns add "$NS"
ns ip link set lo up
ns ip link add br0 type bridge
ns ip link set br0 type bridge forward_delay 0 stp_state 0
ns ip addr add "$HOST/24" dev br0
ns ip tuntap add dev tap0 mode tap
ns ip link set tap0 master br0
ns ip link add vprobe type veth peer name vprobe-br
ns ip link set vprobe-br master br0
for l in br0 tap0 vprobe vprobe-br; do ns ip link set "$l" up; done
if [ "$RA" = 1 ]; then ns ip addr add 2001:db8:dc::1/64 dev br0 nodad; fi
wait_for 10 "br0 up with $HOST" sh -c "ip netns exec $NS ip -4 addr show br0 | grep -q $HOST"

# --- TFTP files, HTTP server ---------------------------------------------------------------------------
cp /usr/lib/ipxe/undionly.kpxe /usr/lib/ipxe/ipxe.efi "$W/tftp/"
# shellcheck disable=SC2016  # ${mac} is for iPXE
printf '#!ipxe\nchain http://%s:%s/v1/boot/${mac}.ipxe\n' "$HOST" "$PORT" > "$W/http/boot.ipxe"
cat > "$W/http/v1/boot/$MAC.ipxe" <<'EOF'
#!ipxe
echo PLINTH-DHCP-OK
echo mac=${mac} ip=${ip}
echo next-server=${next-server}
echo filename=${filename}
sleep 2
poweroff
EOF
bg http "$W/http.log" python3 -u -m http.server --bind "$HOST" --directory "$W/http" "$PORT"

# --- DHCP server under test (+ TFTP) -------------------------------------------------------------------
RA_CONF=""
[ "$RA" = 1 ] && RA_CONF="enable-ra
dhcp-range=2001:db8:dc::,ra-only"
case "$SERVER" in
dnsmasq)
    doc_snippet "dnsmasq:" | subst > "$W/snippet.conf"
    cat > "$W/dnsmasq.conf" <<EOF
# test plumbing (not part of the documented snippet)
port=0
interface=br0
bind-interfaces
user=root
pid-file=$W/dnsmasq.pid
log-facility=$W/dhcp.log
log-dhcp
dhcp-leasefile=$W/dnsmasq.leases
dhcp-range=192.0.2.100,192.0.2.200,255.255.255.0,1h
$RA_CONF
# --- snippet from docs/provisioning.md ---
$(cat "$W/snippet.conf")
EOF
    bg dhcp "$W/dhcp.stderr" dnsmasq --keep-in-foreground --conf-file="$W/dnsmasq.conf"
    TFTP_LOG=$W/dhcp.log
    ;;
isc|kea)
    cat > "$W/tftp.conf" <<EOF
# TFTP only (no DHCP, no DNS), and IPv6 RAs if DHCP_SMOKE_RA=1
port=0
interface=br0
bind-interfaces
user=root
pid-file=$W/tftp-dnsmasq.pid
log-facility=$W/tftp.log
enable-tftp
tftp-root=$W/tftp
$RA_CONF
EOF
    bg tftp "$W/tftp.stderr" dnsmasq --keep-in-foreground --conf-file="$W/tftp.conf"
    TFTP_LOG=$W/tftp.log
    ;;
esac
case "$SERVER" in
isc)
    doc_snippet "ISC dhcpd" | subst > "$W/snippet.conf"
    { echo "# test plumbing"; echo "default-lease-time 3600;"; echo "authoritative;";
      echo "# --- snippet from docs/provisioning.md ---"; cat "$W/snippet.conf"; } > "$W/dhcpd.conf"
    : > "$W/dhcpd.leases"
    ns dhcpd -t -4 -cf "$W/dhcpd.conf" >"$W/dhcpd-check.log" 2>&1 || { cat "$W/dhcpd-check.log" >&2; fail "dhcpd -t rejects the config"; }
    bg dhcp "$W/dhcp.log" dhcpd -4 -f -d -cf "$W/dhcpd.conf" -lf "$W/dhcpd.leases" -pf "$W/dhcpd.pid" br0
    ;;
kea)
    doc_snippet "Kea (" | subst > "$W/snippet.json"
    cat > "$W/kea.json" <<EOF
{ "Dhcp4": {
  "interfaces-config": { "interfaces": [ "br0" ], "dhcp-socket-type": "raw" },
  "lease-database": { "type": "memfile", "persist": false },
  "valid-lifetime": 3600,
  "subnet4": [ { "id": 1, "subnet": "192.0.2.0/24", "pools": [ { "pool": "192.0.2.100 - 192.0.2.200" } ] } ],
  "loggers": [ { "name": "kea-dhcp4", "output_options": [ { "output": "stdout" } ], "severity": "DEBUG", "debuglevel": 40 } ],
$(cat "$W/snippet.json")
} }
EOF
    mkdir -p "$W/kea-run"
    KEA_PIDFILE_DIR=$W/kea-run KEA_LOCKFILE_DIR=$W/kea-run ns kea-dhcp4 -t "$W/kea.json" >"$W/kea-check.log" 2>&1 \
        || { tail -5 "$W/kea-check.log" >&2; fail "kea-dhcp4 -t rejects the config"; }
    bg dhcp "$W/dhcp.log" env KEA_PIDFILE_DIR="$W/kea-run" KEA_LOCKFILE_DIR="$W/kea-run" kea-dhcp4 -c "$W/kea.json"
    ;;
esac
listening() { ns ss -Hlnu "sport = :$1" | grep -q .; }
wait_for 15 "DHCP server on :67 (see $W/dhcp.log)" listening 67
wait_for 15 "TFTP on :69" listening 69
wait_for 15 "HTTP on $HOST:$PORT" sh -c "ip netns exec $NS ss -Hlnt 'sport = :$PORT' | grep -q ."
alive dhcp || fail "DHCP server died (see $W/dhcp.log)"
log "$SERVER ($(case $SERVER in dnsmasq) dnsmasq --version | head -1;; isc) dhcpd --version 2>&1;; kea) echo "kea-dhcp4 $(kea-dhcp4 -V | head -1)";; esac)) up on br0 $HOST in $(el "$T0") s"

# --- case probe ----------------------------------------------------------------------------------------
cat > "$W/udhcpc-probe.sh" <<'EOF'
#!/bin/sh
[ "$1" = bound ] || [ "$1" = renew ] || exit 0
echo "ip=$ip siaddr=${siaddr:-} boot_file=${boot_file:-}" > "$PROBE_OUT"
EOF
chmod +x "$W/udhcpc-probe.sh"
# probe NAME EXPECT_FILE EXPECT_SIADDR|- UDHCPC-ARGS...: one DISCOVER/REQUEST as such a client
probe() {
    local name=$1 want_file=$2 want_si=$3 got t; shift 3
    rm -f "$W/probe-$name.out"
    t=$(now)
    PROBE_OUT=$W/probe-$name.out ns busybox udhcpc -i vprobe -f -q -n -t 4 -T 2 -A 1 -s "$W/udhcpc-probe.sh" "$@" \
        >>"$W/probe.log" 2>&1 || fail "probe $name: no lease (see $W/probe.log)"
    got=$(cat "$W/probe-$name.out")
    case "$got" in *" boot_file=$want_file") ;; *) fail "probe $name: got '$got', expected boot_file=$want_file" ;; esac
    [ "$want_si" = - ] || case "$got" in *" siaddr=$want_si "*) ;; *) fail "probe $name: got '$got', expected siaddr=$want_si" ;; esac
    log "probe $name: $got ($(el "$t") s)"
}
if [ "${CASES#*probe}" != "$CASES" ]; then
    URL=http://$HOST:$PORT/boot.ipxe
    # Vendor class / arch as real PXE ROMs send them; user class 77 "iPXE" as iPXE sends it (a bare string);
    # option 175 with one encapsulated sub-option (0xb1 bus id) as iPXE sends it among others.
    probe bios-pxe undionly.kpxe "$HOST" -V PXEClient:Arch:00000:UNDI:002001 -x 0x5d:0000
    probe efi64-arch7 ipxe.efi "$HOST" -V PXEClient:Arch:00007:UNDI:003016 -x 0x5d:0007
    probe efi64-arch9 ipxe.efi "$HOST" -V PXEClient:Arch:00009:UNDI:003016 -x 0x5d:0009
    probe ipxe-userclass "$URL" - -V PXEClient:Arch:00000:UNDI:002001 -x 0x5d:0000 -x 0x4d:69505845
    probe ipxe-opt175 "$URL" - -V PXEClient:Arch:00000:UNDI:002001 -x 0x5d:0000 -x 0xaf:b10501808610
    ns busybox tftp -g -r undionly.kpxe -l "$W/undionly.kpxe.tftp" "$HOST" || fail "TFTP get undionly.kpxe"
    cmp -s "$W/undionly.kpxe.tftp" /usr/lib/ipxe/undionly.kpxe || fail "TFTP undionly.kpxe differs"
    log "probe: TFTP undionly.kpxe from $HOST identical to /usr/lib/ipxe/undionly.kpxe ($(wc -c < "$W/undionly.kpxe.tftp") bytes)"
fi

cat > "$W/serial-keys.py" <<'EOF'
# serial-keys.py SOCKET LOG URL: press Ctrl-B at the iPXE ROM's prompt, then "dhcp" and "chain URL"
import socket, sys, time
sock, log, url = sys.argv[1:4]
s = socket.socket(socket.AF_UNIX)
for _ in range(100):
    try:
        s.connect(sock); break
    except OSError:
        time.sleep(0.1)
s.setblocking(False)
def seen(pat, count=1, timeout=90):
    end = time.time() + timeout
    while time.time() < end:
        try:
            s.recv(65536)          # drain: the log file has the output
        except BlockingIOError:
            pass
        if open(log, 'rb').read().count(pat) >= count:
            return
        time.sleep(0.05)
    sys.exit('timeout waiting for %r' % pat)
seen(b'Press Ctrl-B'); s.send(b'\x02'); print('sent Ctrl-B', flush=True)
seen(b'iPXE>'); s.send(b'dhcp\r'); print('sent dhcp', flush=True)
seen(b'iPXE>', 2); s.send(b'chain ' + url.encode() + b'\r'); print('sent chain', url, flush=True)
seen(b'PLINTH-DHCP-OK', 1, 180)
EOF
# --- VM cases ------------------------------------------------------------------------------------------
run_vm() {
    local kind=$1 serial=$W/serial-$1.log t0 tt="" th="" tm="" tf="" fw nic
    : > "$serial"
    stop qemu qemu-system
    case "$kind" in
        ipxe) fw=""; nic="virtio-net-pci,netdev=n0,mac=$MAC,bootindex=1" ;;
        undi) fw=""; nic="virtio-net-pci,netdev=n0,mac=$MAC,bootindex=1" ;;
        uefi) cp /usr/share/OVMF/OVMF_VARS_4M.fd "$W/OVMF_VARS.fd"
              fw="-drive if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd -drive if=pflash,format=raw,unit=1,file=$W/OVMF_VARS.fd"
              nic="virtio-net-pci,netdev=n0,mac=$MAC,bootindex=1,romfile=" ;;
    esac
    local httpl0 tftpl0 chardev="file,id=ser0,path=$serial"
    # undi: the serial port is also a unix socket through which serial-keys.py types into the iPXE ROM's shell
    [ "$kind" != undi ] || { rm -f "$W/serial.sock"; chardev="socket,id=ser0,path=$W/serial.sock,server=on,wait=off,logfile=$serial"; }
    httpl0=$(wc -l < "$W/http.log"); tftpl0=$(wc -l < "$TFTP_LOG" 2>/dev/null || echo 0)
    t0=$(now)
    # shellcheck disable=SC2086
    bg qemu "$W/qemu-$kind.log" qemu-system-x86_64 -name "plinth-dhcp-$kind" -accel tcg -cpu max -m 256 -smp 1 \
        $fw -nographic -pidfile "$W/qemu.pidfile" \
        -chardev "$chardev" -serial chardev:ser0 -monitor none \
        -netdev tap,id=n0,ifname=tap0,script=no,downscript=no -device "$nic"
    if [ "$kind" = undi ]; then
        ( exec python3 "$W/serial-keys.py" "$W/serial.sock" "$serial" "tftp://$HOST/undionly.kpxe" ) >"$W/serial-keys.log" 2>&1 </dev/null &
        echo $! > "$P/keys.pid"
    fi
    local end=$(( $(date +%s) + TIMEOUT ))
    while :; do
        [ -n "$tf" ] || ! tail -n +"$((tftpl0 + 1))" "$TFTP_LOG" 2>/dev/null | grep -q 'dnsmasq-tftp.*sent ' || tf=$(el "$t0")
        [ -n "$th" ] || ! tail -n +"$((httpl0 + 1))" "$W/http.log" | grep -q 'GET /boot.ipxe' || th=$(el "$t0")
        [ -n "$tm" ] || ! tail -n +"$((httpl0 + 1))" "$W/http.log" | grep -q "GET /v1/boot/" || tm=$(el "$t0")
        if grep -aq 'PLINTH-DHCP-OK' "$serial"; then tt=$(el "$t0"); break; fi
        alive qemu || { sleep 0.3; grep -aq 'PLINTH-DHCP-OK' "$serial" && { tt=$(el "$t0"); break; }; fail "$kind: QEMU exited without the marker (see $serial, $W/qemu-$kind.log)"; }
        [ "$(date +%s)" -lt "$end" ] || fail "$kind: no PLINTH-DHCP-OK on the serial console within ${TIMEOUT}s (see $serial)"
        sleep 0.2
    done
    # Debian's iPXE has no poweroff command ("poweroff: command not found"): the script stops the VM after
    # the script's 2 s sleep, in which the detail lines reach the serial log.
    sleep 2.5
    stop qemu qemu-system
    # the branch taken: the iPXE ROM must get the HTTP URL directly (no TFTP), OVMF's PXE must fetch ipxe.efi
    case "$kind" in
        ipxe) [ -z "$tf" ] || fail "ipxe: the iPXE ROM was sent a file over TFTP (non-iPXE branch taken)" ;;
        undi) tail -n +"$((tftpl0 + 1))" "$TFTP_LOG" | grep -q 'dnsmasq-tftp.*sent .*/undionly.kpxe to' \
                  || fail "undi: undionly.kpxe was not sent over TFTP"
              grep -aq 'using undionly on ' "$serial" || fail "undi: no 'using undionly on ' on the serial console" ;;
        uefi) tail -n +"$((tftpl0 + 1))" "$TFTP_LOG" | grep -q 'dnsmasq-tftp.*sent .*/ipxe.efi to' \
                  || fail "uefi: ipxe.efi was not sent over TFTP" ;;
    esac
    tr -d '\r' < "$serial" | sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g' > "$serial.txt"
    log "$kind: serial: $(grep -a -A3 '^PLINTH-DHCP-OK' "$serial.txt" | tr '\n' ' ')"
    log "$kind: timings from QEMU start (polled every 0.2 s): TFTP sent ${tf:--} s, GET /boot.ipxe ${th:--} s, GET per-MAC script ${tm:--} s, marker on serial $tt s"
    tail -n +"$((tftpl0 + 1))" "$TFTP_LOG" 2>/dev/null | grep -a 'dnsmasq-tftp.*sent ' | sed "s/^/    tftp: /" >&2 || true
    tail -n +"$((httpl0 + 1))" "$W/http.log" | grep -a 'GET' | sed "s/^/    http: /" >&2 || true
}
for c in $CASES; do
    case "$c" in
        probe) ;;
        ipxe|uefi|undi) run_vm "$c" ;;
        *) fail "unknown case $c" ;;
    esac
done
log "$SERVER: cases [$CASES] passed in $(el "$T0") s"
