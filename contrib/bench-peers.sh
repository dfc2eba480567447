#!/usr/bin/env bash
# Regenerates the tables of BENCHMARKS.md ("Against the Rust and C virtiofsd", "Poll modes under contention",
# "Write engines"): builds vhostfsd and vhostfs-bench (release), checks the peers, and runs vhostfs-bench twice,
# printing each command before it runs it. Every table comes from one run; each run writes Markdown (paste it into
# BENCHMARKS.md as is) and JSON next to it.
#
#   contrib/bench-peers.sh [OUT_DIR]        (default: bench-results/<UTC date and time>)
#
# Environment: ROUNDS (default 5) times each cell is measured on every back-end, the back-ends taking turns in
# rotated order (the ones not measured are stopped) and the tables showing the median; DURATION (default 0.6)
# seconds per cell; HOGS (default 0,1,2) the --cpu-hogs counts; RUST (default /tmp/peers/virtiofsd-rust) the Rust
# virtiofsd 1.9.0, built by ../shared/peers/build-virtiofsd-rust.sh when missing if BUILD_PEER=1; C_VIRTIOFSD
# (default /usr/lib/qemu/virtiofsd) the C virtiofsd of QEMU 7.2 (apt-get install qemu-system-x86). Takes about 30
# minutes with the defaults on 2 CPUs. Run it on an otherwise idle machine: the load average is printed before and
# after each run, and the tables give its range per hog count.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-0.6}
HOGS=${HOGS:-0,1,2}
RUST=${RUST:-/tmp/peers/virtiofsd-rust}
C_VIRTIOFSD=${C_VIRTIOFSD:-/usr/lib/qemu/virtiofsd}
OUT=${1:-bench-results/$(date -u +%Y%m%dT%H%M%SZ)}
CPUS=$(nproc)
say() { echo "== $*" >&2; }

if [ ! -x "$RUST" ]; then
    if [ "${BUILD_PEER:-0}" = 1 ]; then
        say "building the Rust virtiofsd 1.9.0 into $RUST"
        ../shared/peers/build-virtiofsd-rust.sh "$RUST"
    else
        echo "bench-peers: $RUST is missing; build it with ../shared/peers/build-virtiofsd-rust.sh (about 2 minutes)" \
            "or run with BUILD_PEER=1" >&2
        exit 2
    fi
fi
[ -x "$C_VIRTIOFSD" ] || { echo "bench-peers: $C_VIRTIOFSD is missing (apt-get install qemu-system-x86)" >&2; exit 2; }

say "building vhostfsd and vhostfs-bench (release)"
swift build -c release --product vhostfsd >&2
swift build -c release --product vhostfs-bench >&2
mkdir -p "$OUT"
B=.build/release
V="$B/vhostfsd --socket-path={socket} --shared-dir={dir}"
R="$RUST --socket-path={socket} --shared-dir={dir} --sandbox=none --cache=auto"
# glibc.pthread.rseq=0: the C virtiofsd's seccomp filter predates rseq and kills it otherwise.
C="env GLIBC_TUNABLES=glibc.pthread.rseq=0 $C_VIRTIOFSD --socket-path={socket} -o source={dir} -o cache=auto"
C="$C -o sandbox=chroot"
COMMON=(--queues 1 --qd 1,32 --duration "$DURATION" --rounds "$ROUNDS" --no-progress)

# quoted ARGS...: the words as one shell command line, single-quoting those that need it.
quoted() {
    local out="" word
    for word in "$@"; do
        if [[ $word =~ ^[A-Za-z0-9_./=:,+-]+$ ]]; then out+="$word "; else out+="'${word//\'/\'\\\'\'}' "; fi
    done
    echo "${out% }"
}

# run NAME ARGS...: prints the command, the load before and after, and keeps its output.
run() {
    local name=$1
    shift
    local cmd=("$B/vhostfs-bench" "$@" --json "$OUT/$name.json" --markdown "$OUT/$name.md")
    say "$name: $(uptime)"
    quoted "${cmd[@]}" > "$OUT/$name.command"
    cat "$OUT/$name.command" >&2
    "${cmd[@]}" > "$OUT/$name.txt"
    say "$name done: $(uptime)"
}

# 1. vhostfsd's defaults, its other poll modes (busy, interrupt, the fixed 100 us spin), and the peers.
run peers \
    --backend "vhostfsd=$V" \
    --backend "vhostfsd-interrupt=$V --poll-mode=interrupt" \
    --backend "vhostfsd-busy=$V --poll-mode=busy" \
    --backend "vhostfsd-adaptive=$V --poll-mode=adaptive --poll-us=100" \
    --backend "rust-pool-0=$R" \
    --backend "rust-pool-$CPUS=$R --thread-pool-size=$CPUS" \
    --backend "virtiofsd-c=$C" \
    --workloads randread4k,randwrite4k,seqread128k,seqwrite128k,mixed,getattr,lookup-getattr,readdirplus,idle \
    --cpu-hogs "$HOGS" "${COMMON[@]}" \
    --ratio "vhostfsd/rust-pool-0|rust-pool-$CPUS" \
    --ratio "vhostfsd/virtiofsd-c" \
    --ratio "vhostfsd/vhostfsd-interrupt" \
    --ratio "vhostfsd/vhostfsd-busy" \
    --ratio "vhostfsd/vhostfsd-adaptive"

# 2. The I/O engines against the peers, on the workloads that write.
run engines \
    --backend "threads=$V --io-engine=threads" \
    --backend "libaio=$V --io-engine=libaio" \
    --backend "io_uring=$V --io-engine=io_uring" \
    --backend "rust-pool-0=$R" \
    --backend "rust-pool-$CPUS=$R --thread-pool-size=$CPUS" \
    --backend "virtiofsd-c=$C" \
    --workloads randwrite4k,seqwrite128k,mixed \
    --cpu-hogs "$HOGS" "${COMMON[@]}" \
    --ratio "threads/libaio" \
    --ratio "io_uring/libaio" \
    --ratio "threads/rust-pool-0|rust-pool-$CPUS|virtiofsd-c"

say "tables: $OUT/peers.md $OUT/engines.md (commands in $OUT/*.command)"
