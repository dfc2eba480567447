import Glibc
import LinuxSystem

/// The system calls the daemon makes once it is sandboxed: the seccomp allow-list (`--seccomp`).
///
/// One row per system call, grouped by who makes it; a row may carry argument conditions (then only matching calls
/// are allowed and the others take the filter's default action) or an errno answer instead of "allow". Every other
/// call gets the `--seccomp` action: kill the daemon (default), log it, or trap it (ENOSYS and a line on stderr).
///
/// How the list was found. (1) The whole `swift test` suite (unit and integration tests, the vhostfs-bench tests,
/// the sandbox tests and the QEMU end-to-end suite booting real guests against the default, sandboxed daemon) ran
/// with every daemon it starts traced (`strace -D -f`, through a wrapper in place of the binary) and the filter
/// forced to `log`, so nothing was stopped; the calls each daemon made after loading its filter are the rows
/// marked "seen". (2) Calls on paths the suite does not reach were added from the code: "code". (3) Calls of
/// features being built next to this one (the io_uring engine, the KILLPRIV_V2 capability switch, xattrs on
/// descriptors) are there already so that merging them does not get the daemon killed: "planned". File handles
/// and the descriptor reserve (issue 9) were checked the same way once merged: a sandboxed daemon traced under
/// vhostfs-bench's workloads, and the suite under `trap`. (4) The suite then ran with the filter forced to `trap` in every daemon and a report file; nothing
/// but the test's own forbidden call was reported. Debug builds honour, for exactly this,
///
///     VHOSTFSD_DEBUG_SECCOMP=trap VHOSTFSD_DEBUG_SECCOMP_REPORT=/tmp/trapped.txt swift test
///
/// which replaces `--seccomp` in every daemon the run starts and appends each blocked call to the file. To extend
/// the list: add a row, run that, and check that the file names only `mount` (the forbidden-call test's).
enum SystemCallAllowList {
    /// One allowed system call.
    struct Row: Sendable {
        /// The system call's name, as libseccomp and the kernel's unistd.h spell it.
        let name: String
        /// Who makes it and why, and how it got here: seen (by the tests), code, planned.
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
        // MARK: Memory (malloc, thread stacks, guest RAM mappings, NUMA placement of reactor state)
        Row("brk", "malloc; code"),
        Row("mmap", "malloc, thread stacks, guest memory regions (the front-end's memfds), anonymous pages over a lost "
            + "page of a shrunk region (MAP_FIXED, in the SIGBUS guard); seen"),
        Row("munmap", "malloc, regions released on SET_MEM_TABLE and disconnect; seen"),
        Row("mremap", "malloc (realloc of large blocks); code"),
        Row("mprotect", "thread stack guard pages, malloc arenas; seen"),
        Row("madvise", "stacks of ended threads; seen"),
        Row("mbind", "libnuma: reactor state on the reactor's node; seen"),
        Row("get_mempolicy", "libnuma; code"),
        Row("set_mempolicy", "libnuma; code"),

        // MARK: Threads, signals and time (reactors, cold-read helpers, the signal thread, glibc)
        Row("clone", "pthread_create: threads only, never a process; seen",
            when: [.masked(0, mask: cloneThread, equals: cloneThread)]),
        Row("clone3", "pthread_create tries it first: ENOSYS makes glibc fall back to clone, whose flags the "
            + "filter can check; seen", answer: .errno(ENOSYS)),
        Row("futex", "locks, condition variables, joins; seen"),
        Row("set_robust_list", "new threads; seen"),
        Row("rseq", "new threads (glibc registers restartable sequences); seen"),
        Row("exit", "thread exit; seen"),
        Row("exit_group", "process exit; seen"),
        Row("gettid", "reactor ownership checks; seen"),
        Row("getpid", "glibc's syslog (LOG_PID), raise/abort; seen"),
        Row("tgkill", "raise/abort on a fatal error; code"),
        Row("sched_getaffinity", "CPU counts inside the sandbox (no /sys); code"),
        Row("sched_setaffinity", "pinning reactors to --reactor-cpus; code"),
        Row("prctl", "thread names (PR_SET_NAME), seen; the KILLPRIV_V2 capability switch, planned"),
        Row("capget", "what the daemon may do, read at start (seen); the KILLPRIV_V2 switch (planned)"),
        Row("rt_sigaction", "glibc's first pthread_create; the guest-memory SIGBUS guard, installed at the first "
            + "SET_MEM_TABLE and handing other faults back to the previous handler; seen"),
        Row("rt_sigprocmask", "signal masks of new threads; seen"),
        Row("rt_sigreturn", "return from the --seccomp=trap handler and from the guest-memory SIGBUS guard; code"),
        Row("rt_sigtimedwait", "the signal thread's sigwait (SIGTERM, SIGINT, SIGHUP, SIGCHLD); seen"),
        Row("restart_syscall", "a sleep interrupted by a signal handler; code"),
        Row("wait4", "the daemon is PID 1 of its namespace and reaps (nothing can end: no processes); code"),
        Row("clock_gettime", "timestamps when the vDSO falls back to the kernel; code"),
        Row("gettimeofday", "timestamps when the vDSO falls back to the kernel; code"),
        Row("clock_nanosleep", "usleep in polling loops; seen"),
        Row("getrandom", "Swift and glibc random seeds; code"),
        Row("prlimit64", "getrlimit (RLIMIT_NOFILE for the descriptor cache's default): reading only, since "
            + "--rlimit-nofile is set before the sandbox; code", when: [.equals(2, 0)]),

        // MARK: Waiting (reactors, the control thread, the vhost-user server)
        Row("epoll_create1", "reactor and server epoll sets; seen"),
        Row("epoll_ctl", "kick, call, aio and message eventfds; seen"),
        Row("epoll_wait", "reactors sleeping between bursts; seen"),
        Row("eventfd2", "reactor mailboxes, aio completions, stop events; seen"),
        Row("poll", "the vhost-user server waits for the socket and the stop event; seen"),

        // MARK: The vhost-user socket and logging
        Row("accept4", "a front-end connects; seen"),
        Row("recvmsg", "vhost-user messages and their descriptors (SCM_RIGHTS); seen"),
        Row("sendmsg", "vhost-user replies and back-end requests; seen"),
        Row("recvfrom", "recv(2); code"),
        Row("sendto", "send(2), --syslog (glibc's syslog); code"),
        Row("shutdown", "refusing a second front-end; code"),
        Row("socket", "glibc's syslog reconnects after syslogd restarts: refused, so the message is dropped "
            + "instead of the daemon; seen", answer: .errno(EACCES)),
        Row("connect", "as socket; code", answer: .errno(EACCES)),

        // MARK: Descriptors and data (the passthrough device, libaio, cold-read helpers)
        Row("read", "eventfds; seen"),
        Row("write", "eventfds, the log on stderr; seen"),
        Row("pread64", "reads without libaio; /proc/loadavg for --poll-mode=auto's contention check; code"),
        Row("pwrite64", "writes without libaio; code"),
        Row("preadv2", "page-cache reads (RWF_NOWAIT) and cold reads on helper threads; seen"),
        Row("pwritev2", "writes of --io-engine=threads, on the reactor or a helper thread; code"),
        Row("lseek", "LSEEK (SEEK_DATA/SEEK_HOLE), directory offsets; seen"),
        Row("close", "seen"),
        Row("dup", "directory streams of READDIR; seen"),
        Row("fcntl", "O_NONBLOCK, F_DUPFD_CLOEXEC (the vhost-user server's descriptor reserve), OFD locks "
            + "(GETLK/SETLK/SETLKW), F_GET_SEALS/F_ADD_SEALS on guest memory; seen"),
        Row("ioctl", "stdio asks whether a stream is a terminal (TCGETS) on its first write; code",
            when: [.equals(1, UInt64(TCGETS))]),
        Row("flock", "FUSE flock; code"),
        Row("fsync", "FSYNC; seen"),
        Row("fdatasync", "FSYNC with the datasync flag; seen"),
        Row("syncfs", "SYNCFS; seen"),
        Row("fallocate", "FALLOCATE; seen"),
        Row("ftruncate", "SETATTR size through a handle; seen"),
        Row("truncate", "SETATTR size by /proc/self/fd name; seen"),
        Row("copy_file_range", "COPY_FILE_RANGE; code"),
        Row("io_setup", "libaio: one context per channel; seen"),
        Row("io_destroy", "libaio; seen"),
        Row("io_submit", "libaio: reads and writes; seen"),
        Row("io_getevents", "libaio: completions (usually read from the ring without a call); code"),
        Row("io_cancel", "libaio; code"),
        Row("io_uring_setup", "--io-engine=io_uring: one ring per channel; code"),
        Row("io_uring_enter", "--io-engine=io_uring: submissions, waiting while a channel drains; code"),
        Row("io_uring_register", "--io-engine=io_uring: the completion eventfd; code"),

        // MARK: Paths (every guest operation on the share)
        Row("openat", "LOOKUP (O_PATH), reopening nodes through /proc/self/fd (also a mount's descriptor for "
            + "open_by_handle_at), CREATE, OPEN; seen"),
        Row("open_by_handle_at", "reopening a node kept as a file handle whose descriptor left the cache; seen"),
        Row("name_to_handle_at", "the file handle and mount id of a looked-up node; seen"),
        Row("newfstatat", "GETATTR, LOOKUP; seen"),
        Row("statx", "mount ids of looked-up nodes (file handles, --announce-submounts), the mode before a "
            + "KILLPRIV_V2 write; seen"),
        Row("fstatfs", "STATFS; seen"),
        Row("getdents64", "READDIR, READDIRPLUS; seen"),
        Row("readlinkat", "READLINK; seen"),
        Row("mkdirat", "MKDIR; seen"),
        Row("mknodat", "MKNOD; seen"),
        Row("symlinkat", "SYMLINK; seen"),
        Row("linkat", "LINK; seen"),
        Row("unlinkat", "UNLINK, RMDIR, the socket at exit without a sandbox; seen"),
        Row("renameat2", "RENAME, RENAME2; seen"),
        Row("fchmod", "SETATTR mode through a handle, KILLPRIV_V2 clearing set-ID bits; seen"),
        Row("fchmodat", "SETATTR mode by /proc/self/fd name; seen"),
        Row("fchownat", "SETATTR owner (AT_EMPTY_PATH); seen"),
        Row("utimensat", "SETATTR times; seen"),
        Row("faccessat2", "ACCESS; seen"),
        Row("faccessat", "ACCESS where the kernel lacks faccessat2 (glibc falls back); code"),
        Row("umask", "creation under the caller's umask, per reactor thread; seen"),
        Row("fchdir", "reactor threads work from /proc/self/fd (xattrs and truncate by name); seen"),
        Row("getxattr", "GETXATTR by /proc/self/fd name; seen"),
        Row("setxattr", "SETXATTR by /proc/self/fd name; seen"),
        Row("listxattr", "LISTXATTR by /proc/self/fd name; seen"),
        Row("removexattr", "REMOVEXATTR by /proc/self/fd name; seen"),
        Row("fgetxattr", "xattrs through an open descriptor; planned"),
        Row("fsetxattr", "xattrs through an open descriptor; planned"),
        Row("flistxattr", "xattrs through an open descriptor; planned"),
        Row("fremovexattr", "xattrs through an open descriptor; planned"),

        // MARK: Credentials (creation as the guest's caller, per thread)
        Row("setresuid", "per-thread effective uid for creation (raw system call); seen"),
        Row("setresgid", "per-thread effective gid for creation (raw system call); seen"),
        Row("setgroups", "per-thread supplementary groups for creation (raw system call); seen"),
        Row("geteuid", "credential switching; seen"),
        Row("getegid", "credential switching; seen"),
        Row("getgroups", "saving a thread's supplementary groups; seen"),
        Row("unshare", "a reactor thread's own umask and working directory: CLONE_FS only; seen",
            when: [.equals(0, UInt64(CLONE_FS))]),
    ]
}
