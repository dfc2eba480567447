# Second guest of the lifecycle test: it writes, then keeps requests in flight until the host kills QEMU (no
# unmount, no FUSE DESTROY). The back-end must survive that too and serve the next guest.
. /mnt/.e2e/lib.sh
cd /mnt || exit 1

check_eq killed-guest-sees-first-guest "written by the first guest" "$(cat first-guest.txt)"
echo "written by the killed guest" >killed-guest.txt
sync
(
    i=0
    while :; do
        echo "line $i" >>busy.txt
        cat first-guest.txt >/dev/null
        ls >/dev/null
        i=$((i + 1))
    done
) &
sleep 1
# The host kills QEMU when it sees this line.
check killed-guest-busy test -s busy.txt
sleep 600
finish
