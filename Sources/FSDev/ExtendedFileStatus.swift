/// STATX: the extended status of a node (the fields of `struct statx` that FUSE carries).
public struct ExtendedFileStatus: Sendable, Hashable {
    /// STATX_* bits of the fields that are valid.
    public var mask: UInt32
    /// Preferred I/O size.
    public var blockSize: UInt32
    /// STATX_ATTR_* flags.
    public var attributes: UInt64
    /// STATX_ATTR_* flags the file system supports.
    public var attributesMask: UInt64
    /// Hard links.
    public var linkCount: UInt32
    /// Owner.
    public var uid: UInt32
    /// Group.
    public var gid: UInt32
    /// File type and permissions.
    public var mode: UInt16
    /// Host inode number.
    public var inode: UInt64
    /// Size in bytes.
    public var size: UInt64
    /// 512-byte blocks.
    public var blocks: UInt64
    /// Last access.
    public var accessTime: FileTime
    /// Creation (birth) time, when the file system records it (STATX_BTIME in `mask`).
    public var birthTime: FileTime
    /// Last status change.
    public var changeTime: FileTime
    /// Last modification.
    public var modificationTime: FileTime
    /// Device number of a device node: major.
    public var rdevMajor: UInt32
    /// Device number of a device node: minor.
    public var rdevMinor: UInt32

    @inlinable
    public init(mask: UInt32, blockSize: UInt32, attributes: UInt64, attributesMask: UInt64, linkCount: UInt32,
                uid: UInt32, gid: UInt32, mode: UInt16, inode: UInt64, size: UInt64, blocks: UInt64,
                accessTime: FileTime, birthTime: FileTime, changeTime: FileTime, modificationTime: FileTime,
                rdevMajor: UInt32, rdevMinor: UInt32) {
        self.mask = mask
        self.blockSize = blockSize
        self.attributes = attributes
        self.attributesMask = attributesMask
        self.linkCount = linkCount
        self.uid = uid
        self.gid = gid
        self.mode = mode
        self.inode = inode
        self.size = size
        self.blocks = blocks
        self.accessTime = accessTime
        self.birthTime = birthTime
        self.changeTime = changeTime
        self.modificationTime = modificationTime
        self.rdevMajor = rdevMajor
        self.rdevMinor = rdevMinor
    }
}
