/// What the FUSE layer asks for at INIT (after its own negotiation with the guest kernel).
public struct MountRequest: Sendable, Hashable {
    /// The largest WRITE the guest may send (0: the device's maximum).
    public var maxWrite: UInt32
    /// The guest kernel offers FUSE_WRITEBACK_CACHE.
    public var writebackCache: Bool

    @inlinable
    public init(maxWrite: UInt32 = 0, writebackCache: Bool = false) {
        self.maxWrite = maxWrite
        self.writebackCache = writebackCache
    }
}

/// What the device settled on at mount.
public struct MountReply: Sendable, Hashable {
    /// The largest WRITE accepted: min(requested, device option). Larger writes get EINVAL.
    public var maxWrite: UInt32
    /// Writeback caching is on (both offered by the guest and enabled on the device).
    public var writebackCache: Bool
    /// The device serves POSIX locks (advertise FUSE_POSIX_LOCKS).
    public var posixLocks: Bool
    /// The device serves flock (advertise FUSE_FLOCK_LOCKS).
    public var flockLocks: Bool
    /// Attributes of the root node (NodeID.root), which needs no lookup.
    public var root: AttributesReply

    @inlinable
    public init(maxWrite: UInt32, writebackCache: Bool, posixLocks: Bool, flockLocks: Bool, root: AttributesReply) {
        self.maxWrite = maxWrite
        self.writebackCache = writebackCache
        self.posixLocks = posixLocks
        self.flockLocks = flockLocks
        self.root = root
    }
}
