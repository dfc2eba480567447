#!/usr/bin/env bash
# Installs what vhostfsd needs to build and test on Debian 12: libaio, libnuma, libseccomp and liburing headers,
# and for the guest tests QEMU, the Debian kernel, busybox-static and the initramfs tools; systemd-socket-activate,
# setpriv, useradd and newuidmap for the daemon tests. Swift itself must already be installed.
set -euo pipefail
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
packages=(libaio-dev libnuma-dev libseccomp-dev liburing-dev qemu-system-x86 linux-image-amd64 busybox-static cpio kmod
    xz-utils zstd)
# The tests run the daemon under systemd-socket-activate (systemd) and as an unprivileged user (util-linux's setpriv).
packages+=(systemd util-linux)
# An ordinary user's namespace sandbox writes --uid-map/--gid-map with newuidmap/newgidmap; the tests add a user
# (passwd's useradd) with /etc/subuid ranges to try it.
packages+=(uidmap passwd)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    echo "install-deps: installing ${missing[*]}" >&2
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
command -v swift >/dev/null || { echo "install-deps: swift is not on PATH (Swift 6 toolchain needed)" >&2; exit 1; }
echo "install-deps: ok" >&2
