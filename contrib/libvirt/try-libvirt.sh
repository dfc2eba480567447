#!/usr/bin/env bash
# Tries vhostfsd under libvirt on this machine, the way an operator would use it: libvirtd finds the daemon through
# /usr/share/qemu/vhost-user/40-vhostfsd.json (the domain has no <binary>), starts it with --fd and its options, a
# TCG guest mounts the share, writes a file and powers off.
#
#   sudo ./contrib/libvirt/try-libvirt.sh
#
# Needs libvirt (apt-get install libvirt-daemon-system libvirt-clients), vhostfsd installed (sudo make -C contrib
# install) and the test guest (contrib/guest/build-initramfs.sh, as the end-to-end tests build it). Starts libvirtd
# itself when no service manager runs it. Prints the vhostfsd command line libvirt used and the guest's file.
set -euo pipefail
cd "$(dirname "$0")/../.."
work=/tmp/vhostfsd-libvirt
name=vhostfsd-try

command -v virsh >/dev/null || { echo "try-libvirt: virsh missing (libvirt-clients)" >&2; exit 1; }
[ -f /usr/share/qemu/vhost-user/40-vhostfsd.json ] || { echo "try-libvirt: run sudo make -C contrib install" >&2; exit 1; }
if [ ! -S /run/libvirt/virtlogd-sock ]; then
    echo "try-libvirt: starting virtlogd" >&2
    virtlogd -d
fi
if ! virsh -c qemu:///system version >/dev/null 2>&1; then
    echo "try-libvirt: starting libvirtd" >&2
    libvirtd -d
    for _ in $(seq 100); do virsh -c qemu:///system version >/dev/null 2>&1 && break; sleep 0.1; done
fi
eval "$(./contrib/guest/build-initramfs.sh guest-cache | grep -E '^(KERNEL|INITRAMFS)=')"

rm -rf "$work"
mkdir -p "$work/share"
chmod 0755 "$work" "$work/share"
cat > "$work/share/demo.sh" <<'GUEST'
#!/bin/sh
echo "written in a libvirt guest, $(uname -r)" > /mnt/hello-from-libvirt.txt
GUEST
chmod +x "$work/share/demo.sh"
cp "$KERNEL" "$work/vmlinuz"
cp "$INITRAMFS" "$work/initramfs.cpio.gz"
chmod 0644 "$work/vmlinuz" "$work/initramfs.cpio.gz"

# The example domain, for TCG (no KVM here), this kernel and this share.
sed -e "s|<domain type='kvm'>|<domain type='qemu'>|" \
    -e "s|<name>vhostfsd-demo</name>|<name>$name</name>|" \
    -e "s|<kernel>/boot/vmlinuz</kernel>|<kernel>$work/vmlinuz</kernel>|" \
    -e "s|<initrd>/boot/initrd.img</initrd>|<initrd>$work/initramfs.cpio.gz</initrd>|" \
    -e "s|<cmdline>console=ttyS0</cmdline>|<cmdline>console=ttyS0 panic=-1 vhostfs.tag=share vhostfs.script=demo.sh</cmdline>|" \
    -e "s|<source dir='/srv/share'/>|<source dir='$work/share'/>|" \
    contrib/libvirt/vhostfsd-domain.xml > "$work/domain.xml"

virsh -c qemu:///system destroy "$name" >/dev/null 2>&1 || true
virsh -c qemu:///system undefine "$name" >/dev/null 2>&1 || true
virsh -c qemu:///system define "$work/domain.xml"
trap 'virsh -c qemu:///system destroy "$name" >/dev/null 2>&1 || true; virsh -c qemu:///system undefine "$name" >/dev/null 2>&1 || true' EXIT
virsh -c qemu:///system start "$name"
sleep 2
echo "libvirt started:"
ps -eo pid,user,args | grep '[v]hostfsd' | grep -v try-libvirt || { echo "try-libvirt: no vhostfsd running" >&2; exit 1; }
for _ in $(seq 300); do
    [ -s "$work/share/hello-from-libvirt.txt" ] && break
    sleep 1
done
echo "the guest wrote: $(cat "$work/share/hello-from-libvirt.txt")"
for _ in $(seq 60); do
    virsh -c qemu:///system domstate "$name" 2>/dev/null | grep -q "shut off" && break
    sleep 1
done
echo "domain state: $(virsh -c qemu:///system domstate "$name")"
