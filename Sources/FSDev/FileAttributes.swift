/// Attributes of a node, as the device reports them (not a FUSE wire type).
public struct FileAttributes: Sendable, Hashable {
    /// Host inode number.
    public var inode: UInt64
    /// Size in bytes.
    public var size: UInt64
    /// Allocated 512-byte blocks.
    public var blocks: UInt64
    /// Last access.
    public var accessTime: FileTime
    /// Last data modification.
    public var modificationTime: FileTime
    /// Last status change.
    public var changeTime: FileTime
    /// File type and permission bits (S_IFMT | 07777).
    public var mode: UInt32
    /// Number of hard links.
    public var linkCount: UInt32
    /// Owner.
    public var uid: UInt32
    /// Group.
    public var gid: UInt32
    /// Device number of a device node (major/minor in the kernel's encoding).
    public var rdev: UInt32
    /// Preferred I/O size.
    public var blockSize: UInt32
    /// A directory that is a mount point on the host (another file system, or another mount of the same one),
    /// announced to a guest that accepted FUSE_SUBMOUNTS so that it gives the directory its own mount and st_dev
    /// (FUSE_ATTR_SUBMOUNT). Default false.
    public var isSubmount = false

    @inlinable
    public init(inode: UInt64, size: UInt64, blocks: UInt64, accessTime: FileTime, modificationTime: FileTime,
                changeTime: FileTime, mode: UInt32, linkCount: UInt32, uid: UInt32, gid: UInt32, rdev: UInt32,
                blockSize: UInt32) {
        self.inode = inode
        self.size = size
        self.blocks = blocks
        self.accessTime = accessTime
        self.modificationTime = modificationTime
        self.changeTime = changeTime
        self.mode = mode
        self.linkCount = linkCount
        self.uid = uid
        self.gid = gid
        self.rdev = rdev
        self.blockSize = blockSize
    }
}
