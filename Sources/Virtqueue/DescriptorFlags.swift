/// The `flags` field of a split-ring descriptor (virtio 1.2 §2.7.5).
@frozen
public struct DescriptorFlags: OptionSet, Hashable, Sendable {
    public var rawValue: UInt16

    @inlinable
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// VIRTQ_DESC_F_NEXT (1): the buffer continues via the `next` field.
    public static let next = DescriptorFlags(rawValue: 1)
    /// VIRTQ_DESC_F_WRITE (2): the buffer is device write-only (otherwise device read-only).
    public static let write = DescriptorFlags(rawValue: 2)
    /// VIRTQ_DESC_F_INDIRECT (4): the buffer holds a table of descriptors (virtio 1.2 §2.7.5.3).
    public static let indirect = DescriptorFlags(rawValue: 4)
}
