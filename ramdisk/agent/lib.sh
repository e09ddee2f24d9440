# Shared guest-side helpers (busybox sh), installed as /lib/plinth-lib.sh.

# uptime in centiseconds (for timings: busybox date has only whole seconds)
now_cs() { read -r up _ < /proc/uptime; echo "${up%.*}${up#*.}" | sed 's/^0*//;s/^$/0/'; }
# elapsed CS_START -> "S.ss"
since() { e=$(( $(now_cs) - $1 )); printf '%d.%02d' $((e / 100)) $((e % 100)); }

# cmdline_get NAME: value of NAME=value on the kernel command line (empty if absent)
# api_trust API APIHOST CAFILE: what an https API needs before the first request: busybox wget verifies the
# certificate only through the openssl binary, against SSL_CERT_FILE, and checks host names, not addresses, so the
# API's name is mapped to APIHOST in /etc/hosts. Refuses (1, a message on stdout) when it cannot verify.
api_trust() {
    case "$1" in https://*) ;; *) return 0 ;; esac
    command -v openssl >/dev/null 2>&1 || { echo "no openssl binary: cannot verify $1"; return 1; }
    [ -s "$3" ] || { echo "no CA certificate at $3: cannot verify $1"; return 1; }
    SSL_CERT_FILE=$3; export SSL_CERT_FILE
    if [ -n "$2" ]; then
        h=${1#https://}; h=${h%%/*}; h=${h%%:*}
        echo "$2 $h" >> "${PLINTH_AGENT_ROOT:-}/etc/hosts"
    fi
    return 0
}

# A deploy booted from virtual media has its parameters in /etc/plinth/boot.conf (one NAME=value a line, from the
# per-deploy initrd on the ISO) rather than on the kernel command line: the command line is world-readable in
# /proc/cmdline and shown by firmware menus, the file is not. The command line is read first, the file second.
cmdline_get() {
    for w in $(cat "${PLINTH_AGENT_ROOT:-}/proc/cmdline"); do
        case "$w" in "$1="*) echo "${w#*=}"; return 0 ;; esac
    done
    f="${PLINTH_AGENT_ROOT:-}/etc/plinth/boot.conf"
    [ -r "$f" ] || return 0
    while IFS= read -r line; do
        case "$line" in "$1="*) echo "${line#*=}"; return 0 ;; esac
    done < "$f"
    return 0
}

# urlencode STRING (application/x-www-form-urlencoded value)
urlencode() {
    printf '%s' "$1" | od -An -v -tx1 | tr -s ' \n' '\n\n' | while read -r h; do
        [ -n "$h" ] || continue
        case "$h" in
            3[0-9]|4[1-9a-f]|5[0-9a]|6[1-9a-f]|7[0-9a]|2d|2e|5f|7e) printf "\\$(printf '%03o' 0x$h)" ;;
            *) printf '%%%s' "$(echo "$h" | tr a-f A-F)" ;;
        esac
    done
}

# net_up [BOOTIF [ADDRESS/PREFIX [GATEWAY]]]: with an ADDRESS (a node booted from virtual media, where no DHCP is
# needed), that static address on the interface whose MAC matches BOOTIF (else the first NIC) and a default route
# via GATEWAY; without, DHCP on the BOOTIF interface, else on the first non-loopback interface that gets a lease.
# Sets NET_IF and NET_IP.
net_up() {
    want=$(echo "${1:-}" | tr 'A-F-' 'a-f:')
    case "$want" in 01:??:??:??:??:??:??) want=${want#01:} ;; esac
    ip link set lo up
    n=0
    while [ $n -lt 50 ]; do  # wait up to 5 s for NICs to appear
        ls /sys/class/net | grep -qv '^lo$' && break
        sleep 0.1; n=$((n + 1))
    done
    cands=""
    for i in $(ls /sys/class/net); do
        [ "$i" = lo ] && continue
        mac=$(cat "/sys/class/net/$i/address" 2>/dev/null)
        if [ -n "$want" ] && [ "$mac" = "$want" ]; then cands="$i"; break; fi
        cands="$cands $i"
    done
    if [ -n "${2:-}" ]; then
        i=$(echo $cands | cut -d' ' -f1)
        [ -n "$i" ] || return 1
        ip link set "$i" up && ip addr add "$2" dev "$i" || return 1
        [ -z "${3:-}" ] || ip route add default via "$3" dev "$i" || return 1
        NET_IF=$i; NET_IP=${2%/*}
        return 0
    fi
    for i in $cands; do
        ip link set "$i" up
        if udhcpc -i "$i" -s /etc/udhcpc.script -n -q -f -t 5 -T 1 >/dev/null 2>&1; then
            NET_IF=$i; NET_IP=$(cat "/run/udhcpc.$i.ip" 2>/dev/null)
            return 0
        fi
    done
    return 1
}

# http_get URL TOKEN OUTFILE: GET with bearer token (token never echoed). Returns wget's status.
http_get() {
    timeout "${HTTP_TIMEOUT:-30}" wget -q -O "$3" --header "Authorization: Bearer $2" "$1" 2>"${PLINTH_AGENT_ROOT:-}/tmp/wget.err"
}
# http_post URL TOKEN BODY: POST a form-urlencoded body with bearer token.
http_post() {
    timeout "${HTTP_TIMEOUT:-30}" wget -q -O "${PLINTH_AGENT_ROOT:-}/tmp/post.out" --header "Authorization: Bearer $2" \
        --post-data "$3" "$1" 2>"${PLINTH_AGENT_ROOT:-}/tmp/wget.err"
}

# find disk helpers: size in bytes of /dev/NAME from /sys/block
disk_bytes() { echo $(( $(cat "${PLINTH_AGENT_ROOT:-}/sys/block/$1/size") * 512 )); }
