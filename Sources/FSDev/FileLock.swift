/// A POSIX byte-range lock (GETLK/SETLK/SETLKW), served with open-file-description locks on the host.
public struct FileLock: Sendable, Hashable {
    /// Lock type.
    public enum Kind: UInt32, Sendable, Hashable {
        /// F_RDLCK (0).
        case read = 0
        /// F_WRLCK (1).
        case write = 1
        /// F_UNLCK (2).
        case unlock = 2
    }

    /// Lock type.
    public var kind: Kind
    /// First byte.
    public var start: UInt64
    /// Last byte (inclusive); UInt64.max (OFFSET_MAX) for "to the end".
    public var end: UInt64
    /// Process holding a conflicting lock (GETLK); the host reports -1 for OFD locks, sent as 0.
    public var pid: UInt32

    @inlinable
    public init(kind: Kind, start: UInt64, end: UInt64, pid: UInt32 = 0) {
        self.kind = kind
        self.start = start
        self.end = end
        self.pid = pid
    }
}

/// A BSD `flock` request (FUSE_SETLK/SETLKW with FUSE_LK_FLOCK).
public enum FlockOperation: Sendable, Hashable {
    /// LOCK_SH.
    case shared
    /// LOCK_EX.
    case exclusive
    /// LOCK_UN.
    case unlock
}
