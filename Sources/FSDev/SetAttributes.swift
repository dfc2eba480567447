/// What SETATTR changes (FUSE's `fuse_setattr_in` without wire types). Only fields named in `fields` are read.
public struct SetAttributes: Sendable, Hashable {
    /// Which attributes to change (FATTR_*).
    public struct Fields: OptionSet, Sendable, Hashable {
        public let rawValue: UInt32
        @inlinable public init(rawValue: UInt32) { self.rawValue = rawValue }
        /// Permission bits (FATTR_MODE).
        public static let mode = Fields(rawValue: 1 << 0)
        /// Owner (FATTR_UID).
        public static let uid = Fields(rawValue: 1 << 1)
        /// Group (FATTR_GID).
        public static let gid = Fields(rawValue: 1 << 2)
        /// Size (FATTR_SIZE): truncate or extend.
        public static let size = Fields(rawValue: 1 << 3)
        /// Access time from `accessTime` (FATTR_ATIME).
        public static let accessTime = Fields(rawValue: 1 << 4)
        /// Modification time from `modificationTime` (FATTR_MTIME).
        public static let modificationTime = Fields(rawValue: 1 << 5)
        /// Access time = now (FATTR_ATIME_NOW); wins over `accessTime`.
        public static let accessTimeNow = Fields(rawValue: 1 << 7)
        /// Modification time = now (FATTR_MTIME_NOW); wins over `modificationTime`.
        public static let modificationTimeNow = Fields(rawValue: 1 << 8)
    }

    /// The attributes to change.
    public var fields: Fields
    /// New permission bits (the file type bits are ignored).
    public var mode: UInt32
    /// New owner.
    public var uid: UInt32
    /// New group.
    public var gid: UInt32
    /// New size.
    public var size: UInt64
    /// New access time.
    public var accessTime: FileTime
    /// New modification time.
    public var modificationTime: FileTime

    @inlinable
    public init(fields: Fields, mode: UInt32 = 0, uid: UInt32 = 0, gid: UInt32 = 0, size: UInt64 = 0,
                accessTime: FileTime = FileTime(seconds: 0), modificationTime: FileTime = FileTime(seconds: 0)) {
        self.fields = fields
        self.mode = mode
        self.uid = uid
        self.gid = gid
        self.size = size
        self.accessTime = accessTime
        self.modificationTime = modificationTime
    }
}
