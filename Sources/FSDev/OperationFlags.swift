/// RENAME2 flags (renameat2(2)).
public struct RenameFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    @inlinable public init(rawValue: UInt32) { self.rawValue = rawValue }
    /// RENAME_NOREPLACE: fail with EEXIST instead of replacing.
    public static let noReplace = RenameFlags(rawValue: 1 << 0)
    /// RENAME_EXCHANGE: swap the two names atomically.
    public static let exchange = RenameFlags(rawValue: 1 << 1)
    /// RENAME_WHITEOUT: leave a whiteout at the source (overlayfs).
    public static let whiteout = RenameFlags(rawValue: 1 << 2)
}

/// FALLOCATE modes (fallocate(2) FALLOC_FL_*). Empty: allocate and extend.
public struct FallocateMode: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    @inlinable public init(rawValue: UInt32) { self.rawValue = rawValue }
    /// FALLOC_FL_KEEP_SIZE.
    public static let keepSize = FallocateMode(rawValue: 0x01)
    /// FALLOC_FL_PUNCH_HOLE (requires keepSize).
    public static let punchHole = FallocateMode(rawValue: 0x02)
    /// FALLOC_FL_COLLAPSE_RANGE.
    public static let collapseRange = FallocateMode(rawValue: 0x08)
    /// FALLOC_FL_ZERO_RANGE.
    public static let zeroRange = FallocateMode(rawValue: 0x10)
    /// FALLOC_FL_INSERT_RANGE.
    public static let insertRange = FallocateMode(rawValue: 0x20)
    /// FALLOC_FL_UNSHARE_RANGE.
    public static let unshareRange = FallocateMode(rawValue: 0x40)
    /// Every mode bit the device knows; others are refused with EOPNOTSUPP.
    public static let known: FallocateMode = [.keepSize, .punchHole, .collapseRange, .zeroRange, .insertRange,
                                              .unshareRange]
}

/// LSEEK whence values.
public enum SeekWhence: UInt32, Sendable, Hashable {
    /// SEEK_SET.
    case set = 0
    /// SEEK_CUR.
    case current = 1
    /// SEEK_END.
    case end = 2
    /// SEEK_DATA: next data at or after the offset.
    case data = 3
    /// SEEK_HOLE: next hole at or after the offset.
    case hole = 4
}
