#!/bin/sh
# Main of the lab's bootable test image: say which image this is, read the config block the
# agent left in the last 1 MiB of the disk, bring up the network and check in (except an image named broken*).
. /lib/plinth-lib.sh
NAME=$(cat /etc/plinth-image)
echo "PLINTH-IMAGE=$NAME"
CONFIG_SIZE=1048576
DISK=""
n=0
while [ -z "$DISK" ] && [ $n -lt 30 ]; do
    for d in $(ls /sys/block | sort); do
        case "$d" in vd*|sd*|hd*|xvd*|nvme*n*) ;; *) continue ;; esac
        sectors=$(cat "/sys/block/$d/size"); [ "$sectors" -gt 2048 ] || continue
        off=$((sectors - CONFIG_SIZE / 512))
        dd if="/dev/$d" bs=512 skip="$off" count=8 2>/dev/null | tr -d '\000' > /tmp/config
        if [ "$(head -n1 /tmp/config)" = PLINTH-CONFIG-V1 ]; then DISK=$d; break; fi
    done
    [ -n "$DISK" ] || { sleep 0.2; n=$((n + 1)); }
done
if [ -z "$DISK" ]; then
    echo "PLINTH-CONFIG=missing (no disk carries a config block)"
    while :; do sleep 3600; done
fi
cfg() { sed -n '/^END$/q; s/^'"$1"'=//p' /tmp/config | head -1; }
API=$(cfg api); NODE=$(cfg node); TOKEN=$(cfg checkin); DEPLOY=$(cfg deploy); CA=$(cfg ca); APIHOST=$(cfg apihost)
echo "PLINTH-CONFIG=found on /dev/$DISK node=$NODE api=$API"
# an image named broken* boots and reads its config like any other but never checks in: the deliberately broken
# image of RollbackLabE2E, which must fail its role's health gate
case "$NAME" in
    broken*) echo "PLINTH-CHECKIN=never (a broken test image)"; while :; do sleep 3600; done ;;
esac
if [ -n "$CA" ]; then
    mkdir -p /etc/plinth
    { echo "-----BEGIN CERTIFICATE-----"; echo "$CA" | fold -w 64; echo "-----END CERTIFICATE-----"; } > /etc/plinth/ca.pem
fi
if ! api_trust "$API" "$APIHOST" /etc/plinth/ca.pem > /tmp/trust.err; then
    echo "PLINTH-CHECKIN=failed ($(cat /tmp/trust.err))"; while :; do sleep 3600; done
fi
# the deploy's static address where it had one (virtual media, no DHCP on that network), else DHCP
ADDRESS=$(cfg address); GATEWAY=$(cfg gateway)
if ! net_up "" "$ADDRESS" "$GATEWAY"; then
    echo "PLINTH-CHECKIN=failed (network: ${ADDRESS:-DHCP})"; while :; do sleep 3600; done
fi
if [ -n "$ADDRESS" ]; then echo "PLINTH-NET=static $ADDRESS via $GATEWAY"; else echo "PLINTH-NET=dhcp $NET_IP"; fi
# the deploy id lets a controller that lost its records check the token (ramdisk/PROTOCOL.md section 6)
body="image=$(urlencode "$NAME")&node=$(urlencode "$NODE")&ip=$(urlencode "$NET_IP")&deploy=$(urlencode "$DEPLOY")"
ok=""
for i in 1 2 3 4 5; do
    if http_post "$API/v1/agent/checkin" "$TOKEN" "$body"; then ok=1; break; fi
    sleep 1
done
if [ -n "$ok" ]; then echo "PLINTH-CHECKIN=ok"; else echo "PLINTH-CHECKIN=failed ($(head -c 200 /tmp/wget.err))"; fi
echo "$NAME is up (idle; power off through the BMC)"
while :; do sleep 3600; done
