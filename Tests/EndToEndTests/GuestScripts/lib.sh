# Sourced by every end-to-end guest script (busybox ash). The host test copies the scripts to <share>/.e2e/ and the
# guest init runs one of them from /mnt with /mnt as its working directory.
#
# Every check prints exactly one console line, which the host test looks up by name:
#   E2E-CHECK <name>=ok
#   E2E-CHECK <name>=fail detail=<what was seen, on one line: newlines become '|'>
# Values the host compares with its side of the share:
#   E2E-VALUE <name>=<value without spaces>
# The last line of a script that ran to its end:
#   E2E-END failed=<number of failed checks>
# Names never contain spaces or '='. A script always exits 0 when it reaches its end; the checks carry the verdicts.

E2E_FAILED=0
PROBE=/mnt/.e2e/probe

pass() {
    echo "E2E-CHECK $1=ok"
}

# fail NAME DETAIL...
fail() {
    _name=$1
    shift
    _detail=$(printf '%s' "$*" | tr '\n\r\t' '|  ' | cut -c1-300)
    echo "E2E-CHECK $_name=fail detail=$_detail"
    E2E_FAILED=$((E2E_FAILED + 1))
}

# check NAME COMMAND...: passes if COMMAND exits 0.
check() {
    _name=$1
    shift
    _out=$("$@" 2>&1)
    _rc=$?
    if [ "$_rc" = 0 ]; then pass "$_name"; else fail "$_name" "rc=$_rc $_out"; fi
}

# check_eq NAME EXPECTED ACTUAL
check_eq() {
    if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "expected=[$2] got=[$3]"; fi
}

# check_err NAME MESSAGE COMMAND...: passes if COMMAND fails and its output contains MESSAGE, the C library's
# strerror text of the expected errno (e.g. "File exists" for EEXIST).
check_err() {
    _name=$1
    _message=$2
    shift 2
    _out=$("$@" 2>&1)
    _rc=$?
    if [ "$_rc" != 0 ]; then
        case "$_out" in
            *"$_message"*) pass "$_name"; return ;;
        esac
    fi
    fail "$_name" "rc=$_rc out=$_out"
}

# check_probe NAME EXPECTED PROBE-ARGS...: passes if the probe prints EXPECTED ("ok", "ok <value>" or
# "errno=<ENAME>").
check_probe() {
    _name=$1
    _expected=$2
    shift 2
    check_eq "$_name" "$_expected" "$("$PROBE" "$@" 2>&1)"
}

# value NAME VALUE
value() {
    echo "E2E-VALUE $1=$2"
}

# as_user COMMAND: runs the shell command as the unprivileged guest user 'tester' (uid 1000, gid 1000).
as_user() {
    su tester -c "$1"
}

# Adds the unprivileged user 'tester' (uid 1000, gid 1000, group 1000) to the guest's /etc, which lives in the
# initramfs and not in the share. busybox su lets root switch without a password.
add_guest_user() {
    mkdir -p /etc
    grep -q '^tester:' /etc/passwd 2>/dev/null || echo 'tester:x:1000:1000:tester:/tmp:/bin/sh' >>/etc/passwd
    grep -q '^tester:' /etc/group 2>/dev/null || echo 'tester:x:1000:' >>/etc/group
}

# The first whitespace-separated field of a command's output.
first_field() {
    set -- $("$@" 2>/dev/null)
    echo "$1"
}

finish() {
    echo "E2E-END failed=$E2E_FAILED"
    exit 0
}
