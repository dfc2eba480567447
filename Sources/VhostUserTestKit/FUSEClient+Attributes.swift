import CLinux

extension FUSEClient {
    /// File attributes as a FUSE reply carries them (`struct fuse_attr`).
    public struct Attributes: Hashable, Sendable {
        /// Inode number on the backend's host.
        public var inode: UInt64
        /// Size in bytes.
        public var size: UInt64
        /// 512-byte blocks allocated.
        public var blocks: UInt64
        /// Last access, seconds and nanoseconds.
        public var accessTime: (seconds: UInt64, nanoseconds: UInt32)
        /// Last modification.
        public var modificationTime: (seconds: UInt64, nanoseconds: UInt32)
        /// Last status change.
        public var changeTime: (seconds: UInt64, nanoseconds: UInt32)
        /// File type and permission bits (`S_IFREG | 0644`).
        public var mode: UInt32
        /// Hard links.
        public var linkCount: UInt32
        /// Owner.
        public var uid: UInt32
        /// Group.
        public var gid: UInt32
        /// Device number for device files.
        public var rdev: UInt32
        /// Preferred I/O block size.
        public var blockSize: UInt32
        /// FUSE_ATTR_* flags.
        public var flags: UInt32

        /// Copies the fields of `raw`.
        public init(_ raw: fuse_attr) {
            inode = raw.ino
            size = raw.size
            blocks = raw.blocks
            accessTime = (raw.atime, raw.atimensec)
            modificationTime = (raw.mtime, raw.mtimensec)
            changeTime = (raw.ctime, raw.ctimensec)
            mode = raw.mode
            linkCount = raw.nlink
            uid = raw.uid
            gid = raw.gid
            rdev = raw.rdev
            blockSize = raw.blksize
            flags = raw.flags
        }

        /// The file type bits (`mode & S_IFMT`).
        public var fileType: UInt32 { mode & UInt32(S_IFMT) }
        /// Whether this is a regular file.
        public var isRegularFile: Bool { fileType == UInt32(S_IFREG) }
        /// Whether this is a directory.
        public var isDirectory: Bool { fileType == UInt32(S_IFDIR) }
        /// Whether this is a symbolic link.
        public var isSymbolicLink: Bool { fileType == UInt32(S_IFLNK) }
        /// The permission bits (`mode & 07777`).
        public var permissions: UInt32 { mode & 0o7777 }

        public static func == (a: Attributes, b: Attributes) -> Bool {
            a.inode == b.inode && a.size == b.size && a.blocks == b.blocks && a.accessTime == b.accessTime
                && a.modificationTime == b.modificationTime && a.changeTime == b.changeTime && a.mode == b.mode
                && a.linkCount == b.linkCount && a.uid == b.uid && a.gid == b.gid && a.rdev == b.rdev
                && a.blockSize == b.blockSize && a.flags == b.flags
        }

        public func hash(into hasher: inout Hasher) {
            hasher.combine(inode)
            hasher.combine(size)
            hasher.combine(mode)
            hasher.combine(modificationTime.seconds)
            hasher.combine(modificationTime.nanoseconds)
        }
    }
}
