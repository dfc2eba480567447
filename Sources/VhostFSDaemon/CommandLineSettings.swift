import FSDevAIO

/// Turns the parsed command line into a `DaemonConfiguration`: values parsed with the option's spelling in every
/// message, long options first, then the legacy `-o` options in order, conflicts refused.
struct CommandLineSettings {
    private var socketPath = CommandLineSetting<String>()
    private var fd = CommandLineSetting<CInt>()
    private var sharedDirectory = CommandLineSetting<String>()
    private var tag = CommandLineSetting<String>()
    private var cache = CommandLineSetting<DaemonConfiguration.CachePolicy>()
    private var writeback = CommandLineSetting<Bool>()
    private var xattr = CommandLineSetting<Bool>()
    private var readOnly = CommandLineSetting<Bool>()
    private var inlineReads = CommandLineSetting<Bool>()
    private var ioEngine = CommandLineSetting<DaemonConfiguration.IOEngine>()
    private var posixLocks = CommandLineSetting<Bool>()
    private var flock = CommandLineSetting<Bool>()
    private var readdirplus = CommandLineSetting<Bool>()
    private var announceSubmounts = CommandLineSetting<Bool>()
    private var queues = CommandLineSetting<Int>()
    private var queueSize = CommandLineSetting<Int>()
    private var maxWrite = CommandLineSetting<Int>()
    private var reactorCPUs = CommandLineSetting<[Int]>()
    private var pollMode = CommandLineSetting<DaemonConfiguration.PollMode>()
    private var pollMicroseconds = CommandLineSetting<Int>()
    private var logLevel = CommandLineSetting<DaemonConfiguration.LogLevel>()
    private var logDestination = CommandLineSetting<DaemonConfiguration.LogDestination>()
    private var threadPoolSize = CommandLineSetting<Int>()
    private var sandbox = CommandLineSetting<DaemonConfiguration.Sandbox>()
    private var inodeFileHandles = CommandLineSetting<DaemonConfiguration.InodeFileHandles>()
    private var descriptorCache = CommandLineSetting<Int>()
    private var descriptorLimit = CommandLineSetting<DaemonConfiguration.DescriptorLimit>()
    private var seccomp = CommandLineSetting<DaemonConfiguration.SeccompMode>()
    private var capabilityChanges = CommandLineSetting<DaemonConfiguration.CapabilityChanges>()
    private var socketGroup = CommandLineSetting<DaemonConfiguration.SocketGroup>()
    #if DEBUG
    private var debug = DaemonConfiguration.DebugOptions()
    #endif
    private var idTranslation = IDTranslationSettings.none
    private var allowDirectIO = CommandLineSetting<Bool>()
    private var preserveNoatime = CommandLineSetting<Bool>()
    private var allowMmap = CommandLineSetting<Bool>()
    private var posixACL = CommandLineSetting<Bool>()
    private var killprivV2 = CommandLineSetting<Bool>()
    private var xattrMap = CommandLineSetting<ExtendedAttributeMap>()

    /// Collects the settings of `arguments`, checking each value on its own (ranges, formats, the shared
    /// directory's existence) so that a bad value is reported before a missing required option.
    ///
    /// - Throws: `DaemonConfigurationError` for the first bad value or conflict.
    init(_ arguments: DaemonArguments) throws(DaemonConfigurationError) {
        try applyLongOptions(arguments)
        for group in arguments.compatOptions {
            for option in try CompatOptionList.split(group) {
                try applyCompatOption(option)
            }
        }
    }

    /// Validates the collected settings as a whole and builds the configuration.
    ///
    /// - Parameters:
    ///   - allowedCPUs: the CPUs `--reactor-cpus` may name; nil for this process's affinity.
    ///   - activatedSocket: a listening socket systemd passed (`SocketActivation`), served when neither
    ///     `--socket-path` nor `--fd` is given.
    func configuration(allowedCPUs: [Int]?, activatedSocket: CInt? = nil) throws(DaemonConfigurationError)
        -> DaemonConfiguration
    {
        let listen: DaemonConfiguration.Listen
        switch (socketPath.value, socketPath.spelling, fd.value) {
        case (let path?, let spelling?, nil):
            try DaemonConfiguration.validateSocketPath(path, option: spelling)
            listen = .socketPath(path)
        case (nil, _, let descriptor?):
            try DaemonConfiguration.validateInheritedFD(descriptor, option: "--fd")
            listen = .inheritedFD(descriptor)
        case (.some, let spelling, .some):
            throw DaemonConfigurationError("\(spelling ?? "--socket-path") and --fd are mutually exclusive")
        default:
            guard let activatedSocket else {
                throw DaemonConfigurationError("one of --socket-path or --fd is required")
            }
            try DaemonConfiguration.validateInheritedFD(activatedSocket, option: "socket activation (LISTEN_FDS)")
            listen = .inheritedFD(activatedSocket)
        }
        guard let shared = sharedDirectory.value else {
            throw DaemonConfigurationError("one of --shared-dir or -o source is required")
        }
        if let mapSpelling = xattrMap.spelling, xattr.value == false, let spelling = xattr.spelling {
            throw DaemonConfigurationError("\(mapSpelling) conflicts with \(spelling): a map needs extended attributes")
        }
        let mode = pollMode.value ?? DaemonConfiguration.defaultPollMode
        if let spelling = pollMicroseconds.spelling, mode != .adaptive && mode != .auto {
            throw DaemonConfigurationError(
                "\(spelling) applies only to --poll-mode=auto or adaptive, not --poll-mode=\(mode.rawValue)")
        }
        var configuration = try DaemonConfiguration(
            listen: listen,
            sharedDirectory: shared,
            tag: tag.value,
            cache: cache.value ?? .auto,
            writeback: writeback.value ?? false,
            xattr: xattr.value ?? false,
            readOnly: readOnly.value ?? false,
            inlineReads: inlineReads.value ?? true,
            ioEngine: ioEngine.value ?? DaemonConfiguration.defaultIOEngine,
            posixLocks: posixLocks.value ?? false,
            flock: flock.value ?? false,
            readdirplus: readdirplus.value ?? true,
            announceSubmounts: announceSubmounts.value ?? false,
            killprivV2: killprivV2.value ?? true,
            xattrMap: xattrMap.value,
            reactorCPUs: reactorCPUs.value,
            pollMode: mode,
            pollMicroseconds: pollMicroseconds.value ?? DaemonConfiguration.defaultPollMicroseconds,
            queues: queues.value ?? 1,
            queueSize: queueSize.value ?? DaemonConfiguration.defaultQueueSize,
            maxWrite: maxWrite.value ?? DaemonConfiguration.defaultMaxWrite,
            logLevel: logLevel.value ?? .info,
            logDestination: logDestination.value ?? .standardError,
            threadPoolSize: threadPoolSize.value ?? 0,
            sandbox: sandbox.value ?? .namespace,
            seccomp: seccomp.value ?? .kill,
            capabilityChanges: capabilityChanges.value ?? DaemonConfiguration.CapabilityChanges(),
            socketGroup: socketGroup.value,
            idTranslation: idTranslation,
            allowDirectIO: allowDirectIO.value ?? false,
            preserveNoatime: preserveNoatime.value ?? false,
            allowMmap: allowMmap.value ?? false,
            posixACL: posixACL.value ?? false,
            inodeFileHandles: inodeFileHandles.value ?? .prefer,
            descriptorCache: descriptorCache.value,
            descriptorLimit: descriptorLimit.value ?? .hardLimit,
            allowedCPUs: allowedCPUs
        )
        #if DEBUG
        configuration.debug = debug
        #endif
        return configuration
    }

    // MARK: - Long options

    private mutating func applyLongOptions(_ a: DaemonArguments) throws(DaemonConfigurationError) {
        let valued: [(String, String?)] = [
            ("--socket-path", a.socketPath), ("--socket", a.socket), ("--fd", a.fd), ("--shared-dir", a.sharedDir),
            ("--tag", a.tag), ("--cache", a.cache), ("--queues", a.queues), ("--queue-size", a.queueSize),
            ("--max-write", a.maxWrite), ("--reactor-cpus", a.reactorCPUs), ("--poll-mode", a.pollMode),
            ("--poll-us", a.pollMicroseconds), ("--log-level", a.logLevel), ("--thread-pool-size", a.threadPoolSize),
            ("--sandbox", a.sandbox), ("--seccomp", a.seccomp), ("--modcaps", a.modcaps),
            ("--socket-group", a.socketGroup), ("--xattrmap", a.xattrmap), ("--io-engine", a.ioEngine),
            ("--inode-file-handles", a.inodeFileHandles), ("--fd-cache", a.fdCache),
            ("--rlimit-nofile", a.rlimitNofile),
        ]
        for case (let option, let value?) in valued where value.isEmpty {
            throw .option(option, "empty value")
        }
        if let path = a.socketPath { try socketPath.set(path, by: "--socket-path") }
        if let path = a.socket { try socketPath.set(path, by: "--socket") }
        if let text = a.fd { try fd.set(try Self.descriptor(text, option: "--fd"), by: "--fd") }
        if let path = a.sharedDir { try setSharedDirectory(path, by: "--shared-dir") }
        if let text = a.tag {
            try DaemonConfiguration.validateTag(text, option: "--tag")
            try tag.set(text, by: "--tag")
        }
        if let text = a.cache { try cache.set(try Self.cachePolicy(text, option: "--cache"), by: "--cache") }
        if a.writeback { try writeback.set(true, by: "--writeback") }
        if a.xattr { try xattr.set(true, by: "--xattr") }
        if a.noXattr { try xattr.set(false, by: "--no-xattr") }
        if a.readonly { try readOnly.set(true, by: "--readonly") }
        if a.killprivV2 { try killprivV2.set(true, by: "--killpriv-v2") }
        if a.noKillprivV2 { try killprivV2.set(false, by: "--no-killpriv-v2") }
        if let text = a.xattrmap { try xattrMap.set(try Self.xattrMap(text, option: "--xattrmap"), by: "--xattrmap") }
        if a.noInlineReads { try inlineReads.set(false, by: "--no-inline-reads") }
        if let text = a.ioEngine {
            guard let engine = DaemonConfiguration.IOEngine(rawValue: text) else {
                throw .option("--io-engine", "\(text) is not one of "
                    + DaemonConfiguration.IOEngine.allCases.map(\.rawValue).joined(separator: ", "))
            }
            try ioEngine.set(engine, by: "--io-engine")
        }
        if a.posixLock { try posixLocks.set(true, by: "--posix-lock") }
        if a.noPosixLock { try posixLocks.set(false, by: "--no-posix-lock") }
        if a.flock { try flock.set(true, by: "--flock") }
        if a.noFlock { try flock.set(false, by: "--no-flock") }
        if a.noReaddirplus { try readdirplus.set(false, by: "--no-readdirplus") }
        if a.announceSubmounts { try announceSubmounts.set(true, by: "--announce-submounts") }
        if a.noAnnounceSubmounts { try announceSubmounts.set(false, by: "--no-announce-submounts") }
        if let text = a.queues {
            let value = try Self.integer(text, option: "--queues")
            try DaemonConfiguration.validateQueues(value, option: "--queues")
            try queues.set(value, by: "--queues")
        }
        if let text = a.queueSize {
            let value = try Self.integer(text, option: "--queue-size")
            try DaemonConfiguration.validateQueueSize(value, option: "--queue-size")
            try queueSize.set(value, by: "--queue-size")
        }
        if let text = a.maxWrite {
            let value = try ByteCount.parse(text, option: "--max-write")
            try DaemonConfiguration.validateMaxWrite(value, option: "--max-write", as: text)
            try maxWrite.set(value, by: "--max-write")
        }
        if let text = a.reactorCPUs {
            try reactorCPUs.set(try CPUList.parse(text, option: "--reactor-cpus"), by: "--reactor-cpus")
        }
        if let text = a.pollMode {
            guard let mode = DaemonConfiguration.PollMode(rawValue: text) else {
                throw .option("--poll-mode", "\(text) is not one of auto, busy, adaptive, interrupt")
            }
            try pollMode.set(mode, by: "--poll-mode")
        }
        if let text = a.pollMicroseconds {
            let value = try Self.integer(text, option: "--poll-us")
            try DaemonConfiguration.validatePollMicroseconds(value, option: "--poll-us")
            try pollMicroseconds.set(value, by: "--poll-us")
        }
        if let text = a.logLevel { try logLevel.set(try Self.logLevel(text, option: "--log-level"), by: "--log-level") }
        if a.debug { try logLevel.set(.debug, by: "-d") }
        if a.syslog { try logDestination.set(.syslog, by: "--syslog") }
        if let text = a.threadPoolSize {
            let value = try Self.integer(text, option: "--thread-pool-size")
            try DaemonConfiguration.validateThreadPoolSize(value, option: "--thread-pool-size")
            try threadPoolSize.set(value, by: "--thread-pool-size")
        }
        if let text = a.sandbox { try sandbox.set(try Self.sandbox(text, option: "--sandbox"), by: "--sandbox") }
        if let text = a.inodeFileHandles {
            guard let mode = DaemonConfiguration.InodeFileHandles.parse(text) else {
                throw .option("--inode-file-handles", "\(text) is not one of never, prefer, mandatory")
            }
            try inodeFileHandles.set(mode, by: "--inode-file-handles")
        }
        if let text = a.fdCache {
            let value = try Self.integer(text, option: "--fd-cache")
            try DaemonConfiguration.validateDescriptorCache(value, option: "--fd-cache")
            try descriptorCache.set(value, by: "--fd-cache")
        }
        if let text = a.rlimitNofile {
            let value = try Self.integer(text, option: "--rlimit-nofile")
            let limit: DaemonConfiguration.DescriptorLimit = value == 0 ? .unchanged : .exactly(UInt64(max(value, 0)))
            if value < 0 {
                throw .option("--rlimit-nofile", "\(text) is negative")
            }
            try DaemonConfiguration.validateDescriptorLimit(limit, option: "--rlimit-nofile")
            try descriptorLimit.set(limit, by: "--rlimit-nofile")
        }
        if let text = a.seccomp {
            guard let mode = DaemonConfiguration.SeccompMode(rawValue: text) else {
                throw .option("--seccomp", "\(text) is not one of kill, log, trap, none")
            }
            try seccomp.set(mode, by: "--seccomp")
        }
        if let text = a.modcaps {
            try capabilityChanges.set(
                try DaemonConfiguration.CapabilityChanges.parse(text, option: "--modcaps"), by: "--modcaps")
        }
        if let text = a.socketGroup {
            try socketGroup.set(
                try DaemonConfiguration.SocketGroup.resolve(text, option: "--socket-group"), by: "--socket-group")
        }
        #if DEBUG
        debug = DaemonConfiguration.DebugOptions(
            unconfinedLookup: a.debugUnconfinedLookup, forbiddenSystemCall: a.debugForbiddenSyscall)
        #endif
        try applyIDTranslation(a)
        try applyVirtiofsdOptions(a)
    }

    /// The rest of virtiofsd 1.x's options: accepted with their meaning, or refused with the reason.
    private mutating func applyVirtiofsdOptions(_ a: DaemonArguments) throws(DaemonConfigurationError) {
        if a.allowDirectIO { try allowDirectIO.set(true, by: "--allow-direct-io") }
        if a.preserveNoatime { try preserveNoatime.set(true, by: "--preserve-noatime") }
        if a.allowMmap { try allowMmap.set(true, by: "--allow-mmap") }
        if a.posixACL { try posixACL.set(true, by: "--posix-acl") }
        if a.securityLabel { throw .option("--security-label", Self.securityLabelRefusal) }
        let migration: [(String, Bool)] = [
            ("--migration-mode", a.migrationMode != nil), ("--migration-on-error", a.migrationOnError != nil),
            ("--migration-verify-handles", a.migrationVerifyHandles),
            ("--migration-confirm-paths", a.migrationConfirmPaths),
        ]
        for case (let option, true) in migration { throw .option(option, Self.migrationRefusal) }
    }

    /// Why `--security-label` is refused.
    static let securityLabelRefusal =
        "not supported: vhostfsd does not take the guest's security context at creation (FUSE_SECURITY_CTX), so "
        + "new files would get the host's default label instead of the guest's"

    /// Why the `--migration-*` options are refused.
    static let migrationRefusal =
        "migration is not supported yet: vhostfsd cannot hand its state to another instance "
        + "(VHOST_USER_PROTOCOL_F_DEVICE_STATE), and QEMU does not migrate a guest with this device"

    /// `--translate-uid`/`--translate-gid` rules and `--uid-map`/`--gid-map` ranges, each value checked on its own,
    /// then each option's values together.
    private mutating func applyIDTranslation(_ a: DaemonArguments) throws(DaemonConfigurationError) {
        for text in a.translateUID {
            idTranslation.uidRules.append(try IDMapSyntax.translationRule(text, option: "--translate-uid"))
        }
        for text in a.translateGID {
            idTranslation.gidRules.append(try IDMapSyntax.translationRule(text, option: "--translate-gid"))
        }
        for text in a.uidMap {
            idTranslation.uidNamespace.append(try IDMapSyntax.namespaceRange(text, option: "--uid-map"))
        }
        for text in a.gidMap {
            idTranslation.gidNamespace.append(try IDMapSyntax.namespaceRange(text, option: "--gid-map"))
        }
        try idTranslation.validate()
    }

    // MARK: - Legacy -o options

    private mutating func applyCompatOption(_ option: String) throws(DaemonConfigurationError) {
        let parts = option.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        let name = String(parts[0])
        let spelling = "-o \(name)"
        if parts.count == 2 {
            let value = String(parts[1])
            guard !value.isEmpty else { throw .option(spelling, "empty value") }
            switch name {
            case "source":
                try setSharedDirectory(value, by: spelling)
            case "cache":
                try cache.set(try Self.cachePolicy(value, option: spelling), by: spelling)
            case "log_level", "loglevel":
                try logLevel.set(try Self.logLevel(value, option: spelling), by: spelling)
            case "sandbox":
                try sandbox.set(try Self.sandbox(value, option: spelling), by: spelling)
            case "modcaps":
                try capabilityChanges.set(
                    try DaemonConfiguration.CapabilityChanges.parse(value, option: spelling), by: spelling)
            case "xattrmap":
                try xattrMap.set(try Self.xattrMap(value, option: spelling), by: spelling)
            case _ where Self.compatFlags.contains(name):
                throw .option(spelling, "takes no value, but \(value) was given")
            default:
                throw .option("-o \(option)", "unknown or unsupported option")
            }
            return
        }
        switch name {
        case "source", "cache", "log_level", "loglevel", "sandbox", "modcaps", "xattrmap":
            throw .option(spelling, "missing value (expected \(name)=...)")
        case "xattr", "no_xattr": try xattr.set(name == "xattr", by: spelling)
        case "writeback", "no_writeback": try writeback.set(name == "writeback", by: spelling)
        case "flock", "no_flock": try flock.set(name == "flock", by: spelling)
        case "posix_lock", "no_posix_lock": try posixLocks.set(name == "posix_lock", by: spelling)
        case "readdirplus", "no_readdirplus": try readdirplus.set(name == "readdirplus", by: spelling)
        case "announce_submounts", "no_announce_submounts":
            try announceSubmounts.set(name == "announce_submounts", by: spelling)
        case "debug": try logLevel.set(.debug, by: spelling)
        case "killpriv_v2", "no_killpriv_v2": try killprivV2.set(name == "killpriv_v2", by: spelling)
        case "allow_direct_io", "no_allow_direct_io": try allowDirectIO.set(name == "allow_direct_io", by: spelling)
        case "security_label": throw .option(spelling, Self.securityLabelRefusal)
        case "posix_acl", "no_posix_acl": try posixACL.set(name == "posix_acl", by: spelling)
        case "no_security_label":
            break  // it asks for what vhostfsd does anyway
        default:
            throw .option(spelling, "unknown or unsupported option")
        }
    }

    /// The `-o` options that take no value, for the "takes no value" message.
    private static let compatFlags: Set<String> = [
        "xattr", "no_xattr", "writeback", "no_writeback", "flock", "no_flock", "posix_lock", "no_posix_lock",
        "readdirplus", "no_readdirplus", "announce_submounts", "no_announce_submounts", "debug",
        "allow_direct_io", "no_allow_direct_io", "no_killpriv_v2", "killpriv_v2", "posix_acl", "no_posix_acl",
        "security_label", "no_security_label",
    ]

    // MARK: - Values

    private mutating func setSharedDirectory(_ path: String, by spelling: String) throws(DaemonConfigurationError) {
        try sharedDirectory.set(try DaemonConfiguration.resolveSharedDirectory(path, option: spelling), by: spelling)
    }

    /// A decimal integer with an optional leading minus sign (so that a negative value gets a range message).
    static func integer(_ text: String, option: String) throws(DaemonConfigurationError) -> Int {
        let digits = text.hasPrefix("-") ? text.dropFirst() : Substring(text)
        guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            throw .option(option, "\(text) is not an integer")
        }
        guard let value = Int(text) else { throw .option(option, "\(text) is out of range") }
        return value
    }

    /// A descriptor number: a non-negative integer that fits a C int.
    static func descriptor(_ text: String, option: String) throws(DaemonConfigurationError) -> CInt {
        let value = try integer(text, option: option)
        guard value >= 0, let descriptor = CInt(exactly: value) else {
            throw .option(option, "\(text) is not a file descriptor number")
        }
        return descriptor
    }

    static func cachePolicy(
        _ text: String, option: String
    ) throws(DaemonConfigurationError) -> DaemonConfiguration.CachePolicy {
        guard let policy = DaemonConfiguration.CachePolicy.parse(text) else {
            throw .option(option, "\(text) is not one of auto, always, never, metadata")
        }
        return policy
    }

    static func logLevel(_ text: String, option: String) throws(DaemonConfigurationError)
        -> DaemonConfiguration.LogLevel
    {
        guard let level = DaemonConfiguration.LogLevel.parse(text) else {
            throw .option(option, "\(text) is not one of error, warn, info, debug, trace, off")
        }
        return level
    }

    /// An xattr map in virtiofsd's syntax.
    static func xattrMap(_ text: String, option: String) throws(DaemonConfigurationError) -> ExtendedAttributeMap {
        do { return try ExtendedAttributeMap.parse(text) } catch { throw .option(option, error.message) }
    }

    static func sandbox(_ text: String, option: String) throws(DaemonConfigurationError) -> DaemonConfiguration.Sandbox
    {
        guard let mode = DaemonConfiguration.Sandbox(rawValue: text) else {
            throw .option(option, "\(text) is not one of none, chroot, namespace")
        }
        return mode
    }
}
