import FSDevAIO

/// A validated configuration of the daemon: what to share, how to listen, and how to serve.
///
/// Build one from the command line with `DaemonCommandLine.parse(_:)`, or in code with
/// `init(listen:sharedDirectory:...)`, which applies the same checks and throws the same one-line errors (naming
/// the long option of the field at fault). Every stored value is valid once the initializer returns: the shared
/// directory exists and is an absolute real path, numbers are in range, reactor CPUs are available to this process.
public struct DaemonConfiguration: Sendable, Hashable {
    // MARK: - Limits and defaults

    /// Longest tag in bytes: the virtio-fs config space's `tag` field is 36 bytes (virtio 1.2 §5.11.4).
    public static let maximumTagLength = 36
    /// Allowed number of request queues (the hiprio queue is extra).
    public static let queueCountRange = 1...64
    /// Allowed maximum queue sizes; the size must also be a power of two (virtio 1.2 §2.7).
    public static let queueSizeRange = 64...32768
    /// The default maximum queue size.
    public static let defaultQueueSize = 1024
    /// Allowed FUSE max_write values in bytes; the value must also be a multiple of `maxWriteGranularity`.
    public static let maxWriteRange = 4096...(16 << 20)
    /// max_write is a whole number of pages, so that FUSE's max_pages is exact.
    public static let maxWriteGranularity = 4096
    /// The default FUSE max_write: 1 MiB.
    public static let defaultMaxWrite = 1 << 20
    /// Allowed poll windows (auto) and spin times (adaptive) in microseconds.
    public static let pollMicrosecondsRange = 0...1_000_000
    /// The default poll window (auto: the largest it grows to; adaptive: the fixed spin), in microseconds: KVM's
    /// default halt_poll_ns on x86.
    public static let defaultPollMicroseconds = 200
    /// The default poll mode (measured against the others under 0, 1 and 2 CPU hogs, BENCHMARKS.md).
    public static let defaultPollMode = PollMode.auto
    /// The default I/O engine (measured against libaio and io_uring, BENCHMARKS.md).
    public static let defaultIOEngine = IOEngine.threads
    /// Allowed `--fd-cache` sizes.
    public static let descriptorCacheRange = 0...(1 << 20)
    /// Allowed `--rlimit-nofile` values other than 0: the daemon needs a few dozen descriptors for itself, and the
    /// kernel allows at most this many (the ceiling of fs.nr_open).
    public static let descriptorLimitRange: ClosedRange<UInt64> = 64...1_073_741_816

    // MARK: - Fields

    /// Where the vhost-user front-end connects. Required: `--socket-path` or `--fd`.
    public let listen: Listen
    /// The directory shared with the guest, as an absolute path with no symlinks, `.` or `..` (realpath(3)).
    /// Required: `--shared-dir` or `-o source=`.
    public let sharedDirectory: String
    /// The tag in the device's config space, which the guest names in `mount -t virtiofs TAG`: 1 to 36 bytes, no
    /// NUL. Default nil: the front-end sets the tag (QEMU's `tag=`), and the configuration space is not offered
    /// (no VHOST_USER_PROTOCOL_F_CONFIG, which QEMU warns about), as virtiofsd does without `--tag`.
    public let tag: String?
    /// Guest caching policy. Default `.auto`.
    public let cache: CachePolicy
    /// Offer FUSE_WRITEBACK_CACHE: the guest page cache buffers writes. Default off.
    public let writeback: Bool
    /// Serve extended attributes (getxattr, setxattr, listxattr, removexattr). Default off, as in virtiofsd.
    public let xattr: Bool
    /// Refuse every modifying operation with EROFS. Default off.
    public let readOnly: Bool
    /// Serve reads that hit the host page cache in place with preadv2(RWF_NOWAIT) and hand the rest to libaio
    /// (measured 2.1x the 4 KiB QD32 throughput of libaio alone, BENCHMARKS.md). Default on; `--no-inline-reads`.
    public let inlineReads: Bool
    /// How writes (and reads the page cache cannot serve) are done. Default `defaultIOEngine`.
    public let ioEngine: IOEngine
    /// Serve POSIX record locks (GETLK/SETLK/SETLKW through OFD locks) instead of leaving them local to the guest.
    /// Default off, as in virtiofsd (`-o posix_lock` / `no_posix_lock`).
    public let posixLocks: Bool
    /// Serve flock(2) locks on the host instead of leaving them local to the guest. Default off, as in virtiofsd
    /// (`-o flock` / `no_flock`).
    public let flock: Bool
    /// Offer READDIRPLUS. Default on; always off with `cache == .never`, as in virtiofsd.
    public let readdirplus: Bool
    /// Mark directories that are mount points on the host as submounts (FUSE_SUBMOUNTS), so the guest gives
    /// them their own st_dev. Default off.
    public let announceSubmounts: Bool
    /// Offer FUSE_HANDLE_KILLPRIV_V2, so that a write, truncate, chown or O_TRUNC open by a guest user without
    /// CAP_FSETID clears set-user-ID and set-group-ID bits (the daemon writes as root: the host kernel would keep
    /// them). Default on, unlike virtiofsd: without it a guest mounting with `--cache=never` (direct I/O) never
    /// clears them at all. `--no-killpriv-v2` leaves it to the guest kernel.
    public let killprivV2: Bool
    /// How xattr names map between guest and host (`--xattrmap`, virtiofsd's syntax); nil: the default policy
    /// (`ExtendedAttributeMap.defaultPolicy`: `security.*` but `security.selinux`, and `trusted.*`, are
    /// unsupported). A map turns `xattr` on, as in virtiofsd.
    public let xattrMap: ExtendedAttributeMap?
    /// CPUs to run reactors on, one reactor per CPU, in this order (`--reactor-cpus=0,1,4-6`). Each is an online
    /// CPU in this process's affinity, listed once. Nil (the default) means one reactor, left unpinned when only
    /// one CPU is online.
    public let reactorCPUs: [Int]?
    /// How reactors wait for work. Default `.auto`.
    public let pollMode: PollMode
    /// With `.auto`, the largest spin window; with `.adaptive`, how long a reactor keeps spinning after its last
    /// work before it sleeps; in microseconds (0...1_000_000). Ignored by the other modes. Default 200.
    public let pollMicroseconds: Int
    /// Number of request queues the device offers (1...64); the hiprio queue comes in addition. Default 1.
    public let queues: Int
    /// Largest queue size the device accepts: a power of two in 64...32768. Default 1024.
    public let queueSize: Int
    /// FUSE max_write in bytes: a multiple of 4096 in 4 KiB...16 MiB. Default 1 MiB.
    public let maxWrite: Int
    /// The least severe log messages printed. Default `.info`.
    public let logLevel: LogLevel
    /// Where log lines go. Default `.standardError`.
    public let logDestination: LogDestination
    /// virtiofsd's `--thread-pool-size`: accepted for compatibility and unused, because requests run on the
    /// reactors and never on a thread pool. Any non-negative value. Default 0.
    public let threadPoolSize: Int
    /// The sandbox the daemon enters before it serves (see `Sandbox`). Default `.namespace`, as in virtiofsd.
    public let sandbox: Sandbox
    /// How nodes are held: file handles or O_PATH descriptors. Default `.prefer`.
    public let inodeFileHandles: InodeFileHandles
    /// With file handles, the most O_PATH descriptors of nodes kept open (0...1048576); nil (the default) sizes
    /// it from RLIMIT_NOFILE once the daemon has set it: half the soft limit, 64 to 65536.
    public let descriptorCache: Int?
    /// What the daemon does with RLIMIT_NOFILE at start. Default `.hardLimit`.
    public let descriptorLimit: DescriptorLimit
    /// What the seccomp filter does with a system call outside the allow-list. Default `.kill`, as in virtiofsd.
    public let seccomp: SeccompMode
    /// Changes to the capabilities the daemon keeps (`--modcaps`). Default none.
    public let capabilityChanges: CapabilityChanges
    /// The group owning the created socket, whose mode is 0660 (`--socket-group`); nil for the daemon's own group.
    public let socketGroup: SocketGroup?
    #if DEBUG
    /// Test switches of debug builds (hidden `--debug-*` options).
    public var debug = DebugOptions()
    #endif
    /// uid/gid translation between guest and host (`--translate-uid`/`--translate-gid`, `--uid-map`/`--gid-map`).
    /// Default: none, ids cross unchanged.
    public let idTranslation: IDTranslationSettings
    /// Honour the guest's O_DIRECT on the host (`--allow-direct-io`). Default off: the host page cache serves it.
    public let allowDirectIO: Bool
    /// Pass the guest's O_NOATIME to the host (`--preserve-noatime`). Default off: stripped, as in virtiofsd.
    public let preserveNoatime: Bool
    /// Offer FUSE_DIRECT_IO_ALLOW_MMAP, so that files opened with direct I/O (`--cache=never|metadata`) can be
    /// mmapped shared by the guest (`--allow-mmap`; guest Linux 6.6+). Default off.
    public let allowMmap: Bool
    /// Serve POSIX ACLs (`--posix-acl`): FUSE_POSIX_ACL with DONT_MASK and SETXATTR_EXT. Implies `xattr`. Default
    /// off.
    public let posixACL: Bool

    /// The number of reactors the daemon runs: one per reactor CPU, or one when `reactorCPUs` is nil.
    public var reactorCount: Int { reactorCPUs?.count ?? 1 }

    // MARK: - Initializer

    /// Validates and creates a configuration.
    ///
    /// - Parameters:
    ///   - listen: where the front-end connects; a socket path must fit a Unix socket address and its directory
    ///     must exist (an existing file there must be a socket, which is replaced); an fd must be an open socket.
    ///   - sharedDirectory: an existing directory; stored resolved to its absolute real path.
    ///   - allowedCPUs: the CPUs `reactorCPUs` may name; nil means this process's affinity (sched_getaffinity).
    ///   - The other parameters are the fields of the same name.
    /// - Throws: `DaemonConfigurationError` naming the long option of the first invalid field.
    public init(
        listen: Listen,
        sharedDirectory: String,
        tag: String? = nil,
        cache: CachePolicy = .auto,
        writeback: Bool = false,
        xattr: Bool = false,
        readOnly: Bool = false,
        inlineReads: Bool = true,
        ioEngine: IOEngine = DaemonConfiguration.defaultIOEngine,
        posixLocks: Bool = false,
        flock: Bool = false,
        readdirplus: Bool = true,
        announceSubmounts: Bool = false,
        killprivV2: Bool = true,
        xattrMap: ExtendedAttributeMap? = nil,
        reactorCPUs: [Int]? = nil,
        pollMode: PollMode = DaemonConfiguration.defaultPollMode,
        pollMicroseconds: Int = DaemonConfiguration.defaultPollMicroseconds,
        queues: Int = 1,
        queueSize: Int = DaemonConfiguration.defaultQueueSize,
        maxWrite: Int = DaemonConfiguration.defaultMaxWrite,
        logLevel: LogLevel = .info,
        logDestination: LogDestination = .standardError,
        threadPoolSize: Int = 0,
        sandbox: Sandbox = .namespace,
        seccomp: SeccompMode = .kill,
        capabilityChanges: CapabilityChanges = CapabilityChanges(),
        socketGroup: SocketGroup? = nil,
        idTranslation: IDTranslationSettings = .none,
        allowDirectIO: Bool = false,
        preserveNoatime: Bool = false,
        allowMmap: Bool = false,
        posixACL: Bool = false,
        inodeFileHandles: InodeFileHandles = .prefer,
        descriptorCache: Int? = nil,
        descriptorLimit: DescriptorLimit = .hardLimit,
        allowedCPUs: [Int]? = nil
    ) throws(DaemonConfigurationError) {
        try Self.validateListen(listen)
        self.listen = listen
        self.sharedDirectory = try Self.resolveSharedDirectory(sharedDirectory, option: "--shared-dir")
        if let tag { try Self.validateTag(tag, option: "--tag") }
        self.tag = tag
        self.cache = cache
        self.writeback = writeback
        self.xattr = xattr || posixACL || xattrMap != nil
        self.readOnly = readOnly
        self.inlineReads = inlineReads
        self.ioEngine = ioEngine
        self.posixLocks = posixLocks
        self.flock = flock
        self.readdirplus = readdirplus && cache != .never
        self.announceSubmounts = announceSubmounts
        self.killprivV2 = killprivV2
        self.xattrMap = xattrMap
        try Self.validatePollMicroseconds(pollMicroseconds, option: "--poll-us")
        self.pollMode = pollMode
        self.pollMicroseconds = pollMicroseconds
        try Self.validateQueues(queues, option: "--queues")
        self.queues = queues
        try Self.validateQueueSize(queueSize, option: "--queue-size")
        self.queueSize = queueSize
        try Self.validateMaxWrite(maxWrite, option: "--max-write")
        self.maxWrite = maxWrite
        if let reactorCPUs {
            try Self.validateReactorCPUs(
                reactorCPUs, allowed: allowedCPUs ?? CPUList.affinity(), queues: queues, option: "--reactor-cpus")
        }
        self.reactorCPUs = reactorCPUs
        self.logLevel = logLevel
        self.logDestination = logDestination
        try Self.validateThreadPoolSize(threadPoolSize, option: "--thread-pool-size")
        self.threadPoolSize = threadPoolSize
        self.sandbox = sandbox
        self.inodeFileHandles = inodeFileHandles
        if let descriptorCache { try Self.validateDescriptorCache(descriptorCache, option: "--fd-cache") }
        self.descriptorCache = descriptorCache
        try Self.validateDescriptorLimit(descriptorLimit, option: "--rlimit-nofile")
        self.descriptorLimit = descriptorLimit
        self.seccomp = seccomp
        self.capabilityChanges = capabilityChanges
        try Self.validateSocketGroup(socketGroup, listen: listen)
        self.socketGroup = socketGroup
        try idTranslation.validate()
        self.idTranslation = idTranslation
        self.allowDirectIO = allowDirectIO
        self.preserveNoatime = preserveNoatime
        self.allowMmap = allowMmap
        self.posixACL = posixACL
    }
}
