import Logging

extension DaemonConfiguration {
    /// Where the daemon accepts its vhost-user front-end (QEMU docs/interop/vhost-user.rst, "Backend program
    /// conventions": a backend takes either `--socket-path` or `--fd`).
    public enum Listen: Sendable, Hashable, CustomStringConvertible {
        /// Create a Unix socket at this path, listen on it, and accept front-ends one at a time (`--socket-path`).
        case socketPath(String)
        /// Accept on an already listening Unix socket inherited from the parent process (`--fd`), as libvirt
        /// passes it.
        case inheritedFD(CInt)

        public var description: String {
            switch self {
            case .socketPath(let path): "socket \(path)"
            case .inheritedFD(let fd): "inherited socket fd \(fd)"
            }
        }
    }

    /// How long the guest may cache names, attributes and file data (virtiofsd's `--cache`).
    public enum CachePolicy: String, Sendable, Hashable, CaseIterable {
        /// Entries and attributes time out after 1 s; file data stays cached while the file is unchanged.
        case auto
        /// Entries, attributes and data are cached for a day (86400 s): for directories only this guest changes.
        case always
        /// Nothing is cached: zero timeouts and direct I/O on open. Also disables READDIRPLUS, as virtiofsd does.
        case never
        /// Entries and attributes are cached for a day; file data is not cached (direct I/O).
        case metadata

        /// Parses a policy name; `none` is accepted for `never`, as the C virtiofsd and libvirt's `-o cache=none`
        /// spell it.
        static func parse(_ text: String) -> CachePolicy? {
            text == "none" ? .never : CachePolicy(rawValue: text)
        }
    }

    /// How reactors wait for work (`--poll-mode`).
    ///
    /// Measured on these machines: a thread blocked in epoll takes about 25 us to wake on an eventfd, while a
    /// spinning thread sees a guest's ring update in about 0.06 us.
    public enum PollMode: String, Sendable, Hashable, CaseIterable {
        /// Spin forever: the lowest latency, one full CPU per reactor even when idle.
        case busy
        /// Spin for `pollMicroseconds` after the last work, then sleep in epoll on the kick, aio and message
        /// eventfds: busy-poll latency under load, idle CPU given back.
        case adaptive
        /// Always sleep in epoll between batches: no CPU when idle, about 25 us more per request when idle.
        case interrupt
        /// Spin for a self-tuning window of at most `pollMicroseconds` after the last work (it grows while spinning
        /// finds work and shrinks when it does not, as KVM's halt polling), and not at all while more threads are
        /// runnable than there are CPUs; then sleep as `interrupt` does.
        case auto
    }

    /// How writes, and reads the page cache cannot serve, are done (`--io-engine`).
    public enum IOEngine: String, Sendable, Hashable, CaseIterable {
        /// libaio: a write is one io_submit on the reactor, which copies into the page cache inside the call (so
        /// one reactor's writes use one core); cold reads go to helper threads.
        case libaio
        /// Helper threads: a write alone runs on the reactor (pwritev), a burst is spread over the reactor and
        /// its helper threads; cold reads go to the helpers.
        case threads
        /// io_uring: writes and cold reads are submitted to a ring; the kernel runs those that would block on its
        /// worker threads.
        case ioUring = "io_uring"
    }

    /// The least severe log messages printed (`--log-level`).
    public enum LogLevel: String, Sendable, Hashable, CaseIterable {
        /// Nothing is logged.
        case off
        /// Errors only (virtiofsd also accepts `err`).
        case error
        /// Warnings and errors (virtiofsd also accepts `warning`).
        case warn
        /// Start-up, connections and lifecycle (the default).
        case info
        /// Per-message protocol detail.
        case debug
        /// Per-request detail: very verbose.
        case trace

        /// Parses a level name, case-insensitively, with virtiofsd's aliases `err` and `warning`.
        static func parse(_ text: String) -> LogLevel? {
            switch text.lowercased() {
            case "err": .error
            case "warning": .warn
            case let other: LogLevel(rawValue: other)
            }
        }

        /// The swift-log level, or nil for `off`.
        public var loggerLevel: Logger.Level? {
            switch self {
            case .off: nil
            case .error: .error
            case .warn: .warning
            case .info: .info
            case .debug: .debug
            case .trace: .trace
            }
        }
    }

    /// Where log lines go.
    public enum LogDestination: String, Sendable, Hashable, CaseIterable {
        /// One line per message on standard error, with a UTC timestamp (the default).
        case standardError = "stderr"
        /// The system log, facility LOG_DAEMON, ident `vhostfsd` (`--syslog`, as Kata Containers passes it).
        case syslog
    }

    /// The process sandbox the daemon enters before it serves (`--sandbox`, virtiofsd's values and meaning).
    ///
    /// The sandbox is the second wall: the first is the passthrough device's own path discipline (every path
    /// operation relative to an O_PATH descriptor inside the share, one validated component at a time,
    /// O_NOFOLLOW). If the requested sandbox cannot be entered the daemon stops with one line and exit status 1; it
    /// never falls back to a weaker one.
    public enum Sandbox: String, Sendable, Hashable, CaseIterable {
        /// No sandbox.
        case none
        /// chroot into the shared directory: the fallback where namespaces are not allowed. Weaker: a compromised
        /// daemon keeps a descriptor of /proc/self/fd, a way out of a chroot.
        case chroot
        /// New mount, PID, network and IPC namespaces; the shared directory bind-mounted and made the root with
        /// pivot_root; every other mount detached; /proc only as one descriptor of /proc/self/fd (the default).
        case namespace
    }

    /// How nodes the guest looks up are held (`--inode-file-handles`, virtiofsd's option and values).
    public enum InodeFileHandles: String, Sendable, Hashable, CaseIterable {
        /// An O_PATH descriptor per node for as long as the guest knows it: the guest can know at most as many files
        /// as RLIMIT_NOFILE allows.
        case never
        /// File handles, reopened on demand; O_PATH descriptors only as a bounded cache (`--fd-cache`). Nodes on a
        /// filesystem that exports no handles, or every node when CAP_DAC_READ_SEARCH is missing, hold a
        /// descriptor instead (with a warning at start). The default.
        case prefer
        /// File handles only: a shared directory whose filesystem exports none, or a process without
        /// CAP_DAC_READ_SEARCH, is an error at start; a lookup on a submount without handles fails (EOPNOTSUPP).
        case mandatory

        /// Parses a mode; `fallback` is virtiofsd's deprecated alias for `prefer`.
        static func parse(_ text: String) -> InodeFileHandles? {
            text == "fallback" ? .prefer : InodeFileHandles(rawValue: text)
        }
    }

    /// What to do with RLIMIT_NOFILE at start (`--rlimit-nofile`).
    public enum DescriptorLimit: Sendable, Hashable, CustomStringConvertible {
        /// Raise the soft limit to the hard limit (the default).
        case hardLimit
        /// Leave both limits as inherited (`--rlimit-nofile=0`).
        case unchanged
        /// Set the soft limit to this, raising the hard limit too when it is lower (with CAP_SYS_RESOURCE).
        case exactly(UInt64)

        public var description: String {
            switch self {
            case .hardLimit: "raised to the hard limit"
            case .unchanged: "unchanged"
            case .exactly(let n): "\(n)"
            }
        }
    }
}
