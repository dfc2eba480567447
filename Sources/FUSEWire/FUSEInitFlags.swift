import CLinux

/// FUSE_INIT capability flags (linux/fuse.h): `flags` in the low 32 bits, `flags2` (with FUSE_INIT_EXT) in the high.
public struct FUSEInitFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }

    /// FUSE_ASYNC_READ: reads may be sent in parallel.
    public static let asyncRead = FUSEInitFlags(rawValue: UInt64(FUSE_ASYNC_READ))
    /// FUSE_POSIX_LOCKS: remote POSIX locks (GETLK/SETLK/SETLKW).
    public static let posixLocks = FUSEInitFlags(rawValue: UInt64(FUSE_POSIX_LOCKS))
    /// FUSE_ATOMIC_O_TRUNC: O_TRUNC is handled by OPEN.
    public static let atomicOTrunc = FUSEInitFlags(rawValue: UInt64(FUSE_ATOMIC_O_TRUNC))
    /// FUSE_EXPORT_SUPPORT: lookups of "." and "..".
    public static let exportSupport = FUSEInitFlags(rawValue: UInt64(FUSE_EXPORT_SUPPORT))
    /// FUSE_BIG_WRITES: writes larger than 4 KiB.
    public static let bigWrites = FUSEInitFlags(rawValue: UInt64(FUSE_BIG_WRITES))
    /// FUSE_DONT_MASK: the kernel does not apply the umask (the daemon does).
    public static let dontMask = FUSEInitFlags(rawValue: UInt64(FUSE_DONT_MASK))
    /// FUSE_FLOCK_LOCKS: BSD flock via SETLK with FUSE_LK_FLOCK.
    public static let flockLocks = FUSEInitFlags(rawValue: UInt64(FUSE_FLOCK_LOCKS))
    /// FUSE_AUTO_INVAL_DATA.
    public static let autoInvalData = FUSEInitFlags(rawValue: UInt64(FUSE_AUTO_INVAL_DATA))
    /// FUSE_DO_READDIRPLUS.
    public static let doReaddirplus = FUSEInitFlags(rawValue: UInt64(FUSE_DO_READDIRPLUS))
    /// FUSE_READDIRPLUS_AUTO.
    public static let readdirplusAuto = FUSEInitFlags(rawValue: UInt64(FUSE_READDIRPLUS_AUTO))
    /// FUSE_ASYNC_DIO.
    public static let asyncDIO = FUSEInitFlags(rawValue: UInt64(FUSE_ASYNC_DIO))
    /// FUSE_WRITEBACK_CACHE.
    public static let writebackCache = FUSEInitFlags(rawValue: UInt64(FUSE_WRITEBACK_CACHE))
    /// FUSE_PARALLEL_DIROPS.
    public static let parallelDirops = FUSEInitFlags(rawValue: UInt64(FUSE_PARALLEL_DIROPS))
    /// FUSE_HANDLE_KILLPRIV.
    public static let handleKillpriv = FUSEInitFlags(rawValue: UInt64(FUSE_HANDLE_KILLPRIV))
    /// FUSE_POSIX_ACL.
    public static let posixACL = FUSEInitFlags(rawValue: UInt64(FUSE_POSIX_ACL))
    /// FUSE_MAX_PAGES: `max_pages` in the reply is valid.
    public static let maxPages = FUSEInitFlags(rawValue: UInt64(FUSE_MAX_PAGES))
    /// FUSE_CACHE_SYMLINKS.
    public static let cacheSymlinks = FUSEInitFlags(rawValue: UInt64(FUSE_CACHE_SYMLINKS))
    /// FUSE_SUBMOUNTS.
    public static let submounts = FUSEInitFlags(rawValue: UInt64(FUSE_SUBMOUNTS))
    /// FUSE_HANDLE_KILLPRIV_V2.
    public static let handleKillprivV2 = FUSEInitFlags(rawValue: UInt64(FUSE_HANDLE_KILLPRIV_V2))
    /// FUSE_SETXATTR_EXT.
    public static let setxattrExt = FUSEInitFlags(rawValue: UInt64(FUSE_SETXATTR_EXT))
    /// FUSE_INIT_EXT: flags2 is valid.
    public static let initExt = FUSEInitFlags(rawValue: UInt64(FUSE_INIT_EXT))
    /// FUSE_SECURITY_CTX (flags2 bit 0).
    public static let securityContext = FUSEInitFlags(rawValue: UInt64(FUSE_SECURITY_CTX))
    /// FUSE_DIRECT_IO_ALLOW_MMAP (flags2 bit 4, protocol 7.39; newer than the linux/fuse.h here): shared mmap of
    /// files opened with FOPEN_DIRECT_IO.
    public static let directIOAllowMmap = FUSEInitFlags(rawValue: 1 << 36)
}
