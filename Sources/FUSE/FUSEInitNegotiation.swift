import CLinux
import FUSEWire

/// The INIT handshake (linux/fuse.h, FUSE_INIT): the minor version is negotiated down to what the guest speaks,
/// capability flags to what both sides support.
public struct FUSEInitNegotiation: Sendable, Equatable {
    /// Protocol major version spoken.
    public static let major: UInt32 = FUSEProtocol.major
    /// Newest minor version implemented (linux/fuse.h of Debian 12).
    public static let maxMinor: UInt32 = FUSEProtocol.minor
    /// Oldest minor version accepted.
    public static let minMinor: UInt32 = 27
    /// Largest max_pages the kernel accepts (FUSE_MAX_MAX_PAGES).
    public static let maxMaxPages: UInt32 = 256

    /// What the daemon is configured to offer.
    public struct Options: Sendable, Equatable {
        /// Largest WRITE payload in bytes (rounded up to pages for max_pages).
        public var maxWrite: UInt32 = 1 << 20
        /// Offer FUSE_WRITEBACK_CACHE.
        public var writeback = false
        /// Offer FUSE_POSIX_LOCKS.
        public var posixLocks = false
        /// Offer FUSE_FLOCK_LOCKS.
        public var flockLocks = true
        /// Offer READDIRPLUS (DO_READDIRPLUS | READDIRPLUS_AUTO).
        public var readdirplus = true
        /// Offer FUSE_SUBMOUNTS.
        public var submounts = false
        /// Offer FUSE_HANDLE_KILLPRIV_V2: the guest kernel leaves clearing set-user-ID and set-group-ID bits on
        /// write, truncate, chown and O_TRUNC opens to the daemon (which writes as root, so the host kernel would
        /// keep them) and flags each request whose caller lacks CAP_FSETID.
        public var killprivV2 = true
        /// Offer FUSE_DIRECT_IO_ALLOW_MMAP (`--allow-mmap`).
        public var directIOAllowMmap = false
        /// Serve POSIX ACLs (`--posix-acl`): FUSE_POSIX_ACL, FUSE_DONT_MASK and FUSE_SETXATTR_EXT, all three or the
        /// INIT is refused (as virtiofsd does): the guest enforces ACLs, leaves the umask to the daemon (which
        /// applies it unless the parent has a default ACL) and says when setting an ACL must clear set-group-ID.
        public var posixACL = false
        /// Page size of the guest (for max_pages).
        public var pageSize: UInt32 = 4096
        public init() {}
    }

    /// Result of a negotiation.
    public enum Outcome: Sendable, Equatable {
        /// Reply with `fuse_init_out` and serve requests.
        case accepted(fuse_init_out, minor: UInt32, flags: FUSEInitFlags)
        /// The kernel speaks a newer major: reply with only our major so that it retries (fuse.h, INIT).
        case retryWithMajor
        /// Refuse (EPROTO).
        case refused
    }

    /// Flags this implementation supports, before options remove some.
    public static let supported: FUSEInitFlags = [
        .asyncRead, .atomicOTrunc, .exportSupport, .bigWrites, .parallelDirops, .maxPages, .cacheSymlinks,
        .initExt, .autoInvalData, .asyncDIO,
    ]

    /// What `--posix-acl` needs from the guest kernel.
    public static let posixACLFlags: FUSEInitFlags = [.posixACL, .dontMask, .setxattrExt]

    /// Negotiates against the kernel's `fuse_init_in` (only the first 16 bytes are used before 7.36, where the
    /// kernel sends the short form; `flags2` is read only when `FUSE_INIT_EXT` is set).
    public static func negotiate(major: UInt32, minor: UInt32, maxReadahead: UInt32, kernelFlags: FUSEInitFlags,
                                 options: Options) -> Outcome {
        if major > Self.major { return .retryWithMajor }
        guard major == Self.major, minor >= minMinor else { return .refused }
        var offer = supported
        if options.writeback { offer.insert(.writebackCache) }
        if options.posixLocks { offer.insert(.posixLocks) }
        if options.flockLocks { offer.insert(.flockLocks) }
        if options.readdirplus { offer.formUnion([.doReaddirplus, .readdirplusAuto]) }
        if options.submounts { offer.insert(.submounts) }
        if options.killprivV2 { offer.insert(.handleKillprivV2) }
        if options.directIOAllowMmap { offer.insert(.directIOAllowMmap) }
        var kernel = kernelFlags
        if !kernel.contains(.initExt) { kernel = FUSEInitFlags(rawValue: kernel.rawValue & 0xffff_ffff) }
        if options.posixACL {
            guard kernel.contains(posixACLFlags) else { return .refused }
            offer.formUnion(posixACLFlags)
        }
        let agreed = offer.intersection(kernel)
        let page = max(options.pageSize, 1)
        let maxWrite = max(options.maxWrite, 4096)
        // ceil(maxWrite / page) without overflow.
        let pages = min(maxWrite / page + (maxWrite % page == 0 ? 0 : 1), maxMaxPages)
        var out = fuse_init_out()
        out.major = Self.major
        out.minor = min(minor, maxMinor)
        out.max_readahead = maxReadahead
        out.flags = UInt32(truncatingIfNeeded: agreed.rawValue)
        out.flags2 = UInt32(truncatingIfNeeded: agreed.rawValue >> 32)
        out.max_background = UInt16.max
        out.congestion_threshold = UInt16.max / 4 * 3
        out.max_write = min(maxWrite, pages * page)
        out.time_gran = 1
        out.max_pages = UInt16(pages)
        return .accepted(out, minor: out.minor, flags: agreed)
    }
}

extension fuse_init_out: @retroactive Equatable {
    public static func == (a: fuse_init_out, b: fuse_init_out) -> Bool {
        a.major == b.major && a.minor == b.minor && a.max_readahead == b.max_readahead && a.flags == b.flags
            && a.max_background == b.max_background && a.congestion_threshold == b.congestion_threshold
            && a.max_write == b.max_write && a.time_gran == b.time_gran && a.max_pages == b.max_pages
            && a.flags2 == b.flags2
    }
}
