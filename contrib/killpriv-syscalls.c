// The system calls behind the two ways of clearing set-user-ID bits on a write by a guest user without
// CAP_FSETID (FUSE_HANDLE_KILLPRIV_V2), measured side by side on a page-cache file:
//   cc -O2 contrib/killpriv-syscalls.c -o /tmp/killpriv-syscalls && sudo /tmp/killpriv-syscalls
// Run as root: it drops CAP_FSETID from its effective set and raises it again. vhostfsd checks the mode with one
// statx(STATX_MODE) and chmods only when a bit is set; virtiofsd drops CAP_FSETID around the write (two capset
// calls). A full fstat is shown too: right after a write it costs about three times the statx of the mode.
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e9 + t.tv_nsec;
}

int main(void) {
    enum { N = 200000 };
    struct __user_cap_header_struct header = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct caps[2], dropped[2];
    if (syscall(SYS_capget, &header, caps) != 0) { perror("capget"); return 1; }
    dropped[0] = caps[0];
    dropped[1] = caps[1];
    dropped[0].effective &= ~(1u << CAP_FSETID);
    char path[] = "/tmp/killpriv-syscalls-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) { perror("mkstemp"); return 1; }
    unlink(path);
    static char buffer[4096];
    struct stat st;
    struct statx sx;
    double best[4] = { 1e18, 1e18, 1e18, 1e18 };
    for (int round = 0; round < 3; round++) {
        double t0 = now();
        for (int i = 0; i < N; i++) pwrite(fd, buffer, 4096, (i % 256) * 4096);
        double t1 = now();
        for (int i = 0; i < N; i++) {
            fstat(fd, &st);
            pwrite(fd, buffer, 4096, (i % 256) * 4096);
        }
        double t2 = now();
        for (int i = 0; i < N; i++) {
            syscall(SYS_capset, &header, dropped);
            pwrite(fd, buffer, 4096, (i % 256) * 4096);
            syscall(SYS_capset, &header, caps);
        }
        double t3 = now();
        for (int i = 0; i < N; i++) {
            statx(fd, "", AT_EMPTY_PATH, STATX_MODE, &sx);
            pwrite(fd, buffer, 4096, (i % 256) * 4096);
        }
        double t4 = now();
        double r[4] = { (t1 - t0) / N, (t2 - t1) / N, (t3 - t2) / N, (t4 - t3) / N };
        for (int k = 0; k < 4; k++) if (r[k] < best[k]) best[k] = r[k];
    }
    printf("pwrite 4 KiB                      %6.0f ns\n", best[0]);
    printf("statx(STATX_MODE) + pwrite        %6.0f ns  (+%.0f, vhostfsd)\n", best[3], best[3] - best[0]);
    printf("fstat + pwrite                    %6.0f ns  (+%.0f)\n", best[1], best[1] - best[0]);
    printf("capset + pwrite + capset          %6.0f ns  (+%.0f, virtiofsd)\n", best[2], best[2] - best[0]);
    return 0;
}
