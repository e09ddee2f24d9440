#!/bin/sh
# /init of the lab's ramdisks (deploy ramdisk and test image): mount the pseudo
# filesystems, load the kernel modules in the order computed at build time, run the main script.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null || mdev -s
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
echo 4 > /proc/sys/kernel/printk 2>/dev/null
while read -r m; do
    insmod "/lib/modules/$m" 2>/dev/null || echo "init: insmod $m failed (ignored)" > /dev/console
done < /etc/modules.order
/bin/plinth-main < /dev/console > /dev/console 2>&1
echo "init: main exited with $?; powering off" > /dev/console
sync
poweroff -f
