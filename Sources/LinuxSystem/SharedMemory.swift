import Synchronization

/// Acquire and release access to memory shared with another party: guest RAM (virtio rings, virtio 1.2 §2.7.13.3
/// and §2.7.8), the kernel's aio completion ring. Swift's `Atomic` viewed through a pointer into that memory, as
/// swift-system's IORing holds `UnsafePointer<Atomic<UInt32>>` over the kernel's io_uring rings.
///
/// The caller guarantees the address is mapped for the duration of the call and aligned to the value's size.
/// Values are in the byte order of the memory (virtio rings are little-endian: the caller converts).
public enum SharedMemory {
    /// Loads a `UInt16` with acquire ordering.
    @inlinable @inline(__always)
    public static func loadAcquireUInt16(_ address: UnsafeRawPointer) -> UInt16 {
        // SAFETY: the caller guarantees 2 mapped, 2-aligned bytes; Atomic<UInt16> has UInt16's size and alignment.
        address.assumingMemoryBound(to: Atomic<UInt16>.self).pointee.load(ordering: .acquiring)
    }

    /// Stores a `UInt16` with release ordering.
    @inlinable @inline(__always)
    public static func storeReleaseUInt16(_ address: UnsafeMutableRawPointer, _ value: UInt16) {
        // SAFETY: the caller guarantees 2 mapped, 2-aligned bytes; Atomic<UInt16> has UInt16's size and alignment.
        address.assumingMemoryBound(to: Atomic<UInt16>.self).pointee.store(value, ordering: .releasing)
    }

    /// Loads a `UInt32` with acquire ordering.
    @inlinable @inline(__always)
    public static func loadAcquireUInt32(_ address: UnsafeRawPointer) -> UInt32 {
        // SAFETY: the caller guarantees 4 mapped, 4-aligned bytes; Atomic<UInt32> has UInt32's size and alignment.
        address.assumingMemoryBound(to: Atomic<UInt32>.self).pointee.load(ordering: .acquiring)
    }

    /// Stores a `UInt32` with release ordering.
    @inlinable @inline(__always)
    public static func storeReleaseUInt32(_ address: UnsafeMutableRawPointer, _ value: UInt32) {
        // SAFETY: the caller guarantees 4 mapped, 4-aligned bytes; Atomic<UInt32> has UInt32's size and alignment.
        address.assumingMemoryBound(to: Atomic<UInt32>.self).pointee.store(value, ordering: .releasing)
    }

    /// A full (sequentially consistent) fence: orders a store before a later load (the used-index publication
    /// before the notification check, virtio 1.2 §2.7.10).
    @inlinable @inline(__always)
    public static func fenceSequentiallyConsistent() {
        atomicMemoryFence(ordering: .sequentiallyConsistent)
    }

    /// An acquire fence: loads after it are not reordered before the loads before it.
    @inlinable @inline(__always)
    public static func fenceAcquire() {
        atomicMemoryFence(ordering: .acquiring)
    }
}
