/// One entry of READDIR / READDIRPLUS, handed to a `DirectorySink` while the device reads the directory.
public struct DirectoryEntry {
    /// Name bytes (no NUL), valid only during `DirectorySink.add(_:)`.
    public var name: UnsafeRawBufferPointer
    /// Host inode number.
    public var inode: UInt64
    /// DT_* type (mode >> 12).
    public var type: UInt32
    /// Offset to pass to the next READDIR to continue after this entry.
    public var nextOffset: UInt64
    /// READDIRPLUS only: the looked-up node (the guest holds a lookup reference on it once accepted), or nil for
    /// "." and "..", which are not looked up (FUSE sends them with node id 0).
    public var entry: NodeEntry?

    @inlinable
    public init(name: UnsafeRawBufferPointer, inode: UInt64, type: UInt32, nextOffset: UInt64, entry: NodeEntry?) {
        self.name = name
        self.inode = inode
        self.type = type
        self.nextOffset = nextOffset
        self.entry = entry
    }
}

/// Receives directory entries (the FUSE layer encodes each into the reply as it arrives).
public protocol DirectorySink: AnyObject {
    /// Adds `entry` to the reply. Returns false if it does not fit: the device then undoes the entry's lookup
    /// (READDIRPLUS), stops, and offers the same entry first on the next READDIR at the same offset.
    func add(_ entry: DirectoryEntry) -> Bool
}
