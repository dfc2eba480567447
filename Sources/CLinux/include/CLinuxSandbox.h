// C shim for the daemon's sandbox: the system calls Glibc does not wrap (pivot_root, pidfd_open, capget/capset),
// a SIGSYS reporter for seccomp's trap action, and the per-thread "working directory is /proc/self/fd" flag.
// Symbols are named CLinux_<c name>. Return conventions: 0 or a value on success, -errno on failure.
#ifndef CLINUX_SANDBOX_H
#define CLINUX_SANDBOX_H

#include <stdint.h>
#include <sys/types.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <signal.h>

/// pivot_root(2). Returns 0 or -errno.
long CLinux_pivot_root(const char *new_root, const char *put_old);

/// prctl(2) with every argument spelled out (Glibc declares it variadic, which Swift cannot call). Returns the
/// call's result, -1 with errno set on failure.
int CLinux_prctl(int option, unsigned long arg2, unsigned long arg3, unsigned long arg4, unsigned long arg5);

/// mount_setattr(2) setting `attr_set` (MOUNT_ATTR_* flags) on the mount at `path`, and on every mount below it
/// when `recursive`. Returns 0 or -errno.
long CLinux_mount_setattr(const char *path, uint64_t attr_set, int recursive);

/// pidfd_open(2) with no flags. Returns a descriptor or -errno.
long CLinux_pidfd_open(pid_t pid);

/// The calling thread's capability sets as 64-bit masks (capget(2), _LINUX_CAPABILITY_VERSION_3). Returns 0 or
/// -errno.
long CLinux_capget(uint64_t *effective, uint64_t *permitted, uint64_t *inheritable);

/// Sets the calling thread's capability sets (capset(2), _LINUX_CAPABILITY_VERSION_3). Capabilities are per
/// thread: threads started afterwards inherit the caller's sets. Returns 0 or -errno.
long CLinux_capset(uint64_t effective, uint64_t permitted, uint64_t inheritable);

/// Installs a SIGSYS handler for seccomp's SECCOMP_RET_TRAP: it writes one line naming the blocked system call
/// (`vhostfsd: seccomp: blocked system call <name> (<nr>)`) to `report_fd` and, when `extra_fd` >= 0, to that
/// descriptor too, then makes the call return -ENOSYS and lets the thread go on. `names[nr]` (`count` entries, NULL
/// where unknown) are kept, not copied: they must stay valid for the life of the process. Async-signal-safe: the
/// handler only formats into a stack buffer and calls write(2). Returns 0 or -errno.
int CLinux_install_sigsys_reporter(int report_fd, int extra_fd, const char *const *names, int count);

/// Marks whether the calling thread's working directory is the process's /proc/self/fd directory (after it gave
/// itself a private fs_struct with unshare(CLONE_FS) and fchdir'd there). Per thread (_Thread_local).
void CLinux_set_thread_cwd_is_proc_self_fd(int value);

/// Whether `CLinux_set_thread_cwd_is_proc_self_fd(1)` was called on this thread.
int CLinux_thread_cwd_is_proc_self_fd(void);

/// The raw wait status decoded (the W* macros are not imported into Swift).
static inline int CLinux_WIFEXITED(int status) { return WIFEXITED(status); }
static inline int CLinux_WEXITSTATUS(int status) { return WEXITSTATUS(status); }
static inline int CLinux_WIFSIGNALED(int status) { return WIFSIGNALED(status); }
static inline int CLinux_WTERMSIG(int status) { return WTERMSIG(status); }

#endif
