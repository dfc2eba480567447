import Glibc
import LinuxSystem

/// The system calls the daemon makes once it is sandboxed: the seccomp allow-list (`--seccomp`).
///
/// One row per system call, grouped by who makes it; a row may carry argument conditions (then only matching calls
/// are allowed and the others take the filter's default action) or an errno answer instead of "allow". Every other
/// call gets the `--seccomp` action: kill the daemon (default), log it, or trap it (ENOSYS and a line on stderr).
///
/// How the list was found: the whole `swift test` suite (unit, integration over sockets, the vhostfs-bench tests
/// and the QEMU end-to-end suite, which boots real guests against the default, sandboxed daemon) was run with the
/// filter's action forced to `trap` in every daemon the suite starts (debug builds honour
/// `VHOSTFSD_DEBUG_SECCOMP=trap` and append every trapped call to the file named by
/// `VHOSTFSD_DEBUG_SECCOMP_REPORT`), until a run reported nothing. Rows marked "(planned)" are calls of features
/// being added next to this one (file handles, io_uring, the KILLPRIV_V2 capability switch, --rlimit-nofile,
/// xattr calls on descriptors); they are listed now so that merging those features does not get the daemon
/// killed. To extend the list: add a row here, then rerun
///
///     VHOSTFSD_DEBUG_SECCOMP=trap VHOSTFSD_DEBUG_SECCOMP_REPORT=/tmp/trapped.txt swift test
///
/// and check that /tmp/trapped.txt stays empty.
enum SystemCallAllowList {
    /// One allowed system call.
    struct Row: Sendable {
        /// The system call's name, as libseccomp and the kernel's unistd.h spell it.
        let name: String
        /// Who makes it and why.
        let reason: String
        /// Conditions on its arguments, all of which must hold; empty for any arguments.
        let conditions: [SeccompFilter.Condition]
        /// What the filter answers: allow, or an errno without running the call.
        let action: SeccompFilter.Action

        init(_ name: String, _ reason: String, when conditions: [SeccompFilter.Condition] = [],
             answer action: SeccompFilter.Action = .allow) {
            self.name = name
            self.reason = reason
            self.conditions = conditions
            self.action = action
        }
    }

    /// CLONE_THREAD as an unsigned argument value.
    private static let cloneThread = UInt64(CLONE_THREAD)

    /// The table. Keep it grouped; one line per call.
    static let rows: [Row] = [
        // MARK: Memory (Swift runtime, malloc, guest RAM mappings, NUMA placement of reactor state)
        Row("brk", "malloc"),
        Row("mmap", "malloc, thread stacks, guest memory regions (MAP_SHARED of the front-end's memfds)"),
        Row("munmap", "malloc, guest memory regions released on SET_MEM_TABLE and disconnect"),
        Row("mremap", "malloc (realloc of large blocks)"),
        Row("mprotect", "thread stack guard pages, malloc arenas"),
        Row("madvise", "malloc trimming, thread stacks freed at thread exit"),
        Row("mbind", "libnuma: reactor state on the reactor's NUMA node"),
        Row("get_mempolicy", "libnuma"),
        Row("set_mempolicy", "libnuma"),
        Row("membarrier", "Swift runtime"),

        // MARK: Threads, signals and time (reactors, cold-read helpers, the signal thread, glibc, Swift runtime)
        Row("clone", "pthread_create: threads only, never a new process",
            when: [.masked(0, mask: cloneThread, equals: cloneThread)]),
        Row("clone3", "pthread_create tries clone3 first: ENOSYS makes glibc fall back to clone, whose flags the "
            + "filter can check", answer: .errno(ENOSYS)),
        Row("futex", "locks, condition variables, thread joins"),
        Row("set_robust_list", "new threads"),
        Row("rseq", "new threads (glibc registers restartable sequences)"),
        Row("exit", "thread exit"),
        Row("exit_group", "process exit"),
        Row("gettid", "reactor thread checks, logging"),
        Row("getpid", "logging, raise"),
        Row("tgkill", "raise/abort on a fatal error"),
        Row("sched_yield", "spinning reactors"),
        Row("sched_getaffinity", "reactor placement, sysconf(_SC_NPROCESSORS_ONLN) inside the sandbox"),
        Row("sched_setaffinity", "pinning reactors to --reactor-cpus"),
        Row("prctl", "thread names (PR_SET_NAME); (planned) KILLPRIV_V2's per-thread capability switch"),
        Row("capget", "(planned) KILLPRIV_V2: CAP_FSETID dropped around guest writes, per thread"),
        Row("capset", "(planned) KILLPRIV_V2: CAP_FSETID dropped around guest writes, per thread"),
        Row("rt_sigaction", "signal setup"),
        Row("rt_sigprocmask", "signal masks of new threads"),
        Row("rt_sigreturn", "return from a signal handler"),
        Row("rt_sigtimedwait", "the signal thread's sigwait (SIGTERM, SIGINT, SIGHUP, SIGCHLD)"),
        Row("sigaltstack", "Swift runtime and glibc thread setup"),
        Row("restart_syscall", "a sleep interrupted by a stop signal"),
        Row("wait4", "the daemon is PID 1 of its namespace: it reaps any child (there can be none)"),
        Row("clock_gettime", "timestamps, poll timing (usually the vDSO)"),
        Row("clock_nanosleep", "sleeps"),
        Row("nanosleep", "sleeps"),
        Row("gettimeofday", "timestamps (usually the vDSO)"),
        Row("getrandom", "Swift hashing seeds"),
        Row("getrlimit", "glibc"),
        Row("prlimit64", "glibc's getrlimit; (planned) --rlimit-nofile"),
        Row("setrlimit", "(planned) --rlimit-nofile"),

        // MARK: Waiting (reactors, the control thread, the vhost-user server)
        Row("epoll_create1", "reactors' and the server's epoll sets"),
        Row("epoll_ctl", "adding kick, call, aio and message eventfds"),
        Row("epoll_wait", "reactors sleeping between bursts"),
        Row("epoll_pwait", "reactors sleeping between bursts"),
        Row("eventfd2", "reactor mailboxes, aio completions, stop events"),
        Row("poll", "the vhost-user server waits for the socket and the stop event"),
        Row("ppoll", "poll's implementation on newer glibc"),

        // MARK: The vhost-user socket and logging
        Row("accept4", "a front-end connects"),
        Row("accept", "a front-end connects"),
        Row("recvmsg", "vhost-user messages with their descriptors (SCM_RIGHTS)"),
        Row("sendmsg", "vhost-user replies and back-end requests"),
        Row("sendto", "--syslog (glibc's syslog), send(2)"),
        Row("recvfrom", "recv(2)"),
        Row("shutdown", "closing a front-end connection"),
        Row("getsockopt", "socket errors and peer credentials"),
        Row("socket", "glibc's syslog reconnects after syslogd restarts: refused, so the message is dropped "
            + "instead of the daemon", answer: .errno(EACCES)),
        Row("connect", "as socket", answer: .errno(EACCES)),

        // MARK: Descriptors and data (the passthrough device, libaio, cold-read helpers)
        Row("read", "eventfds, files"),
        Row("write", "eventfds, logging to stderr"),
        Row("readv", "files"),
        Row("writev", "logging, files"),
        Row("pread64", "reads"),
        Row("pwrite64", "writes"),
        Row("preadv", "reads into guest memory"),
        Row("pwritev", "writes from guest memory"),
        Row("preadv2", "inline page-cache reads (RWF_NOWAIT)"),
        Row("pwritev2", "writes with flags"),
        Row("lseek", "LSEEK (SEEK_DATA/SEEK_HOLE), directory offsets"),
        Row("close", "everything"),
        Row("close_range", "(glibc) closing descriptor ranges"),
        Row("dup", "duplicating descriptors"),
        Row("dup3", "duplicating descriptors"),
        Row("fcntl", "O_NONBLOCK, F_DUPFD_CLOEXEC, OFD locks (GETLK/SETLK/SETLKW)"),
        Row("ioctl", "isatty on standard error (TCGETS)", when: [.equals(1, UInt64(TCGETS))]),
        Row("flock", "FUSE flock"),
        Row("fsync", "FSYNC"),
        Row("fdatasync", "FSYNC with the datasync flag"),
        Row("syncfs", "SYNCFS"),
        Row("sync_file_range", "writeback hints"),
        Row("fallocate", "FALLOCATE"),
        Row("fadvise64", "read-ahead hints"),
        Row("ftruncate", "SETATTR size through a handle"),
        Row("truncate", "SETATTR size through /proc/self/fd"),
        Row("copy_file_range", "COPY_FILE_RANGE"),
        Row("io_setup", "libaio: one context per channel"),
        Row("io_destroy", "libaio"),
        Row("io_submit", "libaio: reads and writes"),
        Row("io_getevents", "libaio: completions"),
        Row("io_pgetevents", "libaio: completions"),
        Row("io_cancel", "libaio"),
        Row("io_uring_setup", "(planned) the io_uring engine"),
        Row("io_uring_enter", "(planned) the io_uring engine"),
        Row("io_uring_register", "(planned) the io_uring engine"),

        // MARK: Paths (every guest operation on the share)
        Row("openat", "LOOKUP (O_PATH), reopening nodes through /proc/self/fd, CREATE, OPEN"),
        Row("openat2", "resolving below a directory (RESOLVE_BENEATH)"),
        Row("open_by_handle_at", "(planned) nodes kept as file handles"),
        Row("name_to_handle_at", "(planned) nodes kept as file handles"),
        Row("newfstatat", "GETATTR, LOOKUP"),
        Row("fstat", "GETATTR through a handle"),
        Row("statx", "STATX, GETATTR"),
        Row("statfs", "STATFS"),
        Row("fstatfs", "STATFS"),
        Row("getdents64", "READDIR, READDIRPLUS"),
        Row("readlinkat", "READLINK"),
        Row("mkdirat", "MKDIR"),
        Row("mknodat", "MKNOD"),
        Row("symlinkat", "SYMLINK"),
        Row("linkat", "LINK"),
        Row("unlinkat", "UNLINK, RMDIR"),
        Row("renameat", "RENAME"),
        Row("renameat2", "RENAME2 (NOREPLACE, EXCHANGE, WHITEOUT)"),
        Row("fchmod", "SETATTR mode through a handle"),
        Row("fchmodat", "SETATTR mode through /proc/self/fd"),
        Row("fchown", "SETATTR owner through a handle"),
        Row("fchownat", "SETATTR owner (AT_EMPTY_PATH)"),
        Row("utimensat", "SETATTR times"),
        Row("faccessat", "ACCESS"),
        Row("faccessat2", "ACCESS with AT_EACCESS"),
        Row("umask", "creation under the caller's umask (per reactor thread)"),
        Row("fchdir", "reactor threads work from /proc/self/fd (xattr and truncate by /proc path)"),
        Row("getxattr", "GETXATTR by /proc/self/fd path"),
        Row("setxattr", "SETXATTR by /proc/self/fd path"),
        Row("listxattr", "LISTXATTR by /proc/self/fd path"),
        Row("removexattr", "REMOVEXATTR by /proc/self/fd path"),
        Row("fgetxattr", "(planned) xattrs through an open descriptor"),
        Row("fsetxattr", "(planned) xattrs through an open descriptor"),
        Row("flistxattr", "(planned) xattrs through an open descriptor"),
        Row("fremovexattr", "(planned) xattrs through an open descriptor"),
        Row("lgetxattr", "(planned) xattrs of symlinks"),
        Row("llistxattr", "(planned) xattrs of symlinks"),

        // MARK: Credentials (creation as the guest's caller, per thread)
        Row("setresuid", "per-thread effective uid for creation (raw system call)"),
        Row("setresgid", "per-thread effective gid for creation (raw system call)"),
        Row("setgroups", "per-thread supplementary groups for creation (raw system call)"),
        Row("getuid", "credential checks"),
        Row("geteuid", "credential checks"),
        Row("getgid", "credential checks"),
        Row("getegid", "credential checks"),
        Row("getresuid", "credential checks"),
        Row("getresgid", "credential checks"),
        Row("getgroups", "saving a thread's supplementary groups"),
        Row("unshare", "a reactor thread's own umask and working directory: CLONE_FS only",
            when: [.equals(0, UInt64(CLONE_FS))]),
    ]
}
