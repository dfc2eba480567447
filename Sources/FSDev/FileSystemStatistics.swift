/// STATFS: statistics of the file system holding a node.
public struct FileSystemStatistics: Sendable, Hashable {
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
    /// Preferred block size.
    public var blockSize: UInt32
    /// Longest name component.
    public var nameMaxLength: UInt32
    /// Fragment size (the unit of the block counts).
    public var fragmentSize: UInt32

    @inlinable
    public init(blocks: UInt64, freeBlocks: UInt64, availableBlocks: UInt64, files: UInt64, freeFiles: UInt64,
                blockSize: UInt32, nameMaxLength: UInt32, fragmentSize: UInt32) {
        self.blocks = blocks
        self.freeBlocks = freeBlocks
        self.availableBlocks = availableBlocks
        self.files = files
        self.freeFiles = freeFiles
        self.blockSize = blockSize
        self.nameMaxLength = nameMaxLength
        self.fragmentSize = fragmentSize
    }
}
