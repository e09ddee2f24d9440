#!/usr/bin/env bash
# Installs the Debian packages Plinth's build and tests need; does nothing for packages already there.
# python3-venv and openssl: the Redfish tests (scripts/sushy-tools.sh builds their venv; self-signed certificates).
set -euo pipefail
# busybox-static, openssl and cpio: the deploy agent's own tools, which its contract and TLS tests run
# xorriso, isolinux and syslinux-common: the deploy ISO of virtual media boot (AgentService builds one per boot);
# grub-efi-amd64-bin, dosfstools and mtools: its UEFI boot image (ramdisk/build-iso.sh)
packages=(openjdk-17-jdk-headless maven git openipmi ipmitool busybox-static openssl cpio python3 python3-venv
          xorriso isolinux syslinux-common grub-efi-amd64-bin dosfstools mtools)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if (( ${#missing[@]} )); then
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  echo "installing: ${missing[*]}" >&2
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
