# First guest of the lifecycle test (LifecycleTests.swift): a second virtio-fs device ('aux', its own back-end) is
# mounted, unmounted and mounted again in the same guest; then this guest powers off, and the main share's back-end
# serves lifecycle-killed.sh and lifecycle-last.sh in two more guests.
. /mnt/.e2e/lib.sh
cd /mnt || exit 1

echo "written by the first guest" >first-guest.txt
check first-guest-wrote test -s first-guest.txt

mkdir -p /tmp/aux
check aux-mount mount -t virtiofs aux /tmp/aux
check_eq aux-host-file "prepared on the host" "$(cat /tmp/aux/host-file.txt)"
echo one >/tmp/aux/before-remount.txt
check aux-umount umount /tmp/aux
check aux-unmounted sh -c '! grep -q " /tmp/aux " /proc/mounts'
check aux-remount mount -t virtiofs aux /tmp/aux
check_eq aux-read-after-remount one "$(cat /tmp/aux/before-remount.txt)"
echo two >/tmp/aux/after-remount.txt
check_eq aux-write-after-remount two "$(cat /tmp/aux/after-remount.txt)"
# Two virtio-fs mounts are two file systems for the guest kernel.
check_err exdev-between-virtiofs-mounts "Invalid cross-device link" ln /tmp/aux/after-remount.txt /mnt/linked
check aux-umount-again umount /tmp/aux
check aux-mount-read-only mount -t virtiofs -o ro aux /tmp/aux
check_err aux-read-only-refuses-writes "Read-only file system" sh -c 'echo x >/tmp/aux/ro.txt'
check_eq aux-read-only-reads two "$(cat /tmp/aux/after-remount.txt)"
check aux-umount-read-only umount /tmp/aux
# The main share mounted a second time, then unmounted, leaves /mnt working.
mkdir -p /tmp/again
check share-second-mount mount -t virtiofs share /tmp/again
check_eq share-second-mount-same-files "written by the first guest" "$(cat /tmp/again/first-guest.txt)"
check share-second-umount umount /tmp/again
check_eq share-still-mounted "written by the first guest" "$(cat first-guest.txt)"

finish
