# A tree larger than any descriptor limit: /mnt/tree holds DIRS directories of FILES files, each file holding its
# own path. The guest finds every name, reads every file back, then creates and removes 10,000 files. The host
# compares the names' and the contents' checksums with its own.
. /mnt/.e2e/lib.sh
cd /mnt/tree || exit 1

start=$(date +%s)
# Every name: the sorted list of paths, as the host lists them.
find . -type f | sort >/tmp/names
check_eq tree-file-count "$(cat /mnt/.e2e-tree-count)" "$(wc -l </tmp/names | tr -d ' ')"
echo "E2E-VALUE tree-names-sha256=$(sha256sum </tmp/names | cut -d' ' -f1)"
# Every file's content, concatenated in that order (a file that could not be read leaves its content out).
echo "E2E-VALUE tree-content-sha256=$(xargs cat </tmp/names | sha256sum | cut -d' ' -f1)"
walked=$(date +%s)
echo "E2E-VALUE tree-walk-seconds=$((walked - start))"

mkdir /mnt/created && cd /mnt/created || exit 1
seq -w 1 10000 | xargs touch
check_eq created-10000 10000 "$(ls | wc -l | tr -d ' ')"
check created-readable test -e 05000
seq -w 1 10000 | xargs rm
check_eq removed-10000 0 "$(ls | wc -l | tr -d ' ')"
cd /mnt && rmdir created
check created-directory-gone test ! -e /mnt/created
echo "E2E-VALUE create-remove-seconds=$(($(date +%s) - walked))"

finish
