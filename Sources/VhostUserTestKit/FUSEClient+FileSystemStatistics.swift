import CLinux

extension FUSEClient {
    /// The reply to STATFS (`struct fuse_kstatfs`).
    public struct FileSystemStatistics: Hashable, Sendable {
        /// Total blocks of `fragmentSize`.
        public var blocks: UInt64
        /// Free blocks.
        public var freeBlocks: UInt64
        /// Free blocks available to unprivileged users.
        public var availableBlocks: UInt64
        /// Total inodes.
        public var files: UInt64
        /// Free inodes.
        public var freeFiles: UInt64
        /// Block size.
        public var blockSize: UInt32
        /// Longest name.
        public var nameLength: UInt32
        /// Fragment size.
        public var fragmentSize: UInt32

        /// Copies the fields of `raw`.
        public init(_ raw: fuse_kstatfs) {
            blocks = raw.blocks
            freeBlocks = raw.bfree
            availableBlocks = raw.bavail
            files = raw.files
            freeFiles = raw.ffree
            blockSize = raw.bsize
            nameLength = raw.namelen
            fragmentSize = raw.frsize
        }
    }
}
