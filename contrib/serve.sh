#!/usr/bin/env bash
# The main job in one command: install what vhostfsd needs, build it (release), and serve a directory.
#
#   ./contrib/serve.sh [vhostfsd options...]
#
# Shares $VHOSTFSD_SHARE (default ./share, created if missing) on $VHOSTFSD_SOCKET (default /tmp/vhostfsd.sock).
# vhostfsd prints the QEMU options to attach a guest when it starts. It runs as root (through sudo when needed),
# like virtiofsd: files the guest creates belong to the guest user's uid/gid.
set -euo pipefail
cd "$(dirname "$0")/.."
./contrib/install-deps.sh
swift build -c release --product vhostfsd
share="${VHOSTFSD_SHARE:-$PWD/share}"
sock="${VHOSTFSD_SOCKET:-/tmp/vhostfsd.sock}"
mkdir -p "$share"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
exec $SUDO ./.build/release/vhostfsd --socket-path="$sock" --shared-dir="$share" "$@"
