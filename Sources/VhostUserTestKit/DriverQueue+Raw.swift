import CLinux
import GuestMemory
import LinuxSystem
import Virtqueue

// Raw ring access for hostile-driver tests: write any descriptor, any avail entry, any avail.idx, bypassing the free
// list. Mixing these with `post`/`popUsed` on the same descriptors is the test's responsibility.
extension DriverQueue {
    /// Writes `descriptor` into slot `index` of the ring's descriptor table (index < size).
    public func writeDescriptor(_ descriptor: Descriptor, at index: Int) {
        precondition(index >= 0 && index < size, "descriptor index outside the table")
        // SAFETY: index < size, inside the descriptor table.
        descriptor.write(to: table + 16 * index)
    }

    /// Writes `descriptors` as a table at `address` in guest RAM (an indirect table). Returns false when out of range.
    @discardableResult
    public func writeDescriptorTable(_ descriptors: [Descriptor], at address: GuestAddress) -> Bool {
        guard let p = ram.pointer(at: address, length: 16 * descriptors.count) else { return false }
        // SAFETY: ram.pointer checked 16 * count bytes.
        for (i, descriptor) in descriptors.enumerated() { descriptor.write(to: p + 16 * i) }
        return true
    }

    /// Appends `head` (any value) to the available ring without publishing it.
    public func appendRawAvail(_ head: UInt16) {
        appendAvail(head)
    }

    /// Stores `value` into avail.idx with release (any value: hostile jumps), and makes it the driver's shadow.
    public func setRawAvailIndex(_ value: UInt16) {
        SharedMemory.storeReleaseUInt16(avail + SplitRingLayout.indexOffset, value.littleEndian)
        availShadow = value
        publishedAvail = value
    }

    /// avail.idx the driver has published.
    public var publishedAvailIndex: UInt16 { publishedAvail }

    /// used.idx as the device last published it.
    public var deviceUsedIndex: UInt16 {
        UInt16(littleEndian: SharedMemory.loadAcquireUInt16(used + SplitRingLayout.indexOffset))
    }

    /// avail_event as the device last wrote it (VIRTIO_F_EVENT_IDX).
    public var deviceAvailEvent: UInt16 {
        UInt16(littleEndian: SharedMemory.loadAcquireUInt16(used + SplitRingLayout.availEventOffset(queueSize: size)))
    }

    /// used.flags as the device last wrote it.
    public var deviceUsedFlags: UInt16 {
        UInt16(littleEndian: SharedMemory.loadAcquireUInt16(used + SplitRingLayout.flagsOffset))
    }
}

extension DriverQueue {
    /// Takes the next used entry as the device wrote it, without freeing any descriptor: for chains a test posted
    /// with the raw calls, which the free list does not know. Nil when the device published nothing new.
    public func takeRawUsed() -> (id: UInt32, length: UInt32)? {
        guard deviceUsedIndex != lastUsed else { return nil }
        let element = used + SplitRingLayout.ringOffset + SplitRingLayout.usedElementSize * Int(lastUsed & mask)
        // SAFETY: the slot index is masked to the ring's size; used elements are 8 bytes (id, len).
        let id = UInt32(littleEndian: element.loadUnaligned(as: UInt32.self))
        let length = UInt32(littleEndian: element.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
        lastUsed &+= 1
        return (id, length)
    }
}
