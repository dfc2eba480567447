import CLinux
import GuestMemory
import LinuxSystem

/// The device side of a split virtqueue (virtio 1.2 §2.7): pops validated descriptor chains from the available ring
/// and returns them through the used ring.
///
/// The queue does not own guest memory: every call takes the current `GuestMemoryMap` (as rust-vmm virtio-queue
/// does), so a memory-table swap is just passing the new map. Ring addresses are translated once per map and cached;
/// a map that no longer covers a ring breaks the queue.
///
/// Hostile-driver defences (virtio 1.2 §2.7 and rust-vmm): ring extents and alignment checked at configuration,
/// `avail.idx - nextAvail > size` breaks the queue, head and next indices bounded by the table, a TTL of the table
/// size per table (loop detection), no indirect table inside an indirect table, indirect length a non-zero multiple
/// of 16, INDIRECT with NEXT refused, readable after writable refused, total readable and writable lengths each at
/// most UInt32.max, every buffer translated inside one memory region. Each descriptor is read once.
///
/// Threading: not thread-safe. One reactor owns the queue and makes every call on it.
public final class SplitQueue {
    /// Number of descriptors (a power of two in 1...32768).
    public let size: Int
    /// Guest physical address of the descriptor table (virtio 1.2 §2.7.5).
    public let descriptorTableAddress: GuestAddress
    /// Guest physical address of the available ring (virtio 1.2 §2.7.6).
    public let availRingAddress: GuestAddress
    /// Guest physical address of the used ring (virtio 1.2 §2.7.8).
    public let usedRingAddress: GuestAddress
    /// The negotiated ring features in effect.
    public let features: RingFeatures

    // Exclusivity: the mutable state below is marked `@exclusivity(unchecked)`. Measured with virtqueue-microbench,
    // the dynamic checks (swift_beginAccess + its thread-local access set) were about a quarter of the time of a
    // pop + push + notify. The class is confined to one reactor thread and no method hands out `inout` access to
    // these properties, so overlapping accesses cannot happen.

    /// True after a queue-fatal error: every call throws `VirtqueueError.queueBroken` until the queue is made again.
    @exclusivity(unchecked)
    public private(set) var isBroken = false

    /// The next available-ring slot to consume (vhost-user SET_VRING_BASE sets it, GET_VRING_BASE reads it).
    public var nextAvailIndex: UInt16 {
        get { availNext }
        set {
            availNext = newValue
            knownAvailIndex = newValue  // forces a fresh read (and range check) of avail.idx
        }
    }

    /// The next used-ring slot to fill; published as used.idx (virtio 1.2 §2.7.8).
    public var nextUsedIndex: UInt16 {
        get { usedNext }
        set {
            usedNext = newValue
            usedIndexAtLastCheck = newValue
            pushedSinceCheck = 0
        }
    }

    @exclusivity(unchecked) private var availNext: UInt16
    @exclusivity(unchecked) private var usedNext: UInt16
    /// avail.idx as last read (acquire); re-read only when the queue has consumed up to it.
    @exclusivity(unchecked) private var knownAvailIndex: UInt16
    /// nextUsedIndex when the driver was last considered for a notification.
    @exclusivity(unchecked) private var usedIndexAtLastCheck: UInt16
    /// Used entries pushed since the last notification check (saturates far above 65536).
    @exclusivity(unchecked) private var pushedSinceCheck = 0

    private let mask: UInt16
    private let eventIndex: Bool
    private let indirect: Bool

    /// The map the cached ring pointers were translated against (and which keeps them mapped).
    @exclusivity(unchecked) private var memory: GuestMemoryMap
    @exclusivity(unchecked) private var descriptorTable: UnsafeMutableRawPointer
    @exclusivity(unchecked) private var availRing: UnsafeMutableRawPointer
    @exclusivity(unchecked) private var usedRing: UnsafeMutableRawPointer
    /// The region the last buffer was found in, tried before the binary search (reset with the memory map).
    @exclusivity(unchecked) private var lastRange = GuestHostRange.empty

    /// Configures a queue (vhost-user SET_VRING_NUM + SET_VRING_ADDR + SET_VRING_BASE + SET_FEATURES).
    /// - Parameters:
    ///   - size: queue size; a power of two in 1...32768 (virtio 1.2 §2.7).
    ///   - descriptorTable: GPA of the descriptor table, 16-aligned, 16 * size bytes inside one region.
    ///   - availRing: GPA of the available ring, 2-aligned, 6 + 2 * size bytes inside one region.
    ///   - usedRing: GPA of the used ring, 4-aligned, 6 + 8 * size bytes inside one region.
    ///   - features: negotiated ring features.
    ///   - memory: the current guest memory map.
    ///   - nextAvailIndex: where to start consuming (SET_VRING_BASE).
    ///   - nextUsedIndex: where to start publishing (normally equal to `nextAvailIndex`, or used.idx in the ring).
    /// - Throws: `invalidQueueSize`, `misalignedRing`, `ringOutsideMemory`.
    public init(
        size: Int, descriptorTable: GuestAddress, availRing: GuestAddress, usedRing: GuestAddress,
        features: RingFeatures, memory: GuestMemoryMap, nextAvailIndex: UInt16 = 0, nextUsedIndex: UInt16 = 0
    ) throws(VirtqueueError) {
        guard size > 0, size <= SplitRingLayout.maximumQueueSize, size & (size &- 1) == 0 else {
            throw .invalidQueueSize(size)
        }
        guard descriptorTable.isAligned(to: SplitRingLayout.descriptorTableAlignment) else {
            throw .misalignedRing(.descriptorTable, descriptorTable)
        }
        guard availRing.isAligned(to: SplitRingLayout.availRingAlignment) else {
            throw .misalignedRing(.availRing, availRing)
        }
        guard usedRing.isAligned(to: SplitRingLayout.usedRingAlignment) else {
            throw .misalignedRing(.usedRing, usedRing)
        }
        self.size = size
        self.mask = UInt16(truncatingIfNeeded: size &- 1)
        self.descriptorTableAddress = descriptorTable
        self.availRingAddress = availRing
        self.usedRingAddress = usedRing
        self.features = features
        self.eventIndex = features.contains(.eventIndex)
        self.indirect = features.contains(.indirectDescriptors)
        self.availNext = nextAvailIndex
        self.usedNext = nextUsedIndex
        self.knownAvailIndex = nextAvailIndex
        self.usedIndexAtLastCheck = nextUsedIndex
        self.memory = memory
        (descriptorTable: self.descriptorTable, availRing: self.availRing, usedRing: self.usedRing) =
            try Self.translateRings(
                size: size, descriptorTable: descriptorTable, availRing: availRing, usedRing: usedRing,
                memory: memory)
    }

    /// Translates the three rings' full extents; each must lie inside one region, with the host alignment the
    /// atomics need.
    private static func translateRings(
        size: Int, descriptorTable: GuestAddress, availRing: GuestAddress, usedRing: GuestAddress,
        memory: GuestMemoryMap
    ) throws(VirtqueueError) -> (
        descriptorTable: UnsafeMutableRawPointer, availRing: UnsafeMutableRawPointer, usedRing: UnsafeMutableRawPointer
    ) {
        guard let table = memory.translate(
            descriptorTable, length: SplitRingLayout.descriptorTableSize(queueSize: size))
        else { throw .ringOutsideMemory(.descriptorTable, descriptorTable) }
        guard let avail = memory.translate(availRing, length: SplitRingLayout.availRingSize(queueSize: size)) else {
            throw .ringOutsideMemory(.availRing, availRing)
        }
        guard let used = memory.translate(usedRing, length: SplitRingLayout.usedRingSize(queueSize: size)) else {
            throw .ringOutsideMemory(.usedRing, usedRing)
        }
        // A region whose mmap offset is not page-aligned can shift host alignment away from guest alignment.
        guard UInt(bitPattern: avail) & 1 == 0 else { throw .misalignedRing(.availRing, availRing) }
        guard UInt(bitPattern: used) & 3 == 0 else { throw .misalignedRing(.usedRing, usedRing) }
        return (table, avail, used)
    }

    /// Checks the queue is usable and that the cached ring pointers belong to `memory`, re-translating after a
    /// memory-map swap. A map that no longer covers the rings breaks the queue.
    @inline(__always)
    private func bind(_ memory: GuestMemoryMap) throws(VirtqueueError) {
        guard !isBroken else { throw .queueBroken }
        if memory !== self.memory { try rebind(memory) }
    }

    private func rebind(_ memory: GuestMemoryMap) throws(VirtqueueError) {
        do {
            (descriptorTable, availRing, usedRing) = try Self.translateRings(
                size: size, descriptorTable: descriptorTableAddress, availRing: availRingAddress,
                usedRing: usedRingAddress, memory: memory)
            self.memory = memory
            lastRange = .empty
        } catch {
            isBroken = true
            throw error
        }
    }

    /// Marks the queue broken (e.g. the owner saw a queue-fatal error elsewhere). Every later call throws.
    public func markBroken() { isBroken = true }

    // MARK: - Available ring

    /// Pops the next available chain, validated and translated, into `storage` (virtio 1.2 §2.7.13.2).
    ///
    /// avail.idx is read with acquire ordering only when the queue has consumed everything it last saw, so a batch of
    /// chains costs one acquire load.
    /// - Parameters:
    ///   - memory: the current guest memory map.
    ///   - storage: where the chain's segments go; its previous chain is invalidated.
    /// - Returns: the chain, or nil when the available ring is empty.
    /// - Throws: a chain error (the avail entry is consumed; return `error.chainHead` with length 0 if not nil), or a
    ///   queue-fatal error (the queue is broken from now on).
    public func pop(memory: GuestMemoryMap, into storage: DescriptorChainStorage) throws(VirtqueueError)
        -> DescriptorChain?
    {
        try bind(memory)
        if availNext == knownAvailIndex {
            // SAFETY: availRing spans 6 + 2 * size bytes (translated against `memory`) and is 2-aligned.
            let availIndex = UInt16(littleEndian: SharedMemory.loadAcquireUInt16(availRing + SplitRingLayout.indexOffset))
            let pending = availIndex &- availNext
            guard Int(pending) <= size else {
                isBroken = true
                throw .availIndexOutOfRange(availIndex: availIndex, nextAvailIndex: availNext)
            }
            guard pending != 0 else { return nil }
            knownAvailIndex = availIndex
        }
        let slot = Int(availNext & mask)
        // SAFETY: slot < size, so 4 + 2 * slot + 2 <= 6 + 2 * size, inside the translated avail ring.
        let head = UInt16(
            littleEndian: availRing.loadUnaligned(
                fromByteOffset: SplitRingLayout.ringOffset &+ 2 &* slot, as: UInt16.self))
        availNext &+= 1
        return try walkChain(head: head, memory: memory, storage: storage)
    }

    /// Walks and validates the chain starting at `head`, writing translated segments into `storage`.
    /// Inlined into `pop` (its only caller): returning the chain across a call cost a few ns per pop.
    @inline(__always)
    private func walkChain(head: UInt16, memory: GuestMemoryMap, storage: DescriptorChainStorage)
        throws(VirtqueueError) -> DescriptorChain
    {
        guard Int(head) < size else { throw .headIndexOutOfRange(head) }
        if storage.memory !== memory { storage.memory = memory }
        let segments = storage.segments
        let capacity = storage.capacity

        var table = UnsafeRawPointer(descriptorTable)
        var tableSize = size
        var index = Int(head)
        var budget = size  // TTL: no table can be walked through more than once
        var inIndirectTable = false
        var segmentCount = 0
        var readableSegmentCount = 0
        var readableLength: UInt64 = 0
        var writableLength: UInt64 = 0
        var sawWritable = false
        var descriptorCount = 0

        while true {
            guard budget > 0 else { throw .chainTooLong(head: head) }
            budget &-= 1
            descriptorCount &+= 1
            // SAFETY: index < tableSize (checked for the head and for every `next` below), and the table spans
            // 16 * tableSize translated bytes.
            let descriptor = Descriptor(readingOnceFrom: table + index &* SplitRingLayout.descriptorSize)

            if descriptor.flags.contains(.indirect) {
                guard indirect else { throw .indirectNotNegotiated(head: head) }
                guard !inIndirectTable else { throw .nestedIndirectTable(head: head) }
                guard !descriptor.flags.contains(.next) else { throw .indirectWithNext(head: head) }
                let length = descriptor.length
                let count = Int(length / 16)
                guard length != 0, length % 16 == 0, count <= Int(UInt16.max) else {
                    throw .invalidIndirectTableLength(head: head, length: length)
                }
                guard let indirectTable = translate(descriptor.address, length: Int(length), memory: memory) else {
                    throw .descriptorOutsideMemory(head: head, address: descriptor.address, length: length)
                }
                table = UnsafeRawPointer(indirectTable)
                tableSize = count
                budget = count
                index = 0
                inIndirectTable = true
                continue
            }

            let length = descriptor.length
            let writable = descriptor.flags.contains(.write)
            if writable {
                sawWritable = true
                writableLength &+= UInt64(length)  // each step adds < 2^32 to a value <= 2^32 - 1: no overflow
                guard writableLength <= UInt64(UInt32.max) else { throw .chainLengthOverflow(head: head) }
            } else {
                guard !sawWritable else { throw .readableAfterWritable(head: head) }
                readableLength &+= UInt64(length)
                guard readableLength <= UInt64(UInt32.max) else { throw .chainLengthOverflow(head: head) }
            }
            if length > 0 {
                guard let base = translate(descriptor.address, length: Int(length), memory: memory) else {
                    throw .descriptorOutsideMemory(head: head, address: descriptor.address, length: length)
                }
                guard segmentCount < capacity else { throw .tooManySegments(head: head, capacity: capacity) }
                // SAFETY: segmentCount < capacity, the storage's allocation size.
                segments[segmentCount] = ChainSegment(base: base, length: Int(length))
                segmentCount &+= 1
                if !writable { readableSegmentCount &+= 1 }
            }

            guard descriptor.flags.contains(.next) else { break }
            guard Int(descriptor.next) < tableSize else {
                throw .descriptorIndexOutOfRange(head: head, index: descriptor.next)
            }
            index = Int(descriptor.next)
        }

        return DescriptorChain(
            headIndex: head, readableSegmentCount: readableSegmentCount,
            writableSegmentCount: segmentCount &- readableSegmentCount,
            readableLength: UInt32(truncatingIfNeeded: readableLength),
            writableLength: UInt32(truncatingIfNeeded: writableLength), descriptorCount: descriptorCount,
            segments: segments)
    }

    /// Translates a buffer that must lie inside one region: the cached last region first, then the map's binary
    /// search (measured: about a quarter of a 2-descriptor pop went to the search when every buffer missed the cache).
    @inline(__always)
    private func translate(_ address: GuestAddress, length: Int, memory: GuestMemoryMap) -> UnsafeMutableRawPointer? {
        if let pointer = lastRange.pointer(for: address, length: length) { return pointer }
        guard let range = memory.hostRange(containing: address),
            let pointer = range.pointer(for: address, length: length)
        else { return nil }
        lastRange = range
        return pointer
    }

    // MARK: - Used ring

    /// Returns a chain to the driver: writes the used element `{id: head, len: length}` and publishes used.idx with
    /// release ordering, so the driver sees the element (and the bytes written into the buffers) first
    /// (virtio 1.2 §2.7.8, §2.7.13.3).
    /// - Parameters:
    ///   - head: the chain's head index.
    ///   - length: bytes written into the chain's writable buffers (virtio 1.2 §2.7.8.1: MUST NOT be more).
    ///   - memory: the current guest memory map.
    /// - Throws: `usedHeadOutOfRange`, or a queue-fatal error.
    public func pushUsed(head: UInt16, length: UInt32, memory: GuestMemoryMap) throws(VirtqueueError) {
        try bind(memory)
        guard Int(head) < size else { throw .usedHeadOutOfRange(head) }
        let slot = Int(usedNext & mask)
        // SAFETY: slot < size, so the element [4 + 8 * slot, 12 + 8 * slot) lies inside the 6 + 8 * size translated
        // bytes of the used ring.
        let element = usedRing + (SplitRingLayout.ringOffset &+ SplitRingLayout.usedElementSize &* slot)
        element.storeBytes(of: UInt32(head).littleEndian, toByteOffset: 0, as: UInt32.self)
        element.storeBytes(of: length.littleEndian, toByteOffset: 4, as: UInt32.self)
        let newIndex = usedNext &+ 1
        usedNext = newIndex
        pushedSinceCheck &+= 1
        // SAFETY: used ring translated and 4-aligned; used.idx is at offset 2.
        SharedMemory.storeReleaseUInt16(usedRing + SplitRingLayout.indexOffset, newIndex.littleEndian)
    }

    /// Returns a popped chain to the driver with `length` bytes written.
    @inlinable
    public func pushUsed(_ chain: DescriptorChain, length: UInt32, memory: GuestMemoryMap) throws(VirtqueueError) {
        try pushUsed(head: chain.headIndex, length: length, memory: memory)
    }

    /// Whether the driver must be notified (interrupted, vhost-user "call") for the used entries pushed since the
    /// last check (virtio 1.2 §2.7.10).
    ///
    /// With VIRTIO_F_EVENT_IDX: true when used_event (written by the driver at the end of the avail ring) lies in
    /// [old, new) of used indices, `vring_need_event`. Without it: true unless the driver set
    /// VRING_AVAIL_F_NO_INTERRUPT. False when nothing was pushed since the last check. A seq-cst fence orders the
    /// used.idx store before the read of the driver's field (virtio 1.2 §2.7.13.3 / Linux `virtio_mb`).
    public func needsNotification(memory: GuestMemoryMap) throws(VirtqueueError) -> Bool {
        try bind(memory)
        let pushed = pushedSinceCheck
        guard pushed > 0 else { return false }
        let old = usedIndexAtLastCheck
        let new = usedNext
        usedIndexAtLastCheck = new
        pushedSinceCheck = 0
        SharedMemory.fenceSequentiallyConsistent()
        if eventIndex {
            // 65536 or more pushes wrap the 16-bit window: notify unconditionally.
            guard pushed < 65536 else { return true }
            // SAFETY: used_event is at 4 + 2 * size, inside the translated 6 + 2 * size avail ring, 2-aligned.
            let usedEvent = UInt16(
                littleEndian: SharedMemory.loadAcquireUInt16(availRing + SplitRingLayout.usedEventOffset(queueSize: size)))
            return SplitRingLayout.needsEvent(eventIndex: usedEvent, new: new, old: old)
        } else {
            // SAFETY: avail.flags at offset 0 of the translated, 2-aligned avail ring.
            let flags = UInt16(littleEndian: SharedMemory.loadAcquireUInt16(availRing + SplitRingLayout.flagsOffset))
            return flags & SplitRingLayout.availFlagNoInterrupt == 0
        }
    }

    /// Asks the driver to kick when it adds chains (before the reactor sleeps on the kick eventfd).
    ///
    /// With VIRTIO_F_EVENT_IDX, writes avail_event = nextAvailIndex at the end of the used ring (a field the device
    /// owns; virtio 1.2 §2.7.10); without it, clears VRING_USED_F_NO_NOTIFY in used.flags (device-owned too). Then a
    /// seq-cst fence and a re-read of avail.idx close the race with a driver that added a chain just before.
    /// - Returns: true when chains are already available: process them instead of sleeping.
    public func enableNotification(memory: GuestMemoryMap) throws(VirtqueueError) -> Bool {
        try bind(memory)
        if eventIndex {
            // SAFETY: avail_event at 4 + 8 * size, inside the translated 6 + 8 * size used ring, 2-aligned.
            SharedMemory.storeReleaseUInt16(
                usedRing + SplitRingLayout.availEventOffset(queueSize: size), availNext.littleEndian)
        } else {
            // SAFETY: used.flags at offset 0 of the translated, 4-aligned used ring.
            SharedMemory.storeReleaseUInt16(usedRing + SplitRingLayout.flagsOffset, 0)
        }
        SharedMemory.fenceSequentiallyConsistent()
        // SAFETY: avail.idx at offset 2 of the translated, 2-aligned avail ring.
        let availIndex = UInt16(littleEndian: SharedMemory.loadAcquireUInt16(availRing + SplitRingLayout.indexOffset))
        return availIndex != availNext
    }

    /// Tells the driver kicks are not needed (the reactor is polling).
    ///
    /// Without VIRTIO_F_EVENT_IDX sets VRING_USED_F_NO_NOTIFY in used.flags. With it, does nothing: avail_event
    /// stays where `enableNotification` left it, behind the driver, so the driver does not kick (at worst once per
    /// 65536 chains when the index wraps onto it), as Linux vhost and rust-vmm do.
    public func disableNotification(memory: GuestMemoryMap) throws(VirtqueueError) {
        try bind(memory)
        guard !eventIndex else { return }
        // SAFETY: used.flags at offset 0 of the translated, 4-aligned used ring.
        SharedMemory.storeReleaseUInt16(
            usedRing + SplitRingLayout.flagsOffset, SplitRingLayout.usedFlagNoNotify.littleEndian)
    }

    /// used.idx as currently in the ring (e.g. to resume after a reconnect, as libvhost-user does).
    public func ringUsedIndex(memory: GuestMemoryMap) throws(VirtqueueError) -> UInt16 {
        try bind(memory)
        // SAFETY: used.idx at offset 2 of the translated, 4-aligned used ring.
        return UInt16(littleEndian: SharedMemory.loadAcquireUInt16(usedRing + SplitRingLayout.indexOffset))
    }
}
