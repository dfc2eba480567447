/// The ring-layout feature bits a split queue honours, with their virtio feature-bit positions, so that
/// `RingFeatures(negotiated: features)` picks them out of the negotiated 64-bit feature word (virtio 1.2 §6).
@frozen
public struct RingFeatures: OptionSet, Hashable, Sendable {
    public var rawValue: UInt64

    @inlinable
    public init(rawValue: UInt64) { self.rawValue = rawValue }

    /// The ring features present in a negotiated virtio feature word; other bits are dropped.
    @inlinable
    public init(negotiated features: UInt64) {
        self.init(rawValue: features & (RingFeatures.indirectDescriptors.rawValue | RingFeatures.eventIndex.rawValue))
    }

    /// VIRTIO_RING_F_INDIRECT_DESC (28): the driver may use indirect descriptor tables (virtio 1.2 §2.7.5.3).
    public static let indirectDescriptors = RingFeatures(rawValue: 1 << 28)
    /// VIRTIO_RING_F_EVENT_IDX (29): used_event / avail_event suppress notifications (virtio 1.2 §2.7.7, §2.7.10).
    public static let eventIndex = RingFeatures(rawValue: 1 << 29)
}
