#!/usr/bin/env bash
# Tries the unit pair where systemd is not PID 1 (containers, CI, this build machine): checks the units with
# systemd-analyze, then does what vhostfsd@NAME.socket and .service do with systemd-socket-activate (the systemd
# package's tool): it listens on the unit's socket, and on the first connection starts the unit's ExecStart with
# the socket as fd 3, LISTEN_PID and LISTEN_FDS=1. A TCG guest then mounts the share and writes a file.
#
#   sudo ./contrib/systemd/try-socket-activation.sh
#
# Needs vhostfsd installed (sudo make -C contrib install), systemd (systemd-analyze, systemd-socket-activate) and the
# test guest (contrib/guest/build-initramfs.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
name=try
work=/tmp/vhostfsd-systemd
units=/lib/systemd/system

rm -rf "$work"
mkdir -p "$work/share" /etc/vhostfsd
cat > "/etc/vhostfsd/$name.conf" <<EOF
SHARED_DIR=$work/share
VHOSTFSD_OPTIONS="--cache=auto --xattr"
EOF
trap 'rm -f /etc/vhostfsd/$name.conf; kill $activator 2>/dev/null || true' EXIT
systemd-analyze verify "$units/vhostfsd@$name.socket" "$units/vhostfsd@$name.service"
echo "systemd-analyze verify: ok"

# What the units say: the socket path, and the command with the environment file's values.
socket=$(sed -n 's/^ListenStream=//p' "$units/vhostfsd@.socket" | sed "s/%i/$name/")
# shellcheck disable=SC1090
. "/etc/vhostfsd/$name.conf"
exec_start=$(sed -n 's/^ExecStart=//p' "$units/vhostfsd@.service")
exec_start=${exec_start//\$\{SHARED_DIR\}/$SHARED_DIR}
exec_start=${exec_start//\$VHOSTFSD_OPTIONS/$VHOSTFSD_OPTIONS}
echo "socket $socket, ExecStart: $exec_start"
mkdir -p "$(dirname "$socket")"
rm -f "$socket"
# shellcheck disable=SC2086
systemd-socket-activate --listen="$socket" $exec_start 2>"$work/daemon.log" &
activator=$!
for _ in $(seq 50); do [ -S "$socket" ] && break; sleep 0.1; done

eval "$(./contrib/guest/build-initramfs.sh guest-cache | grep -E '^(KERNEL|INITRAMFS)=')"
cat > "$work/share/demo.sh" <<'GUEST'
#!/bin/sh
echo "written through a socket-activated vhostfsd" > /mnt/hello-from-socket-activation.txt
GUEST
chmod +x "$work/share/demo.sh"
timeout 180 qemu-system-x86_64 -accel tcg -m 512M -nographic -no-reboot -monitor none -nic none \
    -object memory-backend-memfd,id=mem,size=512M,share=on -numa node,memdev=mem \
    -chardev socket,id=vfs,path="$socket" -device vhost-user-fs-pci,chardev=vfs,tag=share \
    -kernel "$KERNEL" -initrd "$INITRAMFS" \
    -append "console=ttyS0 panic=-1 loglevel=1 edd=off vhostfs.tag=share vhostfs.script=demo.sh" \
    >"$work/console.log" 2>&1 || true
echo "the guest wrote: $(cat "$work/share/hello-from-socket-activation.txt")"
echo "daemon (pid $activator, $(cat /proc/$activator/comm)) log:"
cat "$work/daemon.log"
kill -TERM "$activator"
wait "$activator" && echo "vhostfsd exited 0 on SIGTERM"
