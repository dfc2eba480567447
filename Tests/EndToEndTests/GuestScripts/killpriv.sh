# Set-user-ID and set-group-ID bits after a guest user who does not own a file changes it, with --cache=never
# (direct I/O: the guest kernel leaves the clearing to the back-end through FUSE_HANDLE_KILLPRIV_V2). The host
# made every file root-owned, world-writable, with the mode in its name; KillPrivTests.swift checks the host side.
# The kernel's rules for a caller without CAP_FSETID: set-user-ID always goes, set-group-ID only when the group
# may execute; chown clears them whoever does it; root (CAP_FSETID) writing keeps them.
. /mnt/.e2e/lib.sh
add_guest_user
cd /mnt/kp || exit 1

expected() {
    case "$1" in
        2767) echo 2767 ;;
        *) echo 777 ;;
    esac
}

for m in 4777 2777 6777 2767 777; do
    as_user "echo more >>write-$m"
    check_eq "killpriv-write-$m" "$(expected $m)" "$(stat -c %a write-$m)"
    as_user "truncate -s 2 truncate-$m"
    check_eq "killpriv-truncate-$m" "$(expected $m)" "$(stat -c %a truncate-$m)"
    as_user ": >open-trunc-$m"
    check_eq "killpriv-open-trunc-$m" "$(expected $m)" "$(stat -c %a open-trunc-$m)"
    chown 1000 chown-$m
    check_eq "killpriv-chown-$m" "$(expected $m)" "$(stat -c %a chown-$m)"
done
# Root in the guest holds CAP_FSETID: its writes keep the bits.
echo more >>root-write-6777
check_eq killpriv-root-write-keeps 6777 "$(stat -c %a root-write-6777)"
check_eq killpriv-data-written "datamore" "$(cat write-4777 | tr -d '\n')"
finish
