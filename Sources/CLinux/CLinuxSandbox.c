#define _GNU_SOURCE // before any include: Glibc's GNU-only calls and constants, for this file only (see CLinux.h)
#include "CLinuxSandbox.h"

#include <errno.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <sys/syscall.h>

static long sandbox_result(long r) { return r < 0 ? -errno : r; }

long CLinux_pivot_root(const char *new_root, const char *put_old) {
    return sandbox_result(syscall(SYS_pivot_root, new_root, put_old));
}

int CLinux_prctl(int option, unsigned long arg2, unsigned long arg3, unsigned long arg4, unsigned long arg5) {
    return prctl(option, arg2, arg3, arg4, arg5);
}

long CLinux_mount_setattr(const char *path, uint64_t attr_set, int recursive) {
    struct mount_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.attr_set = attr_set;
    unsigned int flags = recursive ? AT_RECURSIVE : 0;
    return sandbox_result(syscall(SYS_mount_setattr, AT_FDCWD, path, flags, &attr, sizeof attr));
}

long CLinux_pidfd_open(pid_t pid) { return sandbox_result(syscall(SYS_pidfd_open, pid, 0)); }

long CLinux_capget(uint64_t *effective, uint64_t *permitted, uint64_t *inheritable) {
    struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
    struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
    memset(data, 0, sizeof data);
    if (syscall(SYS_capget, &header, data) != 0) return -errno;
    *effective = (uint64_t)data[1].effective << 32 | data[0].effective;
    *permitted = (uint64_t)data[1].permitted << 32 | data[0].permitted;
    *inheritable = (uint64_t)data[1].inheritable << 32 | data[0].inheritable;
    return 0;
}

long CLinux_capset(uint64_t effective, uint64_t permitted, uint64_t inheritable) {
    struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
    struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {
        { .effective = (uint32_t)effective, .permitted = (uint32_t)permitted,
          .inheritable = (uint32_t)inheritable },
        { .effective = (uint32_t)(effective >> 32), .permitted = (uint32_t)(permitted >> 32),
          .inheritable = (uint32_t)(inheritable >> 32) },
    };
    return sandbox_result(syscall(SYS_capset, &header, data));
}

// MARK: - SIGSYS reporter

static int sigsys_report_fd = 2;
static int sigsys_extra_fd = -1;
static const char *const *sigsys_names;
static int sigsys_name_count;

/// Appends `text` to `buffer` at `*used` (capacity `size`), truncating. Async-signal-safe.
static void append_text(char *buffer, size_t size, size_t *used, const char *text) {
    while (*text && *used + 1 < size) buffer[(*used)++] = *text++;
}

/// Appends the decimal form of `value`. Async-signal-safe.
static void append_number(char *buffer, size_t size, size_t *used, long value) {
    char digits[24];
    int n = 0;
    unsigned long v = value < 0 ? (unsigned long)(-value) : (unsigned long)value;
    do { digits[n++] = (char)('0' + v % 10); v /= 10; } while (v && n < (int)sizeof digits);
    if (value < 0 && *used + 1 < size) buffer[(*used)++] = '-';
    while (n > 0 && *used + 1 < size) buffer[(*used)++] = digits[--n];
}

static void write_all(int fd, const char *text, size_t length) {
    while (length > 0) {
        ssize_t n = write(fd, text, length);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        text += n;
        length -= (size_t)n;
    }
}

static void sigsys_handler(int signal, siginfo_t *info, void *context) {
    (void)signal;
    int saved_errno = errno;
    int nr = info->si_syscall;
    char line[160];
    size_t used = 0;
    append_text(line, sizeof line, &used, "vhostfsd: seccomp: blocked system call ");
    if (nr >= 0 && nr < sigsys_name_count && sigsys_names[nr]) {
        append_text(line, sizeof line, &used, sigsys_names[nr]);
        append_text(line, sizeof line, &used, " (");
        append_number(line, sizeof line, &used, nr);
        append_text(line, sizeof line, &used, ")");
    } else {
        append_number(line, sizeof line, &used, nr);
    }
    append_text(line, sizeof line, &used, ", which returns ENOSYS\n");
    write_all(sigsys_report_fd, line, used);
    if (sigsys_extra_fd >= 0) write_all(sigsys_extra_fd, line, used);
    ucontext_t *uc = context;
#if defined(__x86_64__)
    uc->uc_mcontext.gregs[REG_RAX] = -ENOSYS;
#elif defined(__aarch64__)
    uc->uc_mcontext.regs[0] = (unsigned long long)(long long)-ENOSYS;
#else
#error "set the system call's return register for this architecture"
#endif
    errno = saved_errno;
}

int CLinux_install_sigsys_reporter(int report_fd, int extra_fd, const char *const *names, int count) {
    sigsys_report_fd = report_fd;
    sigsys_extra_fd = extra_fd;
    sigsys_names = names;
    sigsys_name_count = names ? count : 0;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = sigsys_handler;
    action.sa_flags = SA_SIGINFO;
    sigemptyset(&action.sa_mask);
    if (sigaction(SIGSYS, &action, NULL) != 0) return -errno;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGSYS);
    if (pthread_sigmask(SIG_UNBLOCK, &set, NULL) != 0) return -EINVAL;
    return 0;
}

// MARK: - Per-thread working directory flag

static _Thread_local int thread_cwd_is_proc_self_fd;

void CLinux_set_thread_cwd_is_proc_self_fd(int value) { thread_cwd_is_proc_self_fd = value != 0; }

int CLinux_thread_cwd_is_proc_self_fd(void) { return thread_cwd_is_proc_self_fd; }
