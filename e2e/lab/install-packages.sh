#!/bin/sh
# Idempotently install the Debian packages the virtual lab needs and fetch (not install)
# a Debian kernel into $PLINTH_LAB_DIR/kernel (extracted with dpkg-deb -x).
set -eu
LAB_DIR=${PLINTH_LAB_DIR:-/var/tmp/plinth-lab}
# libvirt-daemon-system, libvirt-clients, python3-libvirt: libvirt.sh's machines and sushy-emulator's libvirt driver
# (RedfishVirtualMediaLabE2E); no service is started by the install here (no systemd, no init script): libvirt.sh
# starts libvirtd itself. xorriso, isolinux: the per-boot deploy ISO of virtual media; ovmf: the UEFI firmware
# UefiDeployIsoBootTest boots that ISO with.
PKGS="qemu-system-x86 qemu-utils ipxe-qemu openipmi ipmitool busybox-static openssl kmod cpio gzip xz-utils
      syslinux syslinux-common mtools dosfstools fdisk python3 iproute2 coreutils util-linux
      libvirt-daemon-system libvirt-clients python3-libvirt xorriso isolinux ovmf"

missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "installing:$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends $missing
else
    echo "all packages present"
fi

# Kernel: download the Debian 6.1 amd64 image package and extract it, no install.
mkdir -p "$LAB_DIR/kernel"
if ! ls "$LAB_DIR"/kernel/root/boot/vmlinuz-* >/dev/null 2>&1; then
    cd "$LAB_DIR/kernel"
    if ! ls linux-image-6.1*-amd64_*.deb >/dev/null 2>&1; then
        [ -n "$missing" ] || apt-get update -qq
        # Pick the newest non-debug, non-unsigned, non-rt/cloud 6.1 amd64 image package.
        pkg=$(apt-cache search --names-only '^linux-image-6\.1\.[0-9]+-[0-9]+-amd64$' | awk '{print $1}' \
              | grep -v -e unsigned -e dbg -e cloud -e rt | sort -V | tail -1)
        [ -n "$pkg" ] || { echo "no linux-image-6.1*-amd64 package found" >&2; exit 1; }
        echo "downloading $pkg"
        chmod 0777 . 2>/dev/null || true   # let _apt write here (avoids the unsandboxed warning)
        apt-get download "$pkg"
    fi
    deb=$(ls linux-image-6.1*-amd64_*.deb | sort -V | tail -1)
    rm -rf root && mkdir root
    dpkg-deb -x "$deb" root
fi
k=$(ls "$LAB_DIR"/kernel/root/boot/vmlinuz-* | sort -V | tail -1)
echo "kernel: $k"
