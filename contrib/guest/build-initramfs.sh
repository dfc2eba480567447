#!/bin/sh
# Builds the initramfs that QEMUTestKit boots: busybox-static, contrib/guest/init as /init, and the virtio-pci, fuse
# and virtiofs kernel modules (with everything they depend on) of the installed Debian kernel.
#
# usage: contrib/guest/build-initramfs.sh [OUTPUT_DIR]      (default: <repo>/guest-cache)
#
# Environment overrides:
#   VHOSTFS_KVER      kernel version (default: the newest /boot/vmlinuz-* that has /lib/modules/<kver>/modules.dep)
#   VHOSTFS_KERNEL    kernel image (default: /boot/vmlinuz-<kver>)
#   VHOSTFS_BUSYBOX   statically linked busybox (default: /bin/busybox, from busybox-static)
#   VHOSTFS_FORCE_REBUILD=1   rebuild even if the inputs are unchanged
#
# On success, stdout carries exactly these machine-readable lines (human messages go to stderr):
#   KVER=<kernel version>
#   KERNEL=<absolute path of the kernel image>
#   INITRAMFS=<absolute path of the cpio.gz>
# The same lines are written to OUTPUT_DIR/guest.env. When nothing changed since the last build the script only
# re-checks its inputs and prints the lines (well under a second).
set -eu

MODULES="virtio_pci_legacy_dev virtio_pci_modern_dev virtio_ring virtio virtio_pci fuse virtiofs"

die() {
    echo "build-initramfs: error: $*" >&2
    exit 1
}
note() {
    echo "build-initramfs: $*" >&2
}

script_dir=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
repo_root=$(CDPATH= cd -- "$script_dir/../.." && pwd)
init_src="$script_dir/init"
out_dir=${1:-"$repo_root/guest-cache"}

for tool in cpio gzip sha256sum find sort od awk sed; do
    command -v "$tool" >/dev/null 2>&1 ||
        die "'$tool' not found in PATH (apt-get install cpio gzip coreutils findutils mawk sed)"
done
[ -r "$init_src" ] || die "guest init script $init_src is missing"

# --- kernel -------------------------------------------------------------------------------------------------------
KVER=${VHOSTFS_KVER:-}
if [ -z "$KVER" ]; then
    for image in $(ls -1 /boot/vmlinuz-* 2>/dev/null | sort -V -r); do
        candidate=${image#/boot/vmlinuz-}
        if [ -r "/lib/modules/$candidate/modules.dep" ]; then
            KVER=$candidate
            break
        fi
    done
fi
[ -n "$KVER" ] ||
    die "no kernel: need /boot/vmlinuz-<kver> and /lib/modules/<kver>/modules.dep (apt-get install linux-image-amd64)"
KERNEL=${VHOSTFS_KERNEL:-/boot/vmlinuz-$KVER}
[ -f "$KERNEL" ] || die "kernel image $KERNEL is missing (apt-get install linux-image-amd64)"
[ -r "$KERNEL" ] || die "kernel image $KERNEL is not readable by $(id -un)"
moddir=/lib/modules/$KVER
[ -r "$moddir/modules.dep" ] || die "$moddir/modules.dep is missing (apt-get install linux-image-amd64 kmod)"

# --- busybox ------------------------------------------------------------------------------------------------------
BUSYBOX=${VHOSTFS_BUSYBOX:-/bin/busybox}
[ -x "$BUSYBOX" ] || die "busybox not found at $BUSYBOX (apt-get install busybox-static)"

# Reads an unsigned little-endian integer of $3 bytes at offset $2 of file $1.
read_le() {
    od -A n -t u"$3" -j "$2" -N "$3" "$1" | tr -d ' '
}
# The guest has no libc, so busybox must be static: an ELF64 x86-64 file without a PT_INTERP program header.
check_static() {
    magic=$(od -A n -t x1 -N 4 "$1" | tr -d ' ')
    [ "$magic" = "7f454c46" ] || return 1
    phoff=$(read_le "$1" 32 8)
    phentsize=$(read_le "$1" 54 2)
    phnum=$(read_le "$1" 56 2)
    i=0
    while [ "$i" -lt "$phnum" ]; do
        ptype=$(read_le "$1" $((phoff + i * phentsize)) 4)
        [ "$ptype" = 3 ] && return 1
        i=$((i + 1))
    done
    return 0
}
check_static "$BUSYBOX" || die "$BUSYBOX is not a statically linked ELF executable (apt-get install busybox-static)"

# --- modules: dependency closure in load order (dependencies first) -------------------------------------------------
# modules.dep lines look like "kernel/fs/fuse/virtiofs.ko: kernel/drivers/virtio/virtio.ko ...". A module is named by
# its file name without .ko[.xz|.zst|.gz], with '-' and '_' equivalent.
modname() {
    basename "$1" | sed -e 's/\.ko\(\.xz\|\.zst\|\.gz\)\?$//' -e 's/-/_/g'
}
dep_line() {
    # The line of modules.dep whose module file is named $1.
    awk -F: -v want="$1" '{
        n = $1; sub(/.*\//, "", n); sub(/\.ko(\.xz|\.zst|\.gz)?$/, "", n); gsub(/-/, "_", n)
        if (n == want) { print; exit }
    }' "$moddir/modules.dep"
}
ordered=""     # module names, dependencies first
ordered_files=""
visiting=""
visit() {
    # dash, bash and busybox ash all have 'local'; the recursion needs it.
    local name line file deps dep
    name=$1
    case " $ordered " in *" $name "*) return 0 ;; esac
    case " $visiting " in *" $name "*) die "dependency cycle through module $name in $moddir/modules.dep" ;; esac
    line=$(dep_line "$name")
    if [ -z "$line" ]; then
        if grep -q -E "/$name\.ko(\.xz|\.zst|\.gz)?\$" "$moddir/modules.builtin" 2>/dev/null; then
            note "module $name is built into the kernel"
            ordered="$ordered $name"
            return 0
        fi
        die "module $name is neither in $moddir/modules.dep nor in modules.builtin (see /boot/config-$KVER)"
    fi
    visiting="$visiting $name"
    file=${line%%:*}
    deps=${line#*:}
    for dep in $deps; do
        visit "$(modname "$dep")"
    done
    ordered="$ordered $name"
    ordered_files="$ordered_files $file"
}
for m in $MODULES; do
    visit "$m"
done
for f in $ordered_files; do
    [ -r "$moddir/$f" ] || die "module file $moddir/$f is missing"
done

# --- skip when nothing changed ------------------------------------------------------------------------------------
mkdir -p "$out_dir"
out_dir=$(CDPATH= cd -- "$out_dir" && pwd)
initramfs="$out_dir/initramfs-$KVER.cpio.gz"
stamp="$out_dir/initramfs-$KVER.inputs"
env_file="$out_dir/guest.env"

print_result() {
    printf 'KVER=%s\nKERNEL=%s\nINITRAMFS=%s\n' "$KVER" "$KERNEL" "$initramfs" >"$env_file.tmp.$$"
    mv -f "$env_file.tmp.$$" "$env_file"
    cat "$env_file"
}

# Serialise concurrent builds into the same directory (two test processes starting at once).
if command -v flock >/dev/null 2>&1; then
    exec 9>"$out_dir/.build.lock"
    flock 9
fi

inputs=$(
    {
        echo "kver $KVER"
        echo "modules $ordered"
        sha256sum "$KERNEL" "$BUSYBOX" "$init_src" "$0"
        for f in $ordered_files; do sha256sum "$moddir/$f"; done
    } | sha256sum | cut -d' ' -f1
)
if [ "${VHOSTFS_FORCE_REBUILD:-0}" != 1 ] && [ -s "$initramfs" ] && [ -r "$stamp" ] &&
    [ "$(cat "$stamp")" = "$inputs" ]; then
    note "up to date: $initramfs"
    print_result
    exit 0
fi

# --- build --------------------------------------------------------------------------------------------------------
started=$(date +%s.%N)
staging=$(mktemp -d "$out_dir/.staging.XXXXXX")
trap 'rm -rf "$staging" "$initramfs.tmp.$$"' EXIT INT TERM

mkdir -p "$staging/bin" "$staging/sbin" "$staging/dev" "$staging/proc" "$staging/sys" "$staging/mnt" \
    "$staging/tmp" "$staging/etc" "$staging/lib/modules"
cp "$BUSYBOX" "$staging/bin/busybox"
ln -s busybox "$staging/bin/sh"
cp "$init_src" "$staging/init"
chmod 0755 "$staging/init" "$staging/bin/busybox"
# The kernel opens /dev/console for init before init can mount devtmpfs; the init copes without it (it redirects to
# /dev/ttyS0 once devtmpfs is up), but early output is only seen with the node, which needs root to create.
mknod -m 600 "$staging/dev/console" c 5 1 2>/dev/null || note "not root: no /dev/console node in the initramfs"

# Modules go in flat as <name>.ko, uncompressed: busybox insmod cannot be relied on to read .xz or .zst.
: >"$staging/etc/modules"
for f in $ordered_files; do
    name=$(modname "$f")
    src="$moddir/$f"
    dst="$staging/lib/modules/$name.ko"
    case "$f" in
        *.ko) cp "$src" "$dst" ;;
        *.ko.xz)
            command -v xz >/dev/null 2>&1 || die "$src is xz-compressed and 'xz' is missing (apt-get install xz-utils)"
            xz -dc "$src" >"$dst" ;;
        *.ko.zst)
            command -v zstd >/dev/null 2>&1 ||
                die "$src is zstd-compressed and 'zstd' is missing (apt-get install zstd)"
            zstd -q -dc "$src" >"$dst" ;;
        *.ko.gz) gzip -dc "$src" >"$dst" ;;
        *) die "unknown module file type: $src" ;;
    esac
    echo "$name" >>"$staging/etc/modules"
done
echo "$KVER" >"$staging/etc/kernel-release"

(cd "$staging" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) |
    gzip -n -6 >"$initramfs.tmp.$$"
mv -f "$initramfs.tmp.$$" "$initramfs"
echo "$inputs" >"$stamp"
finished=$(date +%s.%N)
took=$(echo "$finished $started" | awk '{printf "%.2f", $1 - $2}')
note "built $initramfs ($(wc -c <"$initramfs") bytes, modules:$ordered) in $took s"
print_result
