# File contents both ways: host-prepared files read in the guest, guest-written files checked on the host (see
# DataTests.swift for the host side), sparse files, append, O_TRUNC, O_EXCL, fsync, fallocate and statfs.
. /mnt/.e2e/lib.sh
cd /mnt || exit 1

# --- host -> guest ------------------------------------------------------------------------------------------------
for f in small.txt random-1m.bin big-64m.bin sparse.bin; do
    check_eq "host-file-sha256-$f" "$(cat "host/$f.sha256")" "$(first_field sha256sum "host/$f")"
done
check_eq host-file-size-random-1m.bin 1048699 "$(stat -c %s host/random-1m.bin)"
check_eq host-file-size-big-64m.bin 67108864 "$(stat -c %s host/big-64m.bin)"

# The host's sparse file: size, small allocation, data where it was written, holes the guest can find.
set -- $(stat -c '%s %b %B' host/sparse.bin)
check_eq host-sparse-size 33554436 "$1"
check host-sparse-allocated-under-1MiB test $(($2 * $3)) -lt 1048576
check host-sparse-du-under-1MiB test "$(first_field du -k host/sparse.bin)" -lt 1024
check_eq host-sparse-head HEAD "$(dd if=host/sparse.bin bs=4 count=1 2>/dev/null)"
check_eq host-sparse-middle MIDDLE "$(dd if=host/sparse.bin bs=1 skip=16777216 count=6 2>/dev/null)"
check_eq host-sparse-tail TAIL "$(dd if=host/sparse.bin bs=4 skip=8388608 count=1 2>/dev/null)"
check_probe host-sparse-seek-hole "ok 4096" seek host/sparse.bin hole 0
check_probe host-sparse-seek-data "ok 16777216" seek host/sparse.bin data 4096

# --- guest -> host ------------------------------------------------------------------------------------------------
mkdir -p guest
check guest-mkdir test -d guest
printf 'written in the guest\nsecond line\n' >guest/text.txt
check_eq guest-text-readback "$(printf 'written in the guest\nsecond line')" "$(cat guest/text.txt)"

dd if=/dev/urandom of=guest/random-64m.bin bs=1M count=64 2>/dev/null
big=$(first_field sha256sum guest/random-64m.bin)
value guest-random-64m.bin-sha256 "$big"
# An odd size, not a multiple of any page or block.
dd if=/dev/urandom of=guest/odd.bin bs=4097 count=3 2>/dev/null
value guest-odd.bin-sha256 "$(first_field sha256sum guest/odd.bin)"
check_eq guest-odd-size 12291 "$(stat -c %s guest/odd.bin)"
cp host/random-1m.bin guest/copy-1m.bin
check guest-copy-1m-cmp cmp host/random-1m.bin guest/copy-1m.bin

# Drop the guest's page cache: everything below is read back through the back-end.
sync
echo 3 >/proc/sys/vm/drop_caches
check_eq guest-random-64m-reread-after-drop-caches "$big" "$(first_field sha256sum guest/random-64m.bin)"
check guest-copy-1m-cmp-after-drop-caches cmp host/random-1m.bin guest/copy-1m.bin

# Sparse file written by the guest: a hole in the middle, data at both ends.
truncate -s 33554432 guest/sparse.bin
printf HEAD | dd of=guest/sparse.bin conv=notrunc 2>/dev/null
printf MIDDLE | dd of=guest/sparse.bin bs=1 seek=16777216 conv=notrunc 2>/dev/null
check_eq guest-sparse-size 33554432 "$(stat -c %s guest/sparse.bin)"
set -- $(stat -c '%b %B' guest/sparse.bin)
check guest-sparse-allocated-under-1MiB test $(($1 * $2)) -lt 1048576
check_probe guest-sparse-seek-data "ok 16777216" seek guest/sparse.bin data 4096

# fallocate: allocation without data.
check guest-fallocate fallocate -l 1048576 guest/fallocated.bin
set -- $(stat -c '%s %b %B' guest/fallocated.bin)
check_eq guest-fallocate-size 1048576 "$1"
check guest-fallocate-allocated test $(($2 * $3)) -ge 1048576

# --- append, O_TRUNC, O_EXCL --------------------------------------------------------------------------------------
echo first >guest/append.txt
echo second >>guest/append.txt
echo third >>guest/append.txt
check_eq guest-append "$(printf 'first\nsecond\nthird')" "$(cat guest/append.txt)"
echo "from the guest" >>host/append-me.txt
check_eq guest-append-to-host-file "$(printf 'from the host\nfrom the guest')" "$(cat host/append-me.txt)"
check guest-dd-append sh -c 'printf tail | dd of=guest/append.txt oflag=append conv=notrunc 2>/dev/null'

echo short >host/trunc-me.txt
check_eq guest-o-trunc-size 6 "$(stat -c %s host/trunc-me.txt)"
check_eq guest-o-trunc-content short "$(cat host/trunc-me.txt)"

check guest-o-excl-new sh -c 'set -C; echo created-exclusively >guest/excl.txt'
check_err guest-o-excl-existing "File exists" sh -c 'set -C; echo again >guest/excl.txt'
check_probe guest-o-excl-probe-new ok create-excl guest/excl2.txt
check_probe guest-o-excl-probe-existing errno=EEXIST create-excl guest/excl2.txt
check_eq guest-o-excl-content created-exclusively "$(cat guest/excl.txt)"

# --- fsync, fdatasync, syncfs -------------------------------------------------------------------------------------
check guest-dd-conv-fsync sh -c 'dd if=/dev/urandom of=guest/fsynced.bin bs=65536 count=4 conv=fsync 2>/dev/null'
value guest-fsynced.bin-sha256 "$(first_field sha256sum guest/fsynced.bin)"
check guest-fsync sync guest/text.txt
check guest-fdatasync sync -d guest/fsynced.bin
check guest-syncfs sync -f /mnt

# --- statfs -------------------------------------------------------------------------------------------------------
check guest-df df /mnt
set -- $(stat -f -c '%b %f %a %S %l %t %c %d' /mnt)
value statfs-blocks "$1"
value statfs-free "$2"
value statfs-available "$3"
value statfs-fragment-size "$4"
value statfs-name-max "$5"
value statfs-type "$6"
value statfs-files "$7"
check_eq statfs-fuse-magic 65735546 "$6"

finish
