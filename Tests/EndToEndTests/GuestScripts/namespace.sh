# Names and metadata: mkdir/rmdir, create/unlink, rename, hard links, symlinks, chmod/chown/utimes/truncate, fifos,
# readdir of 5,000 entries, xattrs (the back-end runs with xattrs on). The host side is in NamespaceTests.swift.
. /mnt/.e2e/lib.sh
cd /mnt || exit 1
mkdir ns

# --- mkdir / rmdir, create / unlink -------------------------------------------------------------------------------
check mkdir-p mkdir -p ns/a/b/c
check mkdir-p-result test -d ns/a/b/c
check rmdir rmdir ns/a/b/c
check rmdir-gone test ! -e ns/a/b/c
check mkdir-then-rmdir sh -c 'mkdir ns/transient && rmdir ns/transient && test ! -e ns/transient'
check create sh -c ': >ns/created.txt'
check create-is-empty-file test -f ns/created.txt -a ! -s ns/created.txt
echo doomed >ns/unlinked.txt
check unlink-rm rm ns/unlinked.txt
check unlink-gone test ! -e ns/unlinked.txt
echo doomed >ns/unlinked2.txt
check unlink-applet unlink ns/unlinked2.txt

# --- rename -------------------------------------------------------------------------------------------------------
echo r >ns/rename-src.txt
check rename-same-dir mv ns/rename-src.txt ns/renamed.txt
check_eq rename-same-dir-content r "$(cat ns/renamed.txt)"
check rename-same-dir-source-gone test ! -e ns/rename-src.txt
mkdir ns/dir1 ns/dir2
echo moved >ns/dir1/moving.txt
check rename-across-dirs mv ns/dir1/moving.txt ns/dir2/moved.txt
check_eq rename-across-dirs-content moved "$(cat ns/dir2/moved.txt)"
echo old >ns/victim.txt
echo new >ns/replacer.txt
check rename-over-existing mv -f ns/replacer.txt ns/victim.txt
check_eq rename-over-existing-content new "$(cat ns/victim.txt)"
check rename-over-existing-source-gone test ! -e ns/replacer.txt
mkdir -p ns/olddir/inner
echo in >ns/olddir/inner/f
check rename-dir mv ns/olddir ns/newdir
check rename-dir-across-dirs mv ns/newdir ns/dir2/newdir
check_eq rename-dir-content in "$(cat ns/dir2/newdir/inner/f)"
mkdir ns/dir-src ns/dir-dst-empty
: >ns/dir-src/marker
check rename-dir-over-empty-dir mv -T ns/dir-src ns/dir-dst-empty
check rename-dir-over-empty-dir-result test -f ns/dir-dst-empty/marker -a ! -e ns/dir-src
echo a >ns/swap-a
echo b >ns/swap-b
check_probe rename-noreplace-existing errno=EEXIST rename ns/swap-a ns/swap-b noreplace
check_probe rename-noreplace-new ok rename ns/swap-a ns/swap-c noreplace
check_probe rename-exchange ok rename ns/swap-c ns/swap-b exchange
check_eq rename-exchange-content "b a" "$(cat ns/swap-c) $(cat ns/swap-b)"

# --- hard links ---------------------------------------------------------------------------------------------------
echo linked >ns/hl.txt
check link ln ns/hl.txt ns/hl-2.txt
check link-across-dirs ln ns/hl.txt ns/dir1/hl-3.txt
check_eq link-count-3 3 "$(stat -c %h ns/hl.txt)"
check_eq link-same-inode "$(stat -c %i ns/hl.txt)" "$(stat -c %i ns/dir1/hl-3.txt)"
rm ns/hl-2.txt
check_eq link-count-after-unlink 2 "$(stat -c %h ns/hl.txt)"
echo more >>ns/dir1/hl-3.txt
check_eq link-shared-content "$(printf 'linked\nmore')" "$(cat ns/hl.txt)"
check_eq host-link-count 3 "$(stat -c %h host/hardlinked.txt)"
check_eq host-link-same-inode "$(stat -c %i host/hardlinked.txt)" "$(stat -c %i host/sub/hardlinked-3.txt)"

# --- symlinks -----------------------------------------------------------------------------------------------------
check symlink ln -s renamed.txt ns/symlink-rel
check_eq symlink-readlink renamed.txt "$(readlink ns/symlink-rel)"
check_eq symlink-lstat-type "symbolic link" "$(stat -c %F ns/symlink-rel)"
check_eq symlink-follow r "$(cat ns/symlink-rel)"
check_eq symlink-stat-follows "regular file" "$(stat -L -c %F ns/symlink-rel)"
check symlink-dangling ln -s /nonexistent/absolute/target ns/symlink-dangling
check_eq symlink-dangling-readlink /nonexistent/absolute/target "$(readlink ns/symlink-dangling)"
check symlink-dangling-does-not-resolve test ! -e ns/symlink-dangling
long=$(printf 'long-target-%0200d' 0)
check symlink-long-target ln -s "$long" ns/symlink-long
check_eq symlink-long-readlink "$long" "$(readlink ns/symlink-long)"
check_eq host-symlink-readlink target.txt "$(readlink host/link-to-target)"
check_eq host-symlink-lstat-type "symbolic link" "$(stat -c %F host/link-to-target)"
check_eq host-symlink-follow "target content" "$(cat host/link-to-target)"

# --- chmod, chown, utimes, truncate -------------------------------------------------------------------------------
echo m >ns/mode.txt
check chmod-file chmod 0640 ns/mode.txt
check_eq chmod-file-mode 640 "$(stat -c %a ns/mode.txt)"
mkdir ns/modedir ns/stickydir
check chmod-dir chmod 0750 ns/modedir
check chmod-sticky-dir chmod 1777 ns/stickydir
check_eq chmod-dir-mode "750 1777" "$(stat -c %a ns/modedir) $(stat -c %a ns/stickydir)"
echo o >ns/owned.txt
check chown chown 1234:5678 ns/owned.txt
check_eq chown-result 1234:5678 "$(stat -c %u:%g ns/owned.txt)"
check chgrp chgrp 4321 ns/mode.txt
echo t >ns/times.txt
check utimes-mtime touch -m -d '2001-02-03 04:05:06' ns/times.txt
check utimes-atime touch -a -d '2002-03-04 05:06:07' ns/times.txt
check_eq utimes-result "981173106 1015218367" "$(stat -c '%Y %X' ns/times.txt)"
# A symlink's own times (utimensat AT_SYMLINK_NOFOLLOW, as touch -h does), the target's left alone.
echo target >ns/link-times-target.txt
ln -s link-times-target.txt ns/link-times
target_before=$(stat -c %Y ns/link-times-target.txt)
check_probe utimes-symlink-nofollow ok utimens-nofollow ns/link-times 1015218367 981173106
check_eq utimes-symlink-result "981173106 1015218367" "$(stat -c '%Y %X' ns/link-times)"
check_eq utimes-symlink-target-untouched "$target_before" "$(stat -c %Y ns/link-times-target.txt)"
check truncate-shrink truncate -s 4096 host/truncate-me.bin
check_eq truncate-shrink-size 4096 "$(stat -c %s host/truncate-me.bin)"
echo abc >ns/grown.bin
check truncate-grow truncate -s 100000 ns/grown.bin
check_eq truncate-grow-size 100000 "$(stat -c %s ns/grown.bin)"
check_eq truncate-grow-keeps-data abc "$(head -c 3 ns/grown.bin)"
check truncate-create truncate -s 777 ns/truncate-created.bin

# --- fifos --------------------------------------------------------------------------------------------------------
check mknod-fifo mknod ns/fifo p
check mkfifo mkfifo -m 0600 ns/fifo2
check_eq fifo-type "fifo fifo" "$(stat -c %F ns/fifo) $(stat -c %F ns/fifo2)"
( echo through-the-fifo >ns/fifo ) &
check_eq fifo-carries-data through-the-fifo "$(timeout 20 cat ns/fifo)"
wait

# --- readdir ------------------------------------------------------------------------------------------------------
# 5,000 entries the host made, named entry-0000-<pad> .. entry-4999-<pad>.
pad=abcdefghijklmnopqrstuvwxyz0123456789
ls -1a host/many >/tmp/seen-all
check_eq readdir-host-count 5002 "$(wc -l </tmp/seen-all)"
check_eq readdir-host-no-duplicates 0 "$(sort /tmp/seen-all | uniq -d | wc -l)"
seq -w 0 4999 | sed "s/^/entry-/; s/\$/-$pad/" | sort >/tmp/expected
ls -1 host/many | sort >/tmp/seen
check readdir-host-names cmp /tmp/expected /tmp/seen
check_eq readdir-host-long-listing 5000 "$(ls -ln host/many | grep -c '^-')"
# 5,000 entries the guest makes, then removes the 500 ending in 5; the host checks what is left.
mkdir ns/gmany
i=0
while [ $i -lt 5000 ]; do
    : >ns/gmany/g$i
    i=$((i + 1))
done
check_eq readdir-guest-count 5000 "$(ls -1 ns/gmany | wc -l)"
check readdir-guest-remove-some rm ns/gmany/g*5
check_eq readdir-guest-count-after-remove 4500 "$(ls -1 ns/gmany | wc -l)"
check_eq readdir-guest-no-duplicates 0 "$(ls -1a ns/gmany | sort | uniq -d | wc -l)"
# The share's root lists both dot entries, as a local file system's root does.
check_eq readdir-root-dot-entries ". .." "$(ls -1a /mnt | grep -x '\.\.*' | tr '\n' ' ' | sed 's/ $//')"

# --- xattrs (the back-end runs with xattrs enabled) ---------------------------------------------------------------
: >ns/xattr.txt
check_probe xattr-set ok setxattr ns/xattr.txt user.e2e hello
check_probe xattr-get "ok hello" getxattr ns/xattr.txt user.e2e
check_probe xattr-set-create ok setxattr ns/xattr.txt user.second two create
check_probe xattr-set-create-existing errno=EEXIST setxattr ns/xattr.txt user.second again create
check_probe xattr-set-replace ok setxattr ns/xattr.txt user.second 2 replace
check_probe xattr-set-replace-missing errno=ENODATA setxattr ns/xattr.txt user.missing x replace
check_probe xattr-list "ok user.e2e,user.second" listxattr ns/xattr.txt
check_probe xattr-remove ok removexattr ns/xattr.txt user.second
check_probe xattr-get-removed errno=ENODATA getxattr ns/xattr.txt user.second
check_probe xattr-get-missing errno=ENODATA getxattr ns/xattr.txt user.never
check_probe xattr-host-set "ok from-the-host" getxattr host/xattr-host.txt user.host
check_probe xattr-on-dir ok setxattr ns/dir1 user.dir on-a-directory

finish
