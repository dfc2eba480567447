/// A timestamp: seconds since the epoch and nanoseconds.
public struct FileTime: Sendable, Hashable {
    /// Seconds since 1970-01-01 UTC (may be negative).
    public var seconds: Int64
    /// Nanoseconds, 0..<1_000_000_000.
    public var nanoseconds: UInt32

    @inlinable
    public init(seconds: Int64, nanoseconds: UInt32 = 0) {
        self.seconds = seconds
        self.nanoseconds = nanoseconds
    }
}
