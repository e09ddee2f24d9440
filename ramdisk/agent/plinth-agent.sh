#!/bin/sh
# Plinth deploy agent (busybox sh), run from the deploy ramdisk's /init.
# Wire protocol: ramdisk/PROTOCOL.md. Tokens are never printed.
set -u
# Test seam, unset in the ramdisk: PLINTH_AGENT_ROOT=DIR runs the agent on a host (AgentContractTest in
# operator/machines): /lib, /proc/cmdline, /proc/cpuinfo, /proc/meminfo, /proc/sys, /sys/block, /sys/class/net,
# /sys/firmware, /dev and /tmp are taken under DIR, the network
# is loopback (no DHCP), and the agent exits (0 done, 1 failed) instead of powering off or staying up.
R=${PLINTH_AGENT_ROOT:-}
. "$R/lib/plinth-lib.sh"

T0=$(now_cs)
say() { echo "plinth-agent: $*"; }

API=$(cmdline_get plinth.api)
APIHOST=$(cmdline_get plinth.apihost)
# the controller's CA: a second initrd iPXE loads (PROTOCOL.md section 1)
CA_FILE=$R/etc/plinth/ca.pem
DEPLOY=$(cmdline_get plinth.deploy)
TOKEN=$(cmdline_get plinth.token)
NODE=$(cmdline_get plinth.node)
CHECKIN=$(cmdline_get plinth.checkin)
BOOTIF=$(cmdline_get BOOTIF)
# a static address (virtual media boot: no DHCP), ADDRESS/PREFIX, and its gateway (optional)
NET_ADDRESS=$(cmdline_get plinth.ip)
NET_GATEWAY=$(cmdline_get plinth.gateway)
BENCH=$(cmdline_get plinth.bench)
ONFAIL=$(cmdline_get plinth.onfail)
CONFIG_SIZE=1048576

EVENTS_URL="$API/v1/agent/deploys/$DEPLOY/events"

# event K=V ...: POST one event (form-urlencoded). Best effort, 3 tries.
event() {
    body=""
    for kv in "$@"; do
        k=${kv%%=*}; v=${kv#*=}
        body="$body${body:+&}$k=$(urlencode "$v")"
    done
    tries=0
    while [ $tries -lt 3 ]; do
        http_post "$EVENTS_URL" "$TOKEN" "$body" && return 0
        tries=$((tries + 1)); sleep 1
    done
    say "warning: could not post event ($(head -c 200 $R/tmp/wget.err 2>/dev/null))"
    return 1
}

fail() {
    say "FAILED: $*"
    [ -n "${NET_IF:-}" ] && event phase=failed "message=$*" || true
    sync
    [ -z "$R" ] || exit 1
    if [ "$ONFAIL" = poweroff ]; then poweroff -f; fi
    say "staying up for inspection (plinth.onfail=poweroff to power off instead)"
    while :; do sleep 3600; done
}

[ -n "$API" ] && [ -n "$DEPLOY" ] && [ -n "$TOKEN" ] || fail "missing plinth.api, plinth.deploy or plinth.token on the kernel command line"
say "node=${NODE:-?} deploy=$DEPLOY api=$API (started after $(since 0)s of uptime)"
# not in a subshell: it exports SSL_CERT_FILE
api_trust "$API" "$APIHOST" "$CA_FILE" > $R/tmp/trust.err || fail "$(cat $R/tmp/trust.err)"
case "$API" in https://*) say "HTTPS to $API, verified against the controller CA" ;; esac

# 1. network
t=$(now_cs)
if [ -n "$R" ]; then NET_IF=lo; NET_IP=127.0.0.1; else net_up "$BOOTIF" "$NET_ADDRESS" "$NET_GATEWAY" || fail "${NET_ADDRESS:+static address $NET_ADDRESS: }network setup failed (DHCP on all interfaces, or the static address)"; fi
say "network: $NET_IF $NET_IP ($(since "$t")s)"
event phase=booted "ip=$NET_IP" "interface=$NET_IF" "uptime=$(since 0)" || true

# 2. instructions
t=$(now_cs)
http_get "$API/v1/agent/deploys/$DEPLOY" "$TOKEN" $R/tmp/deploy || fail "GET deploy instructions failed: $(head -c 200 $R/tmp/wget.err)"
# field NAME: from key=value lines (optionally dotted, e.g. rootDeviceHints.deviceName) or flat/nested JSON.
field() {
    v=$(sed -n "s/^[[:space:]]*\([A-Za-z]*\.\)\{0,1\}$1[[:space:]]*=[[:space:]]*//p" $R/tmp/deploy | head -1)
    if [ -z "$v" ]; then
        v=$(tr -d '\n' < $R/tmp/deploy | grep -o "\"$1\"[[:space:]]*:[[:space:]]*\(\"[^\"]*\"\|[0-9.]*\)" | head -1 \
            | sed 's/^[^:]*:[[:space:]]*//; s/^"//; s/"$//')
    fi
    printf '%s' "$v" | tr -d '\r'
}
# 2a. a wipe instead of a deploy (PROTOCOL.md section 5a): the first and the last MiB of every disk and of every
# partition zeroed (the partition tables, GPT backup header and the filesystem, LVM, RAID and ZFS signatures live
# there), read back, reported.
if [ "$(field action)" = clean ]; then
    t=$(now_cs)
    wipeable() {
        for d in $(ls $R/sys/block | sort); do
            case "$d" in vd*|sd*|hd*|xvd*|nvme*n*) ;; *) continue ;; esac
            [ "$(cat $R/sys/block/$d/removable 2>/dev/null)" = 1 ] && continue
            [ "$(cat $R/sys/block/$d/ro 2>/dev/null)" = 1 ] && continue
            [ "$(disk_bytes "$d")" -gt 0 ] || continue
            echo "$d"
        done
    }
    n=0
    until [ -n "$(wipeable)" ]; do  # block devices may still be probing
        n=$((n + 1)); [ $n -lt 30 ] || fail "no disk to wipe (have: $(ls $R/sys/block | tr '\n' ' '))"
        sleep 0.2
    done
    # the stretches to zero on disk $1, as "sector:count": the disk's first and last MiB, and each partition's
    # (a filesystem's signature is at its partition's start, a RAID or ZFS label at its end: with the table gone a
    # new table of the same layout would find them again), addressed through the whole disk
    stretches() {
        sectors=$(( $(disk_bytes "$1") / 512 ))
        k=2048; [ "$sectors" -ge $k ] || k=$sectors
        echo "0:$k $((sectors - k)):$k"
        for p in $R/sys/block/$1/$1*; do
            [ -f "$p/start" ] && [ -f "$p/size" ] || continue
            ps=$(cat "$p/start"); pn=$(cat "$p/size")
            [ "$pn" -gt 0 ] || continue
            pk=2048; [ "$pn" -ge $pk ] || pk=$pn
            echo "$ps:$pk $((ps + pn - pk)):$pk"
        done
    }
    WIPED=""
    for d in $(wipeable); do
        parts=$(ls -d $R/sys/block/$d/$d* 2>/dev/null | wc -l)
        for s in $(stretches "$d"); do
            dd if=/dev/zero of="$R/dev/$d" bs=512 seek="${s%%:*}" count="${s##*:}" conv=notrunc 2>$R/tmp/dd.err \
                || fail "wiping /dev/$d at sector ${s%%:*} failed: $(tail -c 200 $R/tmp/dd.err)"
        done
        sync; blockdev --flushbufs "$R/dev/$d" 2>/dev/null
        echo 3 > $R/proc/sys/vm/drop_caches
        for s in $(stretches "$d"); do
            left=$(dd if="$R/dev/$d" bs=512 skip="${s%%:*}" count="${s##*:}" 2>/dev/null | tr -d '\000' | wc -c)
            [ "$left" -eq 0 ] || fail "/dev/$d still holds data at sector ${s%%:*} after wiping"
        done
        WIPED="$WIPED${WIPED:+ }/dev/$d"
        say "wiped /dev/$d: the first and the last MiB of the disk and of each of its $parts partition(s)"
    done
    event phase=cleaned "disks=$WIPED" "wipeCentiseconds=$(( $(now_cs) - t ))" "uptime=$(since 0)" \
        || say "warning: final event not delivered"
    say "done in $(since "$T0")s; powering off"
    sync
    [ -z "$R" ] || exit 0
    poweroff -f
fi

IMAGE_URL=$(field imageUrl)
SHA256=$(field sha256 | tr 'A-F' 'a-f')
COMPRESSION=$(field compression); COMPRESSION=${COMPRESSION:-none}
HINT_NAME=$(field deviceName)
HINT_MIN=$(field minSizeGigabytes)
HINT_MODEL=$(field model)
HINT_VENDOR=$(field vendor)
HINT_SERIAL=$(field serialNumber)
HINT_WWN=$(field wwn)
HINT_ROT=$(field rotational)
ACTION=$(field action)  # empty for a deploy; clean was served above; inspect below, once inventory() is defined
[ -n "$IMAGE_URL" ] || [ "$ACTION" = inspect ] || fail "instructions have no imageUrl"
echo "$SHA256" | grep -qE '^[0-9a-f]{64}$' || [ "$ACTION" = inspect ] || fail "instructions have no valid sha256"
case "$COMPRESSION" in none|gz|xz) ;; *) fail "unsupported compression '$COMPRESSION'" ;; esac
say "instructions: compression=$COMPRESSION hints: deviceName=${HINT_NAME:-any} minSizeGigabytes=${HINT_MIN:-0} model=${HINT_MODEL:-any} vendor=${HINT_VENDOR:-any} serialNumber=${HINT_SERIAL:-any} wwn=${HINT_WWN:-any} rotational=${HINT_ROT:-any} ($(since "$t")s)"

# 3. target disk
# sysattr DISK NAME...: the first of /sys/block/DISK/NAME that exists, trimmed (vendor/model are space-padded)
sysattr() {
    d=$1; shift
    for a in "$@"; do
        if [ -r "$R/sys/block/$d/$a" ]; then sed 's/^[[:space:]]*//; s/[[:space:]]*$//' "$R/sys/block/$d/$a"; return 0; fi
    done
    return 0
}
# inventory: POST phase=inventory with the machine's CPUs, memory, firmware, disks and NICs, read from /proc and
# /sys only (busybox has no lshw). Fields: PROTOCOL.md section 4. A refusal (409: the controller found the hints
# or the boot MAC wrong against it) stops the agent before anything is written.
inventory() {
    mem=$(sed -n 's/^MemTotal:[[:space:]]*\([0-9]*\).*/\1/p' $R/proc/meminfo 2>/dev/null | head -1)
    set -- phase=inventory \
        "cpus=$(grep -c '^processor' $R/proc/cpuinfo 2>/dev/null)" \
        "cpuModel=$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' $R/proc/cpuinfo 2>/dev/null | head -1)" \
        "memoryBytes=$(( ${mem:-0} * 1024 ))"
    if [ -d $R/sys/firmware/efi ]; then set -- "$@" firmware=uefi; else set -- "$@" firmware=bios; fi
    i=0
    for d in $(ls $R/sys/block | sort); do
        case "$d" in vd*|sd*|hd*|xvd*|nvme*n*) ;; *) continue ;; esac
        rot=$(sysattr "$d" queue/rotational)
        case "$rot" in 1) rot=true ;; 0) rot=false ;; esac
        set -- "$@" "disk.$i.name=$d" "disk.$i.sizeBytes=$(disk_bytes "$d")" "disk.$i.model=$(sysattr "$d" device/model)" \
            "disk.$i.vendor=$(sysattr "$d" device/vendor)" "disk.$i.serial=$(sysattr "$d" serial device/serial)" \
            "disk.$i.wwn=$(sysattr "$d" wwid device/wwid)" "disk.$i.rotational=$rot" \
            "disk.$i.removable=$(cat $R/sys/block/$d/removable 2>/dev/null)" "disk.$i.readOnly=$(cat $R/sys/block/$d/ro 2>/dev/null)"
        i=$((i + 1))
    done
    i=0
    for nic in $(ls $R/sys/class/net 2>/dev/null | sort); do
        n=$R/sys/class/net/$nic
        [ -e $n/device ] || continue  # the hardware's NICs only: lo, bridges, tunnels have no device
        sp=$(cat $n/speed 2>/dev/null); case "$sp" in ''|-*) sp="" ;; esac  # -1 or unreadable: unknown
        link=$(cat $n/carrier 2>/dev/null); case "$link" in 1) link=up ;; 0) link=down ;; *) link=unknown ;; esac
        set -- "$@" "nic.$i.name=$nic" "nic.$i.mac=$(cat $n/address 2>/dev/null)" "nic.$i.link=$link" "nic.$i.speedMbps=$sp"
        i=$((i + 1))
    done
    say "inventory: $(($# - 1)) fields"
    if ! event "$@"; then
        grep -q 409 $R/tmp/wget.err 2>/dev/null && fail "the controller refused the deploy after the inventory (its reason is in the node's status)"
    fi
    return 0
}
# 2a'. an inspection on demand (PROTOCOL.md section 5b): the inventory, `inspected`, off; no disk is opened for writing
if [ "$ACTION" = inspect ]; then
    n=0
    until ls $R/sys/block | grep -qE '^(vd|sd|hd|xvd|nvme)'; do  # block devices may still be probing
        n=$((n + 1)); [ $n -lt 30 ] || break  # a machine without a disk is inspected all the same
        sleep 0.2
    done
    inventory
    event phase=inspected "uptime=$(since 0)" || say "warning: final event not delivered"
    say "inspected in $(since "$T0")s, nothing written; powering off"
    [ -z "$R" ] || exit 0
    poweroff -f
fi
# hint_ok VALUE HINT: no hint, or the disk's value equals it (case-insensitive)
hint_ok() {
    [ -z "$2" ] && return 0
    [ "$(printf '%s' "$1" | tr 'A-Z' 'a-z')" = "$(printf '%s' "$2" | tr 'A-Z' 'a-z')" ]
}
# eligible DISK: a whole disk the agent may write (not removable, not read-only, not empty)
eligible() {
    case "$1" in vd*|sd*|hd*|xvd*|nvme*n*) ;; *) return 1 ;; esac
    [ "$(cat $R/sys/block/$1/removable 2>/dev/null)" = 1 ] && return 1
    [ "$(cat $R/sys/block/$1/ro 2>/dev/null)" = 1 ] && return 1
    [ "$(disk_bytes "$1")" -gt 0 ]
}
# matching_disks: every eligible disk that matches all the hints, in name order, one a line
matching_disks() {
    for d in $(ls $R/sys/block | sort); do
        eligible "$d" || continue
        sz=$(disk_bytes "$d")
        if [ -n "$HINT_NAME" ] && [ "$d" != "${HINT_NAME#/dev/}" ]; then continue; fi
        if [ -n "$HINT_MIN" ] && [ "$sz" -lt $(( ${HINT_MIN%.*} * 1073741824 )) ]; then continue; fi
        hint_ok "$(sysattr "$d" device/model)" "$HINT_MODEL" || continue
        hint_ok "$(sysattr "$d" device/vendor)" "$HINT_VENDOR" || continue
        hint_ok "$(sysattr "$d" serial device/serial)" "$HINT_SERIAL" || continue
        if [ -n "$HINT_WWN" ]; then  # sysfs wwid is e.g. "naa.5000c500..." or "eui....": match its hex part
            w=$(sysattr "$d" wwid device/wwid | tr 'A-Z' 'a-z'); want=$(printf '%s' "${HINT_WWN#0x}" | tr 'A-Z' 'a-z')
            case "$w" in *"$want"*) ;; *) continue ;; esac
        fi
        if [ -n "$HINT_ROT" ]; then
            rot=$(sysattr "$d" queue/rotational)
            case "$HINT_ROT" in true) [ "$rot" = 1 ] || continue ;; false) [ "$rot" = 0 ] || continue ;; esac
        fi
        echo "$d"
    done
}
# the hints given, for messages: "deviceName=/dev/vda minSizeGigabytes=2" (or "none")
HINTS=""
for h in "deviceName=$HINT_NAME" "minSizeGigabytes=$HINT_MIN" "model=$HINT_MODEL" "vendor=$HINT_VENDOR" \
        "serialNumber=$HINT_SERIAL" "wwn=$HINT_WWN" "rotational=$HINT_ROT"; do
    [ -n "${h#*=}" ] && HINTS="$HINTS${HINTS:+ }$h"
done
# candidates: the eligible disks with what the hints compare, for an error message
candidates() {
    c=""
    for d in $(ls $R/sys/block | sort); do
        eligible "$d" || continue
        r=$(sysattr "$d" queue/rotational); case "$r" in 1) r=true ;; 0) r=false ;; esac
        c="$c${c:+, }$d ($(disk_bytes "$d") bytes, model=$(sysattr "$d" device/model) vendor=$(sysattr "$d" device/vendor) serial=$(sysattr "$d" serial device/serial) wwn=$(sysattr "$d" wwid device/wwid) rotational=$r)"
    done
    echo "${c:-none}"
}

# 2b. inventory, before any disk is chosen: the controller checks the hints and the boot MAC against it
inventory
n=0
until [ -n "$(matching_disks)" ]; do  # block devices may still be probing
    n=$((n + 1)); [ $n -lt 30 ] || fail "no disk matches the root device hints (${HINTS:-none}); candidates: $(candidates)"
    sleep 0.2
done
DISK=$(matching_disks | head -1)
# without hints the first disk in name order is the target; with hints they must single one out
if [ -n "$HINTS" ] && [ "$(matching_disks | wc -l)" -gt 1 ]; then
    fail "several disks match the root device hints ($HINTS): $(matching_disks | tr '\n' ' ' | sed 's/ $//; s/ /, /g'); candidates: $(candidates)"
fi
DEV=/dev/$DISK
DISK_BYTES=$(disk_bytes "$DISK")
say "target disk: $DEV ($DISK_BYTES bytes)"

# optional: raw dd write speed on this disk, for comparison (plinth.bench=MiB)
if [ -n "$BENCH" ]; then
    t=$(now_cs)
    dd if=/dev/zero of="$R$DEV" bs=1048576 count="$BENCH" conv=fsync 2>/dev/null
    el=$(( $(now_cs) - t )); [ $el -gt 0 ] || el=1
    say "bench: plain dd of $BENCH MiB zeros: $(since "$t")s"
    event phase=bench "bytes=$((BENCH * 1048576))" "centiseconds=$el" || true
fi

# 4. stream: wget | decompress | chunked writer. busybox dd here prints no byte count and tee into a
# counting FIFO is ~7x slower under emulation, so the writer reads the stream in 16 MiB chunks into
# tmpfs (dd iflag=fullblock), takes each chunk's exact size, and dd's it to its offset on the disk.
t=$(now_cs)
CHUNK_MIB=16
MAX_BYTES=$((DISK_BYTES - CONFIG_SIZE))
rm -f $R/tmp/rc.* $R/tmp/progress $R/tmp/count $R/tmp/write.err
case "$COMPRESSION" in none) DECOMP=cat ;; gz) DECOMP="gzip -dc" ;; xz) DECOMP="xz -dc" ;; esac
write_stream() {
    total=0; k=0
    while :; do
        dd of=$R/tmp/chunk bs=1048576 count=$CHUNK_MIB iflag=fullblock 2>/dev/null \
            || { echo "reading the stream failed" > $R/tmp/write.err; return 1; }
        sz=$(stat -c %s $R/tmp/chunk)
        [ "$sz" -gt 0 ] || break
        if [ $((total + sz)) -gt $MAX_BYTES ]; then
            echo "image larger than $MAX_BYTES bytes (disk size minus the 1 MiB config block)" > $R/tmp/write.err
            return 1
        fi
        dd if=$R/tmp/chunk of="$R$DEV" bs=1048576 seek=$((k * CHUNK_MIB)) conv=notrunc 2>$R/tmp/dd.err \
            || { echo "writing $DEV at $total failed: $(tail -c 200 $R/tmp/dd.err)" > $R/tmp/write.err; return 1; }
        total=$((total + sz)); k=$((k + 1))
        echo "$total" > $R/tmp/progress
        [ "$sz" -eq $((CHUNK_MIB * 1048576)) ] || break
    done
    rm -f $R/tmp/chunk
    echo "$total" > $R/tmp/count
}
# the controller serves an image only to the deploy token of an open deploy of that image
{ wget -q -O - --header "Authorization: Bearer $TOKEN" "$IMAGE_URL" 2>$R/tmp/wget.img.err; echo $? > $R/tmp/rc.wget; } \
  | { $DECOMP; echo $? > $R/tmp/rc.decomp; } \
  | write_stream &
WPID=$!
event phase=writing bytes=0 "disk=$DEV" || true
i=0
while kill -0 "$WPID" 2>/dev/null; do  # poll often, report every ~2 s
    sleep 0.2; i=$((i + 1))
    [ $((i % 10)) = 0 ] || continue
    w=$(cat $R/tmp/progress 2>/dev/null)
    [ -n "$w" ] && event phase=writing "bytes=$w" || true
done
wait "$WPID"; rc_w=$?
rc_wget=$(cat $R/tmp/rc.wget 2>/dev/null || echo 99)
rc_dec=$(cat $R/tmp/rc.decomp 2>/dev/null || echo 99)
rm -f $R/tmp/chunk
[ ! -s $R/tmp/write.err ] || fail "$(cat $R/tmp/write.err)"
[ "$rc_wget" = 0 ] || fail "image download failed (wget rc=$rc_wget: $(head -c 200 $R/tmp/wget.img.err))"
[ "$rc_dec" = 0 ] || fail "decompression ($COMPRESSION) failed (rc=$rc_dec)"
[ "$rc_w" = 0 ] || fail "writer failed (rc=$rc_w)"
BYTES=$(cat $R/tmp/count 2>/dev/null)
[ -n "$BYTES" ] && [ "$BYTES" -gt 0 ] || fail "wrote no bytes (empty image?)"
sync; blockdev --flushbufs "$R$DEV" 2>/dev/null
WRITE_CS=$(( $(now_cs) - t ))
say "wrote $BYTES bytes to $DEV in $(since "$t")s"

# 5. verify: drop caches, re-read exactly BYTES bytes
t=$(now_cs)
echo 3 > $R/proc/sys/vm/drop_caches
GOT=$(dd if="$R$DEV" bs=1048576 count="$BYTES" iflag=count_bytes 2>/dev/null | sha256sum | cut -d' ' -f1)
if [ "$GOT" != "$SHA256" ]; then
    fail "sha256 mismatch: expected $SHA256, read back $GOT over $BYTES bytes"
fi
say "verified sha256 over $BYTES bytes ($(since "$t")s)"

# 6. config block for the installed OS: last 1 MiB of the disk
t=$(now_cs)
OFF=$(( DISK_BYTES / 512 - CONFIG_SIZE / 512 ))
{
    echo "PLINTH-CONFIG-V1"
    echo "api=$API"
    echo "node=$NODE"
    echo "deploy=$DEPLOY"
    echo "checkin=$CHECKIN"
    # the installed OS checks in over the same verified HTTPS: the CA's base64 on one line, and the API's address
    [ -z "$APIHOST" ] || echo "apihost=$APIHOST"
    [ ! -s "$CA_FILE" ] || echo "ca=$(sed '/^-----/d' "$CA_FILE" | tr -d '\n')"
    # booted from virtual media with a static address (no DHCP on that network): the installed OS may take the same
    [ -z "$NET_ADDRESS" ] || echo "address=$NET_ADDRESS"
    [ -z "$NET_GATEWAY" ] || echo "gateway=$NET_GATEWAY"
    echo "END"
} > $R/tmp/config.blk
dd if=/dev/zero of="$R$DEV" bs=512 seek="$OFF" count=$((CONFIG_SIZE / 512)) 2>/dev/null || fail "cannot clear the config block"
dd if=$R/tmp/config.blk of="$R$DEV" bs=512 seek="$OFF" conv=notrunc,sync 2>/dev/null || fail "cannot write the config block"
rm -f $R/tmp/config.blk
sync; blockdev --flushbufs "$R$DEV" 2>/dev/null
say "config block written at sector $OFF ($(since "$t")s)"

event phase=written "bytes=$BYTES" "sha256=$GOT" "disk=$DEV" "writeCentiseconds=$WRITE_CS" "uptime=$(since 0)" \
    || say "warning: final event not delivered"
say "done in $(since "$T0")s; powering off"
sync
[ -z "$R" ] || exit 0
poweroff -f
