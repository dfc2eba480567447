#!/usr/bin/env bash
# Demo: serve a directory with vhostfsd, boot a small QEMU guest (TCG, no KVM needed) that mounts it, writes a
# file from the guest, and show that file on the host.
#
#   ./contrib/demo.sh [SHARED_DIR]
#
# Needs what ./contrib/install-deps.sh installs. Builds vhostfsd (release) and the guest initramfs if missing.
set -euo pipefail
cd "$(dirname "$0")/.."
share="${1:-$PWD/demo-share}"
sock="$(mktemp -u /tmp/vhostfsd-demo.XXXXXX.sock)"
mkdir -p "$share"

swift build -c release --product vhostfsd >/dev/null
eval "$(./contrib/guest/build-initramfs.sh guest-cache | grep -E '^(KERNEL|INITRAMFS)=')"

cat > "$share/demo.sh" <<'GUEST'
#!/bin/sh
echo "hello from the guest, $(uname -r), $(date)" > /mnt/hello-from-guest.txt
echo "guest sees:"; ls -l /mnt
GUEST
chmod +x "$share/demo.sh"

./.build/release/vhostfsd --socket-path="$sock" --shared-dir="$share" &
daemon=$!
trap 'kill $daemon 2>/dev/null; wait $daemon 2>/dev/null; rm -f "$share/demo.sh"' EXIT
for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done

timeout 120 qemu-system-x86_64 -accel tcg -m 512M -nographic -no-reboot -monitor none -nic none \
    -object memory-backend-memfd,id=mem,size=512M,share=on -numa node,memdev=mem \
    -chardev socket,id=vfs,path="$sock" -device vhost-user-fs-pci,chardev=vfs,tag=demo \
    -kernel "$KERNEL" -initrd "$INITRAMFS" \
    -append "console=ttyS0 panic=-1 loglevel=1 edd=off vhostfs.tag=demo vhostfs.script=demo.sh" \
    | grep -vE '^VHOSTFS-GUEST: (module|modules|virtio)' | tr -d '\r'

echo
echo "on the host, $share/hello-from-guest.txt says:"
cat "$share/hello-from-guest.txt"
