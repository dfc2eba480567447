#!/usr/bin/env bash
# What the daemon's seccomp filter costs per system call: builds the filter from the names in
# Sources/VhostFSDaemon/SystemCallAllowList.swift with libseccomp as the daemon does (default action kill, a binary
# tree; argument conditions left out; OPTIMIZE=1 for libseccomp's default linear list), and times fstat
# (newfstatat, a call of every GETATTR) in alternating rounds: in this process without the filter, then in a child
# with it.
#
#   ./contrib/seccomp-cost.sh [ROUNDS] [CALLS]       (default 5 rounds of 2,000,000 calls)
#
# Needs gcc and libseccomp-dev. Prints ns per call of each round, without and with the filter.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
calls=${2:-2000000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
grep -oE '^ *Row\("[a-z0-9_]+"' Sources/VhostFSDaemon/SystemCallAllowList.swift | sed -E 's/.*"(.*)"/"\1",/' \
    > "$work/names.inc"
cat > "$work/cost.c" <<'EOF'
#define _GNU_SOURCE
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
static const char *names[] = {
#include "names.inc"
};
static double ns_per_call(long calls) {
    struct stat st;
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (long i = 0; i < calls; i++) fstat(0, &st);
    clock_gettime(CLOCK_MONOTONIC, &b);
    return ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / calls;
}
int main(int argc, char **argv) {
    int rounds = atoi(argv[1]);
    long calls = atol(argv[2]);
    for (int r = 0; r < rounds; r++) {
        double plain = ns_per_call(calls);
        int fds[2];
        if (pipe(fds) != 0) return 1;
        pid_t child = fork();
        if (child == 0) {
            scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
            // As the daemon: a binary tree (OPTIMIZE=1 for libseccomp's default linear list).
            seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, getenv("OPTIMIZE") ? atoi(getenv("OPTIMIZE")) : 2);
            int n = 0;
            for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
                int nr = seccomp_syscall_resolve_name(names[i]);
                if (nr >= 0 && seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0) == 0) n++;
            }
            if (seccomp_load(ctx) != 0) _exit(2);
            double filtered = ns_per_call(calls);
            if (write(fds[1], &filtered, sizeof filtered) != sizeof filtered) _exit(3);
            _exit(0);
        }
        double filtered = 0;
        if (read(fds[0], &filtered, sizeof filtered) != sizeof filtered) return 1;
        waitpid(child, NULL, 0);
        printf("round %d: fstat %.1f ns without the filter, %.1f ns with it\n", r + 1, plain, filtered);
    }
    return 0;
}
EOF
gcc -O2 -o "$work/cost" -I"$work" "$work/cost.c" -lseccomp
echo "$(wc -l < "$work/names.inc") system calls on the list"
"$work/cost" "$rounds" "$calls"
