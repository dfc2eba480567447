/// How long the guest may cache an entry or attributes (FUSE's `entry_valid`/`attr_valid` with their `_nsec`).
public struct CacheTimeout: Sendable, Hashable {
    /// Whole seconds.
    public var seconds: UInt64
    /// Additional nanoseconds, 0..<1_000_000_000.
    public var nanoseconds: UInt32

    @inlinable
    public init(seconds: UInt64, nanoseconds: UInt32 = 0) {
        self.seconds = seconds
        self.nanoseconds = nanoseconds
    }

    /// No caching.
    public static let zero = CacheTimeout(seconds: 0)
}
