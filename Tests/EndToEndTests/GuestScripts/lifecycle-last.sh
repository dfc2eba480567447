# Last guest of the lifecycle test: the back-end that served the first guest (powered off) and the second (killed)
# serves this one too, with everything they wrote.
. /mnt/.e2e/lib.sh
cd /mnt || exit 1

check_eq last-guest-sees-first-guest "written by the first guest" "$(cat first-guest.txt)"
check_eq last-guest-sees-killed-guest "written by the killed guest" "$(cat killed-guest.txt)"
check last-guest-sees-busy-file test -s busy.txt
echo "written by the last guest" >last-guest.txt
check_eq last-guest-wrote "written by the last guest" "$(cat last-guest.txt)"
check last-guest-lists sh -c 'ls -1 | grep -q first-guest.txt'

finish
