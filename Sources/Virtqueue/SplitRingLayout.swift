/// Sizes, offsets, alignments and flag values of the split virtqueue (virtio 1.2 §2.7), shared by the device side
/// (`SplitQueue`) and any driver-side code (the test kit's `DriverQueue`).
///
/// Who writes what (virtio 1.2 §2.7.5-§2.7.8, §2.7.10):
/// - Descriptor table: written by the driver, read by the device.
/// - Available ring (`flags`, `idx`, `ring[size]`, `used_event`): written by the driver, read by the device.
///   `used_event` exists only with VIRTIO_F_EVENT_IDX and tells the device when to interrupt.
/// - Used ring (`flags`, `idx`, `ring[size]` of `{le32 id; le32 len}`, `avail_event`): written by the device, read by
///   the driver. `avail_event` exists only with VIRTIO_F_EVENT_IDX and tells the driver when to kick.
public enum SplitRingLayout {
    /// Largest queue size of a split ring (virtio 1.2 §2.7: "Queue Size ... maximum 32768").
    public static let maximumQueueSize = 32768
    /// Size of one descriptor (virtio 1.2 §2.7.5: le64 addr, le32 len, le16 flags, le16 next).
    public static let descriptorSize = 16
    /// Size of one used element (virtio 1.2 §2.7.8: le32 id, le32 len).
    public static let usedElementSize = 8

    /// Required alignment of the descriptor table (virtio 1.2 §2.7: 16).
    public static let descriptorTableAlignment: UInt64 = 16
    /// Required alignment of the available ring (virtio 1.2 §2.7: 2).
    public static let availRingAlignment: UInt64 = 2
    /// Required alignment of the used ring (virtio 1.2 §2.7: 4).
    public static let usedRingAlignment: UInt64 = 4

    /// Bytes of the descriptor table: 16 * size.
    @inlinable public static func descriptorTableSize(queueSize: Int) -> Int { 16 &* queueSize }
    /// Bytes of the available ring including `used_event`: 6 + 2 * size.
    @inlinable public static func availRingSize(queueSize: Int) -> Int { 6 &+ 2 &* queueSize }
    /// Bytes of the used ring including `avail_event`: 6 + 8 * size.
    @inlinable public static func usedRingSize(queueSize: Int) -> Int { 6 &+ 8 &* queueSize }

    /// Offset of `flags` in both rings.
    public static let flagsOffset = 0
    /// Offset of `idx` in both rings.
    public static let indexOffset = 2
    /// Offset of `ring[0]` in both rings.
    public static let ringOffset = 4
    /// Offset of `used_event` in the available ring (after `ring[size]`).
    @inlinable public static func usedEventOffset(queueSize: Int) -> Int { 4 &+ 2 &* queueSize }
    /// Offset of `avail_event` in the used ring (after `ring[size]`).
    @inlinable public static func availEventOffset(queueSize: Int) -> Int { 4 &+ 8 &* queueSize }

    /// VRING_AVAIL_F_NO_INTERRUPT (1): avail.flags, written by the driver when it does not want interrupts
    /// (used only without VIRTIO_F_EVENT_IDX; virtio 1.2 §2.7.7).
    public static let availFlagNoInterrupt: UInt16 = 1
    /// VRING_USED_F_NO_NOTIFY (1): used.flags, written by the device when it does not want kicks
    /// (used only without VIRTIO_F_EVENT_IDX; virtio 1.2 §2.7.10).
    public static let usedFlagNoNotify: UInt16 = 1

    /// vring_need_event (virtio 1.2 §2.7.7.2, §2.7.10.2): true when `eventIndex` lies in [old, new) in wrapping
    /// 16-bit index space, i.e. the other side asked to be notified when the index moved past `eventIndex`.
    @inlinable
    public static func needsEvent(eventIndex: UInt16, new: UInt16, old: UInt16) -> Bool {
        (new &- eventIndex &- 1) < (new &- old)
    }
}
