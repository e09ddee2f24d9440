#!/bin/sh
# smoke.sh: one full provisioning cycle without the Java controller.
# lab up 1 -> stub API (stub_api.py) in the namespace serving iPXE scripts, the deploy ramdisk and a
# test image -> IPMI bootdev pxe + power on -> agent writes the image -> phase=written, VM powers off
# -> bootdev disk + power on -> the image boots and checks in -> qemu-img compare -> lab down.
# Env: SMOKE_IMAGE (smoke-a), SMOKE_COMPRESSION (gz|xz|none, default gz), SMOKE_FORMAT (json|kv),
#      SMOKE_BENCH (MiB of plain dd in the agent for comparison, default 32; 0 = off), PLINTH_LAB_PORT,
#      SMOKE_DEVICE_NAME / SMOKE_MIN_SIZE_GB: root device hints handed to the agent,
#      SMOKE_BAD_SHA=1: negative test, the stub hands out a wrong sha256 and the agent must report
#      phase=failed with a sha256 mismatch (and not power off).
set -eu
. "$(dirname "$0")/lib.sh"
IMAGE=${SMOKE_IMAGE:-smoke-a}
COMP=${SMOKE_COMPRESSION:-gz}
FORMAT=${SMOKE_FORMAT:-json}
BENCH=${SMOKE_BENCH:-32}
MAC=52:54:00:6c:ab:01
S=$LAB_DIR/smoke
LAB="$LAB_SRC/lab.sh"

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
event_seen() { grep -q "$1" "$S/events.jsonl" 2>/dev/null; }
agent_failed() { if event_seen '"phase": "failed"'; then grep '"failed"' "$S/events.jsonl" >&2; fail "agent reported failure"; fi; return 1; }
written_or_failed() { agent_failed || event_seen '"phase": "written"'; }
power_is() { "$LAB" ipmi 1 chassis power status 2>/dev/null | grep -q "is $1"; }

cleanup() {
    rc=$?
    if [ -f "$S/stub.pid" ]; then
        p=$(cat "$S/stub.pid"); rm -f "$S/stub.pid"
        grep -q stub_api "/proc/$p/cmdline" 2>/dev/null && kill "$p" 2>/dev/null || true
    fi
    [ -f "$LAB_DIR/vms/vm1/serial.log" ] && cp "$LAB_DIR/vms/vm1/serial.log" "$S/serial.log"
    [ -f "$LAB_DIR/vms/vm1/bmc.log" ] && cp "$LAB_DIR/vms/vm1/bmc.log" "$S/bmc.log"
    "$LAB" down >/dev/null 2>&1 || true
    [ $rc = 0 ] || log "serial log kept in $S/serial.log, events in $S/events.jsonl"
    exit $rc
}

# 0. artifacts (built if missing)
[ -f "$LAB_DIR/ramdisk/initramfs.cpio.gz" ] || "$LAB_SRC/build-ramdisk.sh"
[ -f "$LAB_DIR/images/$IMAGE.raw" ] || "$LAB_SRC/build-test-image.sh" "$IMAGE" >/dev/null
step "artifacts ready (ramdisk, image $IMAGE)"

rm -rf "$S"; mkdir -p "$S/files" "$S/boot"
case "$COMP" in none) ext="" ;; gz) ext=.gz ;; xz) ext=.xz ;; *) fail "bad SMOKE_COMPRESSION" ;; esac
ln -s "$LAB_DIR/ramdisk/vmlinuz" "$S/files/vmlinuz"
ln -s "$LAB_DIR/ramdisk/initramfs.cpio.gz" "$S/files/initramfs.cpio.gz"
ln -s "$LAB_DIR/images/$IMAGE.raw$ext" "$S/files/$IMAGE.raw$ext"
SHA=$(sed -n 's/^sha256=//p' "$LAB_DIR/images/$IMAGE.sha256")
[ "${SMOKE_BAD_SHA:-0}" = 1 ] && SHA=$(echo "$SHA" | sed 's/^./0/; t; s/^/0/' | tr 0123456789abcdef 123456789abcdef0)
SIZE=$(sed -n 's/^size=//p' "$LAB_DIR/images/$IMAGE.sha256")
( umask 077
  head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$S/deploy.token"
  head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$S/checkin.token" )
API=http://10.0.2.2:$LAB_PORT
BOOT_SCRIPT=$S/boot/$(echo "$MAC" | tr : -).ipxe
# The per-MAC script the controller serves while a deploy is pending (tokens only in this 0600 file).
( umask 077; cat > "$BOOT_SCRIPT" <<IPXE
#!ipxe
echo Plinth: deploying $IMAGE to vm1 (deploy d1)
kernel $API/files/vmlinuz console=ttyS0 quiet plinth.api=$API plinth.deploy=d1 plinth.token=$(cat "$S/deploy.token") plinth.node=vm1 plinth.checkin=$(cat "$S/checkin.token") BOOTIF=01-\${mac:hexhyp}$( [ "$BENCH" -gt 0 ] && echo " plinth.bench=$BENCH")
initrd $API/files/initramfs.cpio.gz
boot
IPXE
)

# 1. lab
trap cleanup EXIT INT TERM
"$LAB" up 1
step "lab up (namespace, BMC, disk)"

# 2. stub API inside the namespace
( exec ip netns exec "$LAB_NS" python3 "$LAB_SRC/stub_api.py" --port "$LAB_PORT" --dir "$S" \
    --token-file "$S/deploy.token" --checkin-token-file "$S/checkin.token" --deploy d1 \
    --image-url "$API/files/$IMAGE.raw$ext" --sha256 "$SHA" --compression "$COMP" --format "$FORMAT" \
    --device-name "${SMOKE_DEVICE_NAME:-}" --min-size-gb "${SMOKE_MIN_SIZE_GB:-0}" \
    > "$S/stub.log" 2>&1 ) &
echo $! > "$S/stub.pid"
wait_for 10 "stub API" "$LAB" exec python3 -c "import urllib.request as u; u.urlopen('http://127.0.0.1:$LAB_PORT/boot.ipxe', timeout=1)" 2>/dev/null
step "stub API listening on 127.0.0.1:$LAB_PORT in the namespace"

# 3. deploy: bootdev pxe + power on
"$LAB" ipmi 1 chassis bootdev pxe >/dev/null
"$LAB" ipmi 1 chassis power on >/dev/null
TD=$(date +%s.%N)
step "IPMI: bootdev pxe, power on"
wait_for 60 "iPXE to fetch the per-MAC script" event_seen '"kind": "ipxe"'
step "iPXE fetched /v1/boot/$MAC.ipxe"
wait_for 90 "agent phase=booted" event_seen '"phase": "booted"'
step "agent booted (network up, event posted)"
if [ "${SMOKE_BAD_SHA:-0}" = 1 ]; then
    wait_for 120 "agent phase=failed" event_seen '"phase": "failed"'
    grep '"phase": "failed"' "$S/events.jsonl" | grep -q 'sha256 mismatch' || fail "failure is not a sha256 mismatch"
    step "agent: phase=failed (sha256 mismatch) as expected"
    power_is on || fail "agent powered off after a failure (expected to stay up)"
    step "SMOKE PASSED (negative: bad sha256 detected)"
    exit 0
fi
wait_for 120 "agent phase=written" written_or_failed
step "agent: phase=written"
wait_for 30 "power off after deploy" power_is off
step "VM powered itself off"
TDD=$(el "$TD")

# 4. local boot: the controller now serves "exit" for this MAC, sets bootdev disk, powers on
( umask 077; printf '#!ipxe\necho Plinth: local boot\nexit\n' > "$BOOT_SCRIPT" )
"$LAB" ipmi 1 chassis bootdev disk >/dev/null
"$LAB" ipmi 1 chassis power on >/dev/null
TB=$(date +%s.%N)
step "IPMI: bootdev disk, power on"
wait_for 90 "PLINTH-IMAGE=$IMAGE on the serial console" grep -q "PLINTH-IMAGE=$IMAGE" "$LAB_DIR/vms/vm1/serial.log"
step "serial console: PLINTH-IMAGE=$IMAGE"
wait_for 60 "check-in" event_seen '"kind": "checkin"'
grep -q "\"image\": \"$IMAGE\"" "$S/events.jsonl" || fail "check-in did not name image $IMAGE"
step "installed image checked in (image=$IMAGE)"
TBB=$(el "$TB")
"$LAB" ipmi 1 chassis power off >/dev/null
wait_for 10 "power off" power_is off
step "IPMI: power off"

# 5. verify the disk on the host
cp "$LAB_DIR/vms/vm1/serial.log" "$S/serial.log"
if grep -q -e "$(cat "$S/deploy.token")" -e "$(cat "$S/checkin.token")" "$S/serial.log"; then
    fail "a token appeared on the serial console"
fi
qemu-img dd -f qcow2 -O raw bs=1048576 count=$((SIZE / 1048576)) if="$LAB_DIR/vms/vm1/disk.qcow2" of="$S/head.raw"
qemu-img compare -q -f raw -F raw "$LAB_DIR/images/$IMAGE.raw" "$S/head.raw" || fail "disk content differs from the image"
rm -f "$S/head.raw"
step "qemu-img compare: first $SIZE bytes identical to $IMAGE.raw"

# timings the agent measured itself
write_cs=$(sed -n 's/.*"phase": "written".*"writeCentiseconds": "\([0-9]*\)".*/\1/p' "$S/events.jsonl" | tail -1)
bench=$(sed -n 's/.*"centiseconds": "\([0-9]*\)".*"phase": "bench".*/\1/p' "$S/events.jsonl" | tail -1)
[ -n "$write_cs" ] && log "agent: stream+decompress+write of $SIZE bytes ($COMP): $(awk -v c="$write_cs" -v s="$SIZE" 'BEGIN{printf "%.2f s, %.1f MB/s", c/100, s/1e6/(c/100)}')"
[ -n "$bench" ] && log "agent: plain dd of $BENCH MiB zeros: $(awk -v c="$bench" -v s="$((BENCH * 1048576))" 'BEGIN{printf "%.2f s, %.1f MB/s", c/100, s/1e6/(c/100)}')"
log "deploy cycle (power on -> off): ${TDD}s; local boot to check-in: ${TBB}s"
step "SMOKE PASSED"
