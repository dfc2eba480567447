/// One guest memory region as seen from this process: guest physical [start, start + size) mapped at `host`.
///
/// A plain value for hot loops: `SplitQueue` keeps the last range it translated into and tries it before the binary
/// search of `GuestMemoryMap.translate`. The pointer is valid only while the `GuestMemoryMap` it came from is alive.
@frozen
public struct GuestHostRange {
    /// First guest physical address.
    public let start: UInt64
    /// Size in bytes (0 for the empty range, which translates nothing).
    public let size: UInt64
    /// Host address of `start`.
    public let host: UnsafeMutableRawPointer?

    @inlinable
    public init(start: UInt64, size: UInt64, host: UnsafeMutableRawPointer?) {
        self.start = start
        self.size = size
        self.host = host
    }

    /// A range that contains nothing.
    @inlinable
    public static var empty: GuestHostRange { GuestHostRange(start: 0, size: 0, host: nil) }

    /// The host address of [address, address + length) when that lies inside this range; nil otherwise.
    /// A zero length is allowed when `address` is inside the range (same rule as `GuestMemoryMap.translate`).
    @inlinable
    public func pointer(for address: GuestAddress, length: Int) -> UnsafeMutableRawPointer? {
        let offset = address.rawValue &- start  // wraps to a huge value when address < start
        guard offset < size, length >= 0, UInt64(length) <= size &- offset, let host else { return nil }
        // offset < size, which fits in Int (checked when the region was made).
        return host + Int(offset)
    }
}
