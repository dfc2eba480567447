# Errors the guest must see (ENOENT, EEXIST, ENOTEMPTY, EISDIR, ENOTDIR, EACCES/EPERM for a non-root user, EXDEV,
# EOPNOTSUPP for xattrs while they are off) and attempts to escape the share. The host side is in
# ErrorAndConfinementTests.swift; .e2e/paths holds the host paths and facts the escape checks need.
. /mnt/.e2e/lib.sh
. /mnt/.e2e/paths
cd /mnt || exit 1

# --- ENOENT -------------------------------------------------------------------------------------------------------
check_err enoent-cat "No such file or directory" cat missing.txt
check_err enoent-stat "No such file or directory" stat missing.txt
check_err enoent-ls "No such file or directory" ls missing-dir
check_err enoent-rm "No such file or directory" rm missing.txt
check_err enoent-rmdir "No such file or directory" rmdir missing-dir
check_err enoent-mkdir-parent "No such file or directory" mkdir missing-dir/sub
check_err enoent-create-parent "No such file or directory" touch missing-dir/new.txt
check_probe enoent-rename errno=ENOENT rename missing.txt renamed.txt
check_probe enoent-link errno=ENOENT link missing.txt linked.txt

# --- EEXIST -------------------------------------------------------------------------------------------------------
check_err eexist-mkdir "File exists" mkdir dir
check_err eexist-mkdir-over-file "File exists" mkdir file.txt
check_err eexist-mkfifo "File exists" mkfifo file.txt
check_err eexist-link "File exists" ln file.txt nonempty/child
check_err eexist-symlink "File exists" ln -s anything file.txt
check_err eexist-noclobber "File exists" sh -c 'set -C; echo x >file.txt'
check_probe eexist-create-excl errno=EEXIST create-excl file.txt
check_probe eexist-rename-noreplace errno=EEXIST rename file.txt nonempty/child noreplace

# --- ENOTEMPTY ----------------------------------------------------------------------------------------------------
check_err enotempty-rmdir "Directory not empty" rmdir nonempty
check_err enotempty-rename-over-dir "Directory not empty" mv -T emptydir nonempty
check_probe enotempty-rename-probe errno=ENOTEMPTY rename emptydir nonempty

# --- EISDIR -------------------------------------------------------------------------------------------------------
check_err eisdir-write "Is a directory" sh -c 'echo x >dir'
check_err eisdir-read "Is a directory" cat dir
check_err eisdir-unlink "Is a directory" unlink dir
check_probe eisdir-rename-file-over-dir errno=EISDIR rename file.txt dir

# --- ENOTDIR ------------------------------------------------------------------------------------------------------
check_err enotdir-lookup "Not a directory" ls file.txt/x
check_err enotdir-mkdir "Not a directory" mkdir file.txt/sub
check_err enotdir-rmdir "Not a directory" rmdir file.txt
check_probe enotdir-rename-dir-over-file errno=ENOTDIR rename dir file.txt
check_eq errors-left-files-alone "file dir" "$(cat file.txt) $(test -d dir && echo dir)"

# --- xattrs are off in this run -----------------------------------------------------------------------------------
check_probe xattr-disabled-set errno=EOPNOTSUPP setxattr file.txt user.e2e value
check_probe xattr-disabled-get errno=EOPNOTSUPP getxattr file.txt user.e2e

# --- EXDEV --------------------------------------------------------------------------------------------------------
echo from-the-guest-tmpfs >/tmp/guest-file
check_err exdev-link-from-guest-tmpfs "Invalid cross-device link" ln /tmp/guest-file /mnt/from-tmpfs
check_probe exdev-rename-from-guest-tmpfs errno=EXDEV rename /tmp/guest-file /mnt/from-tmpfs
check exdev-mv-from-guest-tmpfs-copies mv /tmp/guest-file /mnt/from-tmpfs.txt
# xdev/ is a different file system mounted inside the share on the host: the back-end's own link/rename fail.
if [ "$HOST_SUBMOUNT" = mounted ]; then
    check_probe exdev-host-submount-link errno=EXDEV link xdev-src.txt xdev/linked.txt
    check_probe exdev-host-submount-rename errno=EXDEV rename xdev-src.txt xdev/renamed.txt
    check exdev-host-submount-mv-copies mv xdev-src.txt xdev/moved.txt
    check_eq exdev-host-submount-mv-content crossing "$(cat xdev/moved.txt)"
    check exdev-host-submount-mv-source-gone test ! -e xdev-src.txt
fi

# --- escaping the share -------------------------------------------------------------------------------------------
# /mnt/.. is the guest's root, never the host directory above the share.
check_eq escape-dotdot-is-guest-root / "$(cd /mnt/.. && pwd -P)"
check_eq escape-dotdot-dotdot-is-guest-root / "$(cd /mnt/../../.. && pwd -P)"
check escape-dotdot-sees-guest-init test -f /mnt/../init
check escape-dotdot-no-host-secret test ! -e /mnt/../outside-secret.txt
# Symlinks the host planted: the back-end must hand them over as symlinks (never follow them on the host), so the
# guest resolves them in its own namespace.
for l in esc-parent esc-root esc-etc esc-rel-secret esc-abs-secret esc-abs-passwd esc-abs-share-parent; do
    check_eq "escape-$l-is-a-symlink" "symbolic link" "$(stat -c %F $l)"
done
check_eq escape-esc-rel-secret-readlink ../outside-secret.txt "$(readlink esc-rel-secret)"
check_eq escape-esc-abs-secret-readlink "$SECRET_PATH" "$(readlink esc-abs-secret)"
check escape-esc-parent-is-guest-root test -f esc-parent/init -a ! -e esc-parent/outside-secret.txt
check escape-esc-root-is-guest-root test -f esc-root/init -a -f esc-root/etc/kernel-release
check_eq escape-esc-etc-is-guest-etc "$(uname -r)" "$(cat esc-etc/kernel-release)"
check_err escape-esc-rel-secret-unreadable "No such file or directory" cat esc-rel-secret
check_err escape-esc-abs-secret-unreadable "No such file or directory" cat esc-abs-secret
check_err escape-esc-abs-share-parent-unreadable "No such file or directory" ls esc-abs-share-parent
check_err escape-secret-path-in-guest "No such file or directory" cat "$SECRET_PATH"
check_err escape-secret-path-below-mnt "No such file or directory" cat "/mnt$SECRET_PATH"
check_err escape-secret-path-below-esc-root "No such file or directory" cat "esc-root$SECRET_PATH"
passwd_sum=$(first_field sha256sum esc-abs-passwd)
check escape-esc-abs-passwd-is-not-the-hosts test "$passwd_sum" != "$HOST_PASSWD_SHA256"
passwd_sum=$(first_field sha256sum esc-etc/passwd)
check escape-esc-etc-passwd-is-not-the-hosts test "$passwd_sum" != "$HOST_PASSWD_SHA256"
# Symlinks the guest plants resolve in the guest too; the host only sees symlinks.
echo guest-only >/tmp/guest-only
check escape-guest-symlink-abs ln -s /tmp/guest-only guest-abs-link
check_eq escape-guest-symlink-resolves-in-guest guest-only "$(cat guest-abs-link)"
check escape-guest-symlink-passwd ln -s /etc/passwd guest-passwd-link
check escape-guest-symlink-up ln -s ../../../../../../../../outside-secret.txt guest-up-link
check_err escape-guest-symlink-up-unreadable "No such file or directory" cat guest-up-link
# Writes through the escape links land in the guest (or fail), never next to the share on the host.
{
    echo written-through-esc-parent >esc-parent/pwned-by-guest.txt
    echo written-through-esc-rel-secret >>esc-rel-secret
    echo written-through-esc-abs-secret >esc-abs-secret
    echo written-through-guest-up-link >guest-up-link
} 2>/dev/null
marker="VHOSTFS-""OUTSIDE"
check escape-no-outside-marker-in-share sh -c "! grep -r -q '$marker' /mnt"

# --- EACCES and EPERM for a non-root guest user -------------------------------------------------------------------
add_guest_user
check_eq user-is-tester 1000:1000 "$(as_user 'id -u'):$(as_user 'id -g')"
check_err eacces-read "Permission denied" as_user 'cat /mnt/secret0600.txt'
check_err eacces-write "Permission denied" as_user 'echo x >>/mnt/rootonly/file.txt'
check_err eacces-create "Permission denied" as_user 'echo x >/mnt/rootonly/new.txt'
check_err eacces-mkdir "Permission denied" as_user 'mkdir /mnt/rootonly/newdir'
check_err eacces-unlink "Permission denied" as_user 'rm -f /mnt/rootonly/file.txt'
check_err eacces-rename "Permission denied" as_user 'mv /mnt/rootonly/file.txt /mnt/public/stolen.txt'
check_err eacces-list "Permission denied" as_user 'ls /mnt/private-dir'
check_err eperm-chown "Operation not permitted" as_user 'chown 1000 /mnt/file.txt'
check_err eperm-chmod "Operation not permitted" as_user 'chmod 0777 /mnt/file.txt'
check_err eperm-utimes "Operation not permitted" as_user 'touch -d "2001-01-01 00:00:00" /mnt/file.txt'
check_err eperm-sticky-unlink "Operation not permitted" as_user 'rm -f /mnt/public/roots.txt'
check user-create as_user 'echo mine >/mnt/public/by-tester.txt'
check user-mkdir as_user 'mkdir /mnt/public/tester-dir'
check user-symlink as_user 'ln -s by-tester.txt /mnt/public/tester-link'
check user-fifo as_user 'mkfifo /mnt/public/tester-fifo'
check_eq user-owns-created-file 1000:1000 "$(stat -c %u:%g public/by-tester.txt)"
check_eq user-reads-own-file mine "$(as_user 'cat /mnt/public/by-tester.txt')"
check_eq root-still-reads-0600 "root only" "$(cat secret0600.txt)"

# --- uid/gid translation: a second share served with map:1000:101000:10 (uids), map:1000:201000:10 (gids) and
# forbid-guest:1010:1; the host checks the owners it got.
if [ "$MAPPED_SHARE" = mapped ]; then
    mkdir -p /tmp/mapped
    check mapped-mount mount -t virtiofs mapped /tmp/mapped
    check_eq mapped-root-owner 1000:1000 "$(stat -c %u:%g /tmp/mapped)"
    check_eq mapped-host-file-owner 1003:1004 "$(stat -c %u:%g /tmp/mapped/host-owned.txt)"
    check_eq mapped-unmapped-owner 4242:4242 "$(stat -c %u:%g /tmp/mapped/unmapped.txt)"
    check mapped-user-create as_user 'echo mapped >/tmp/mapped/by-tester.txt'
    check_eq mapped-user-owns-file 1000:1000 "$(stat -c %u:%g /tmp/mapped/by-tester.txt)"
    check mapped-user-mkdir as_user 'mkdir /tmp/mapped/tester-dir'
    check mapped-root-create sh -c 'echo root >/tmp/mapped/by-root.txt'
    check mapped-chown chown 1002:1003 /tmp/mapped/chowned.txt
    check_eq mapped-chown-result 1002:1003 "$(stat -c %u:%g /tmp/mapped/chowned.txt)"
    check_err mapped-chown-forbidden "Operation not permitted" chown 1010 /tmp/mapped/chowned.txt
    check_eq mapped-chown-forbidden-unchanged 1002:1003 "$(stat -c %u:%g /tmp/mapped/chowned.txt)"
    # POSIX ACLs (the mapped share runs with --posix-acl): the guest enforces them, their ids are translated, and
    # setting one as a user outside the file's group clears set-group-ID (FUSE_SETXATTR_ACL_KILL_SGID).
    echo acl >/tmp/mapped/acl.txt
    chmod 0600 /tmp/mapped/acl.txt
    check_err mapped-acl-denied-before "Permission denied" as_user 'cat /tmp/mapped/acl.txt'
    check_probe mapped-acl-set ok setacl /tmp/mapped/acl.txt 1000 1002
    check_probe mapped-acl-get "ok u:1000:4,g:1002:4" getacl /tmp/mapped/acl.txt
    check_eq mapped-acl-grants-read acl "$(as_user 'cat /tmp/mapped/acl.txt')"
    as_user 'echo sgid >/tmp/mapped/sgid.txt'
    chgrp 1003 /tmp/mapped/sgid.txt
    chmod 02660 /tmp/mapped/sgid.txt
    check_eq mapped-sgid-before 2660 "$(stat -c %a /tmp/mapped/sgid.txt)"
    check_eq mapped-acl-kill-sgid ok "$(as_user "$PROBE setacl /tmp/mapped/sgid.txt 1001 1003" 2>&1)"
    check_eq mapped-acl-kill-sgid-result 0 "$(( 0$(stat -c %a /tmp/mapped/sgid.txt) & 02000 ))"
    # --announce-submounts: the host's tmpfs on sub/ is a mount of its own in the guest too, with its own st_dev.
    if [ "$HOST_SUBMOUNT" = mounted ]; then
        check_eq mapped-submount-own-device yes \
            "$([ "$(stat -c %d /tmp/mapped)" != "$(stat -c %d /tmp/mapped/sub/.)" ] && echo yes)"
    fi
    check mapped-umount umount /tmp/mapped
fi

finish
