#!/bin/sh
# smoke.sh: a full provisioning cycle without the Java controller.
# lab up N -> stub API (stub_api.py) in the namespace serving iPXE scripts, the deploy ramdisk and test
# images -> per VM: IPMI bootdev pxe + power on -> the agent writes the image -> phase=written, the VM
# powers off -> bootdev disk + power on -> the image boots, prints PLINTH-IMAGE=<name> and checks in
# -> qemu-img compare -> lab down. Prints per-step timings.
# Env: SMOKE_VMS (1 or 2, default 1; VM 2 gets image SMOKE_IMAGE2, default smoke-b, deployed in parallel),
#      SMOKE_IMAGE (smoke-a), SMOKE_COMPRESSION (none|gz|xz, default gz), SMOKE_FORMAT (json|kv),
#      SMOKE_BENCH (MiB of plain dd in the agent for comparison, default 32; 0 = off),
#      SMOKE_DEVICE_NAME / SMOKE_MIN_SIZE_GB / SMOKE_SERIAL: root device hints handed to the agents,
#      SMOKE_BAD_SHA=1: negative test, the stub hands out a wrong sha256 and the agent must report
#      phase=failed with a sha256 mismatch (and stay up),
#      SMOKE_EXPECT_FAIL=<text>: negative test, the agent must report phase=failed with <text> in its
#      message (e.g. SMOKE_MIN_SIZE_GB=3 SMOKE_EXPECT_FAIL="no disk matches"), PLINTH_LAB_PORT, PLINTH_LAB_DIR.
set -eu
. "$(dirname "$0")/lib.sh"
NVMS=${SMOKE_VMS:-1}
COMP=${SMOKE_COMPRESSION:-gz}
FORMAT=${SMOKE_FORMAT:-json}
BENCH=${SMOKE_BENCH:-32}
BAD_SHA=${SMOKE_BAD_SHA:-0}
EXPECT_FAIL=${SMOKE_EXPECT_FAIL:-}
[ "$BAD_SHA" = 1 ] && [ -z "$EXPECT_FAIL" ] && EXPECT_FAIL="sha256 mismatch"
S=$LAB_DIR/smoke
LAB="$LAB_SRC/lab.sh"
API=http://10.0.2.2:$LAB_PORT
case "$NVMS" in 1|2) ;; *) die "SMOKE_VMS must be 1 or 2 (at most 2 VMs on this machine)" ;; esac
case "$COMP" in none) ext="" ;; gz) ext=.gz ;; xz) ext=.xz ;; *) die "bad SMOKE_COMPRESSION" ;; esac
VMLIST=$(seq 1 "$NVMS")
image_of() { if [ "$1" = 1 ]; then echo "${SMOKE_IMAGE:-smoke-a}"; else echo "${SMOKE_IMAGE2:-smoke-b}"; fi; }
mac_of() { echo "52:54:00:6c:ab:0$1"; }

T0=$(date +%s.%N)
TL=$T0
el() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}'; }
step() { log "[$(el "$T0")s total, +$(el "$TL")s] $*"; TL=$(date +%s.%N); }
fail() { log "SMOKE FAILED: $*"; exit 1; }

# wait_for SECONDS DESCRIPTION COMMAND...: poll every 0.2 s
wait_for() {
    secs=$1; what=$2; shift 2
    end=$(( $(date +%s) + secs ))
    until "$@"; do
        [ "$(date +%s)" -lt "$end" ] || fail "timeout after ${secs}s waiting for $what"
        sleep 0.2
    done
}
# ev DEPLOY PATTERN: an event line of that deploy (or "-" for any) matches PATTERN
ev() {
    if [ "$1" = - ]; then grep -q "$2" "$S/events.jsonl" 2>/dev/null
    else grep "\"deploy\": \"$1\"" "$S/events.jsonl" 2>/dev/null | grep -q "$2"; fi
}
ipxe_fetched() { grep '"kind": "ipxe"' "$S/events.jsonl" 2>/dev/null | grep "\"mac\": \"$(mac_of "$1")\"" | grep -q '"served": true'; }
written_or_failed() {
    if ev "d$1" '"phase": "failed"'; then grep '"failed"' "$S/events.jsonl" >&2; fail "agent of vm$1 reported failure"; fi
    ev "d$1" '"phase": "written"'
}
power_is() { "$LAB" ipmi "$1" chassis power status 2>/dev/null | grep -q "is $2"; }
serial_has() { grep -q "$2" "$LAB_DIR/vms/vm$1/serial.log" 2>/dev/null; }

cleanup() {
    rc=$?
    if [ -f "$S/stub.pid" ]; then
        p=$(cat "$S/stub.pid"); rm -f "$S/stub.pid"
        grep -q stub_api "/proc/$p/cmdline" 2>/dev/null && kill "$p" 2>/dev/null || true
    fi
    for i in $VMLIST; do
        [ -f "$LAB_DIR/vms/vm$i/serial.log" ] && cp "$LAB_DIR/vms/vm$i/serial.log" "$S/vm$i.serial.log"
        [ -f "$LAB_DIR/vms/vm$i/bmc.log" ] && cp "$LAB_DIR/vms/vm$i/bmc.log" "$S/vm$i.bmc.log"
    done
    "$LAB" down >/dev/null 2>&1 || true
    [ $rc = 0 ] || log "serial/BMC logs and events kept in $S/"
    exit $rc
}

# 0. artifacts (built if missing)
[ -f "$LAB_DIR/ramdisk/initramfs.cpio.gz" ] || "$LAB_SRC/../../ramdisk/build.sh"
for i in $VMLIST; do
    [ -f "$LAB_DIR/images/$(image_of "$i").raw" ] || "$LAB_SRC/build-test-image.sh" "$(image_of "$i")" >/dev/null
done
step "artifacts ready (ramdisk, images: $(for i in $VMLIST; do printf '%s ' "$(image_of "$i")"; done))"

rm -rf "$S"; mkdir -p "$S/files" "$S/boot"; chmod 700 "$S"
ln -s "$LAB_DIR/ramdisk/vmlinuz" "$S/files/vmlinuz"
ln -s "$LAB_DIR/ramdisk/initramfs.cpio.gz" "$S/files/initramfs.cpio.gz"
newtok() { head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
hints=""
[ -n "${SMOKE_DEVICE_NAME:-}" ] && hints="\"deviceName\": \"$SMOKE_DEVICE_NAME\""
[ -n "${SMOKE_MIN_SIZE_GB:-}" ] && hints="$hints${hints:+, }\"minSizeGigabytes\": $SMOKE_MIN_SIZE_GB"
[ -n "${SMOKE_SERIAL:-}" ] && hints="$hints${hints:+, }\"serialNumber\": \"$SMOKE_SERIAL\""
umask 077
echo "{" > "$S/deploys.json"
for i in $VMLIST; do
    img=$(image_of "$i")
    ln -s "$LAB_DIR/images/$img.raw$ext" "$S/files/$img.raw$ext"
    sha=$(sed -n 's/^sha256=//p' "$LAB_DIR/images/$img.sha256")
    [ "$BAD_SHA" = 1 ] && sha=$(echo "$sha" | tr 0123456789abcdef 123456789abcdef0)
    newtok > "$S/vm$i.deploy.token"; newtok > "$S/vm$i.checkin.token"
    [ "$i" = 1 ] || echo "," >> "$S/deploys.json"
    cat >> "$S/deploys.json" <<JSON
 "d$i": {"token": "$(cat "$S/vm$i.deploy.token")", "checkinToken": "$(cat "$S/vm$i.checkin.token")",
        "imageUrl": "$API/files/$img.raw$ext", "sha256": "$sha", "compression": "$COMP",
        "rootDeviceHints": {$hints}}
JSON
    # The per-MAC script the controller serves while the deploy is pending.
    cat > "$S/boot/$(mac_of "$i" | tr : -).ipxe" <<IPXE
#!ipxe
echo Plinth: deploying $img to vm$i (deploy d$i)
kernel $API/files/vmlinuz console=ttyS0 quiet plinth.api=$API plinth.deploy=d$i plinth.token=$(cat "$S/vm$i.deploy.token") plinth.node=vm$i plinth.checkin=$(cat "$S/vm$i.checkin.token") BOOTIF=01-\${mac:hexhyp}$( [ "$BENCH" -gt 0 ] && echo " plinth.bench=$BENCH")
initrd $API/files/initramfs.cpio.gz
boot
IPXE
done
echo "}" >> "$S/deploys.json"
umask 022

# 1. lab
trap cleanup EXIT INT TERM
"$LAB" up "$NVMS"
step "lab up ($NVMS VM(s): namespace, BMCs, disks)"

# 2. stub API inside the namespace
( exec ip netns exec "$LAB_NS" python3 "$LAB_SRC/../../ramdisk/protocol/stub_api.py" --port "$LAB_PORT" --dir "$S" \
    --deploys-file "$S/deploys.json" --format "$FORMAT" > "$S/stub.log" 2>&1 ) &
echo $! > "$S/stub.pid"
wait_for 10 "stub API" "$LAB" exec python3 -c "import urllib.request as u; u.urlopen('http://127.0.0.1:$LAB_PORT/boot.ipxe', timeout=1)" 2>/dev/null
step "stub API listening on 127.0.0.1:$LAB_PORT in the namespace"

# 3. deploy: bootdev pxe + power on (all VMs), then wait for each
for i in $VMLIST; do
    "$LAB" ipmi "$i" chassis bootdev pxe >/dev/null
    "$LAB" ipmi "$i" chassis power on >/dev/null
done
TD=$(date +%s.%N)
step "IPMI: bootdev pxe, power on (vm$(echo $VMLIST | tr ' ' ,))"
for i in $VMLIST; do wait_for 60 "vm$i: iPXE fetching its script" ipxe_fetched "$i"; done
step "iPXE fetched /v1/boot/<mac>.ipxe"
for i in $VMLIST; do wait_for 90 "vm$i: agent phase=booted" ev "d$i" '"phase": "booted"'; done
step "agents booted (network up, event posted)"
if [ -n "$EXPECT_FAIL" ]; then
    for i in $VMLIST; do
        wait_for 120 "vm$i: agent phase=failed" ev "d$i" '"phase": "failed"'
        ev "d$i" "\"message\": \"[^\"]*$EXPECT_FAIL" || { grep failed "$S/events.jsonl" >&2; fail "vm$i: failure message lacks '$EXPECT_FAIL'"; }
        power_is "$i" on || fail "vm$i: agent powered off after a failure (expected to stay up)"
    done
    step "SMOKE PASSED (negative: phase=failed with '$EXPECT_FAIL', VMs stay up)"
    exit 0
fi
for i in $VMLIST; do wait_for 180 "vm$i: agent phase=written" written_or_failed "$i"; done
step "agents: phase=written"
for i in $VMLIST; do wait_for 30 "vm$i: power off after deploy" power_is "$i" off; done
step "VMs powered themselves off"
TDD=$(el "$TD")

# 4. local boot: the controller now serves "exit" for these MACs, sets bootdev disk, powers on
for i in $VMLIST; do
    printf '#!ipxe\necho Plinth: local boot\nexit\n' > "$S/boot/$(mac_of "$i" | tr : -).ipxe"
    "$LAB" ipmi "$i" chassis bootdev disk >/dev/null
    "$LAB" ipmi "$i" chassis power on >/dev/null
done
TB=$(date +%s.%N)
step "IPMI: bootdev disk, power on"
for i in $VMLIST; do wait_for 90 "vm$i: PLINTH-IMAGE=$(image_of "$i") on its console" serial_has "$i" "PLINTH-IMAGE=$(image_of "$i")"; done
step "serial consoles: PLINTH-IMAGE=<image>"
for i in $VMLIST; do
    wait_for 60 "vm$i: check-in" ev "d$i" '"kind": "checkin"'
    ev "d$i" "\"image\": \"$(image_of "$i")\"" || fail "vm$i: check-in did not name image $(image_of "$i")"
done
step "installed images checked in"
TBB=$(el "$TB")
for i in $VMLIST; do "$LAB" ipmi "$i" chassis power off >/dev/null; done
for i in $VMLIST; do wait_for 10 "vm$i: power off" power_is "$i" off; done
step "IPMI: power off"

# 4b. local boot through iPXE: bootdev pxe again, the per-MAC script is "exit", so SeaBIOS falls through
# to the disk (what a controller does when the BIOS order is fixed to network first)
image_boots() { [ "$(grep -c "PLINTH-IMAGE=$2" "$LAB_DIR/vms/vm$1/serial.log")" -ge 2 ]; }
for i in $VMLIST; do
    "$LAB" ipmi "$i" chassis bootdev pxe >/dev/null
    "$LAB" ipmi "$i" chassis power on >/dev/null
done
for i in $VMLIST; do wait_for 90 "vm$i: image booting via iPXE exit" image_boots "$i" "$(image_of "$i")"; done
step "bootdev pxe + per-MAC script 'exit': SeaBIOS fell through to the disk, PLINTH-IMAGE again"
for i in $VMLIST; do "$LAB" ipmi "$i" chassis power off >/dev/null; done
for i in $VMLIST; do wait_for 10 "vm$i: power off" power_is "$i" off; done

# 5. verify the disks on the host
for i in $VMLIST; do
    img=$(image_of "$i"); size=$(sed -n 's/^size=//p' "$LAB_DIR/images/$img.sha256")
    if grep -q -e "$(cat "$S/vm$i.deploy.token")" -e "$(cat "$S/vm$i.checkin.token")" "$LAB_DIR/vms/vm$i/serial.log"; then
        fail "vm$i: a token appeared on the serial console"
    fi
    qemu-img dd -f qcow2 -O raw bs=1048576 count=$((size / 1048576)) if="$LAB_DIR/vms/vm$i/disk.qcow2" of="$S/head.raw"
    qemu-img compare -q -f raw -F raw "$LAB_DIR/images/$img.raw" "$S/head.raw" || fail "vm$i: disk differs from $img.raw"
    rm -f "$S/head.raw"
    step "vm$i: qemu-img compare: first $size bytes identical to $img.raw; no token on the console"
done

# timings the agents measured themselves
for i in $VMLIST; do
    size=$(sed -n 's/^size=//p' "$LAB_DIR/images/$(image_of "$i").sha256")
    w=$(grep "\"deploy\": \"d$i\"" "$S/events.jsonl" | sed -n 's/.*"phase": "written".*"writeCentiseconds": "\([0-9]*\)".*/\1/p' | tail -1)
    b=$(grep "\"deploy\": \"d$i\"" "$S/events.jsonl" | sed -n 's/.*"centiseconds": "\([0-9]*\)".*"phase": "bench".*/\1/p' | tail -1)
    [ -n "$w" ] && log "vm$i agent: stream+decompress+write of $size bytes ($COMP): $(awk -v c="$w" -v s="$size" 'BEGIN{printf "%.2f s, %.1f MB/s", c/100, s/1e6/(c/100)}')"
    [ -n "$b" ] && log "vm$i agent: plain dd of $BENCH MiB zeros: $(awk -v c="$b" -v s="$((BENCH * 1048576))" 'BEGIN{printf "%.2f s, %.1f MB/s", c/100, s/1e6/(c/100)}')"
done
log "deploy (power on -> all off): ${TDD}s; local boot -> all checked in: ${TBB}s"
step "SMOKE PASSED ($NVMS VM(s))"
