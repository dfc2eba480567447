/// A guest physical address (GPA): the address space in which the driver writes descriptor `addr` fields and ring
/// addresses (virtio 1.2 §2.7.5, §2.7.6, §2.7.8).
///
/// A newtype over `UInt64` (as rust-vmm's `GuestAddress(u64)`) so that a GPA cannot be confused with a frontend
/// virtual address or a host pointer. Arithmetic is checked: `adding(_:)` returns nil instead of wrapping or trapping,
/// because every GPA comes from the guest.
@frozen
public struct GuestAddress: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The address as a 64-bit integer.
    public var rawValue: UInt64

    /// Wraps `rawValue`.
    @inlinable
    public init(rawValue: UInt64) { self.rawValue = rawValue }

    /// Wraps `rawValue`.
    @inlinable
    public init(_ rawValue: UInt64) { self.rawValue = rawValue }

    /// The address `offset` bytes further, or nil when that overflows the 64-bit address space.
    @inlinable
    public func adding(_ offset: UInt64) -> GuestAddress? {
        let (sum, overflow) = rawValue.addingReportingOverflow(offset)
        return overflow ? nil : GuestAddress(sum)
    }

    /// True when the address is a multiple of `alignment` (a power of two).
    @inlinable
    public func isAligned(to alignment: UInt64) -> Bool {
        assert(alignment > 0 && alignment & (alignment &- 1) == 0, "alignment must be a power of two")
        return rawValue & (alignment &- 1) == 0
    }

    @inlinable
    public static func < (lhs: GuestAddress, rhs: GuestAddress) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String { "0x" + String(rawValue, radix: 16) }
}
