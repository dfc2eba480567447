import CLinux
import GuestMemory
import LinuxSystem
import Virtqueue

/// The driver (guest) side of a split virtqueue laid out in `GuestRAM`, behaving as Linux's virtio_ring.c does:
/// descriptors from a free list, chains of device-readable then device-writable buffers (optionally through an
/// indirect table), avail.idx published with release, kicks decided by avail_event (VIRTIO_F_EVENT_IDX) or
/// VRING_USED_F_NO_NOTIFY, used entries collected with acquire and used_event re-armed (virtio 1.2 §2.7.13).
///
/// It only uses the virtio ring layout, so it drives any backend: this project's `SplitQueue` directly, or any
/// vhost-user-fs backend once a frontend has sent it the memory table and ring addresses.
///
/// Threading: not thread-safe; one thread plays the guest.
public final class DriverQueue {
    /// A guest buffer: where and how long.
    public struct Buffer: Hashable, Sendable {
        /// Guest physical address of the first byte.
        public var address: GuestAddress
        /// Length in bytes.
        public var length: UInt32

        public init(_ address: GuestAddress, length: UInt32) {
            self.address = address
            self.length = length
        }
    }

    /// One entry the device put in the used ring.
    public struct UsedElement: Hashable, Sendable {
        /// Head index of the returned chain.
        public var head: UInt16
        /// Bytes the device says it wrote.
        public var length: UInt32

        public init(head: UInt16, length: UInt32) {
            self.head = head
            self.length = length
        }
    }

    /// The RAM the rings and buffers live in.
    public let ram: GuestRAM
    /// Queue size.
    public let size: Int
    /// Ring features the driver uses (must match what the device was given).
    public let features: RingFeatures
    /// Guest physical address of the descriptor table.
    public let descriptorTableAddress: GuestAddress
    /// Guest physical address of the available ring.
    public let availRingAddress: GuestAddress
    /// Guest physical address of the used ring.
    public let usedRingAddress: GuestAddress
    /// Capacity of each indirect table, in descriptors.
    public let maximumIndirectDescriptors: Int

    // SAFETY (all ring accesses below): `table`, `avail` and `used` are the driver-side host addresses of the three
    // rings, translated over their full extents (16 * size, 6 + 2 * size, 6 + 8 * size bytes) in `ram`, which this
    // queue keeps alive. Every index into them is masked with `size - 1` or checked against `size` first; ring
    // addresses are page- or 64-byte-aligned, so the 16-bit atomics are aligned.
    let table: UnsafeMutableRawPointer
    let avail: UnsafeMutableRawPointer
    let used: UnsafeMutableRawPointer
    let mask: UInt16
    let eventIndex: Bool

    /// Free-list links (the `next` the descriptor gets when it is chained), as Linux keeps them.
    private var nextFree: [UInt16]
    private var freeHead: UInt16
    private(set) var freeCount: Int
    /// Per head: descriptors the chain occupies in the table (0: not in flight) and its writable byte count.
    private var inFlight: [(descriptors: Int, writable: UInt64)]
    /// Per descriptor index: its indirect table, allocated on first use.
    private var indirectTables: [GuestAddress?]

    /// avail.idx the driver will publish next (entries added but not yet published are below it).
    var availShadow: UInt16 = 0
    /// avail.idx last published.
    var publishedAvail: UInt16 = 0
    /// Used entries consumed.
    var lastUsed: UInt16 = 0
    private var interruptsEnabled = true

    /// Lays out a queue of `size` in `ram` (region `region`), zeroed, with every descriptor free.
    /// - Parameters:
    ///   - ram: guest RAM to allocate the rings and indirect tables from.
    ///   - size: queue size, a power of two in 1...32768.
    ///   - features: ring features; `.eventIndex` switches notification suppression to used_event/avail_event.
    ///   - region: the RAM region to allocate from.
    ///   - maximumIndirectDescriptors: capacity of each indirect table.
    public init(
        ram: GuestRAM, size: Int, features: RingFeatures = [.indirectDescriptors, .eventIndex], region: Int = 0,
        maximumIndirectDescriptors: Int = 64
    ) throws(DriverError) {
        guard size > 0, size <= SplitRingLayout.maximumQueueSize, size & (size - 1) == 0 else {
            throw .invalidQueueSize(size)
        }
        let tableBytes = SplitRingLayout.descriptorTableSize(queueSize: size)
        let availBytes = SplitRingLayout.availRingSize(queueSize: size)
        let usedBytes = SplitRingLayout.usedRingSize(queueSize: size)
        guard let tableAddress = ram.allocate(size: tableBytes, alignment: 4096, region: region),
            let availAddress = ram.allocate(size: availBytes, alignment: 64, region: region),
            let usedAddress = ram.allocate(size: usedBytes, alignment: 4096, region: region),
            let table = ram.pointer(at: tableAddress, length: tableBytes),
            let avail = ram.pointer(at: availAddress, length: availBytes),
            let used = ram.pointer(at: usedAddress, length: usedBytes)
        else { throw .outOfGuestMemory }
        ram.fill(0, at: tableAddress, count: tableBytes)
        ram.fill(0, at: availAddress, count: availBytes)
        ram.fill(0, at: usedAddress, count: usedBytes)

        self.ram = ram
        self.size = size
        self.features = features
        self.descriptorTableAddress = tableAddress
        self.availRingAddress = availAddress
        self.usedRingAddress = usedAddress
        self.maximumIndirectDescriptors = max(maximumIndirectDescriptors, 1)
        self.table = table
        self.avail = avail
        self.used = used
        self.mask = UInt16(truncatingIfNeeded: size - 1)
        self.eventIndex = features.contains(.eventIndex)
        self.nextFree = (0..<size).map { UInt16(truncatingIfNeeded: $0 + 1) }
        self.freeHead = 0
        self.freeCount = size
        self.inFlight = Array(repeating: (0, 0), count: size)
        self.indirectTables = Array(repeating: nil, count: size)
    }

    /// Free descriptors in the table.
    public var freeDescriptorCount: Int { freeCount }

    /// Chains posted and not yet returned by the device.
    public var inFlightCount: Int { inFlight.reduce(0) { $0 + ($1.descriptors > 0 ? 1 : 0) } }

    /// Adds a chain of `readable` then `writable` buffers to the available ring (not yet published: call
    /// `publish()`), as virtqueue_add_split does.
    /// - Parameters:
    ///   - readable: device-readable buffers (the request), in order.
    ///   - writable: device-writable buffers (room for the reply), in order.
    ///   - indirect: put the buffers in an indirect table and use one descriptor of the ring's table.
    /// - Returns: the head index.
    @discardableResult
    public func post(readable: [Buffer], writable: [Buffer], indirect: Bool = false) throws(DriverError) -> UInt16 {
        let count = readable.count + writable.count
        guard count > 0 else { throw .emptyChain }
        let writableBytes = writable.reduce(UInt64(0)) { $0 + UInt64($1.length) }
        let head: UInt16
        if indirect {
            guard count <= maximumIndirectDescriptors else {
                throw .tooManyIndirectDescriptors(count, maximum: maximumIndirectDescriptors)
            }
            guard freeCount >= 1 else { throw .notEnoughDescriptors(needed: 1, free: freeCount) }
            head = freeHead
            let tableAddress: GuestAddress
            if let existing = indirectTables[Int(head)] {
                tableAddress = existing
            } else {
                guard let fresh = ram.allocate(size: 16 * maximumIndirectDescriptors, alignment: 16) else {
                    throw .outOfGuestMemory
                }
                indirectTables[Int(head)] = fresh
                tableAddress = fresh
            }
            guard let indirectTable = ram.pointer(at: tableAddress, length: 16 * count) else {
                throw .outOfGuestMemory
            }
            for (i, buffer) in (readable + writable).enumerated() {
                var flags: DescriptorFlags = i < readable.count ? [] : .write
                if i < count - 1 { flags.insert(.next) }
                // SAFETY: i < count and `indirectTable` spans 16 * count bytes (checked by ram.pointer).
                Descriptor(address: buffer.address, length: buffer.length, flags: flags, next: UInt16(i + 1))
                    .write(to: indirectTable + 16 * i)
            }
            // SAFETY: head < size (it came from the free list).
            Descriptor(
                address: tableAddress, length: UInt32(16 * count), flags: .indirect, next: 0
            ).write(to: table + 16 * Int(head))
            freeHead = nextFree[Int(head)]
            freeCount -= 1
            inFlight[Int(head)] = (1, writableBytes)
        } else {
            guard freeCount >= count else { throw .notEnoughDescriptors(needed: count, free: freeCount) }
            head = freeHead
            var index = head
            for (i, buffer) in (readable + writable).enumerated() {
                var flags: DescriptorFlags = i < readable.count ? [] : .write
                if i < count - 1 { flags.insert(.next) }
                // SAFETY: index < size (free-list entries are table indices).
                Descriptor(address: buffer.address, length: buffer.length, flags: flags, next: nextFree[Int(index)])
                    .write(to: table + 16 * Int(index))
                index = nextFree[Int(index)]
            }
            freeHead = index
            freeCount -= count
            inFlight[Int(head)] = (count, writableBytes)
        }
        appendAvail(head)
        return head
    }

    /// Writes `head` into the next available-ring slot (not yet published).
    func appendAvail(_ head: UInt16) {
        let slot = Int(availShadow & mask)
        // SAFETY: slot < size, inside the avail ring.
        (avail + SplitRingLayout.ringOffset + 2 * slot).storeBytes(of: head.littleEndian, as: UInt16.self)
        availShadow &+= 1
    }

    /// Publishes the added chains: avail.idx with release, then a full fence and the device's suppression field
    /// (virtqueue_kick_prepare_split).
    /// - Returns: true when the device must be kicked: avail_event in [old, new) with VIRTIO_F_EVENT_IDX, else
    ///   VRING_USED_F_NO_NOTIFY clear. False when nothing new was added.
    public func publish() -> Bool {
        let old = publishedAvail
        let new = availShadow
        guard old != new else { return false }
        SharedMemory.storeReleaseUInt16(avail + SplitRingLayout.indexOffset, new.littleEndian)
        publishedAvail = new
        SharedMemory.fenceSequentiallyConsistent()
        if eventIndex {
            let availEvent = UInt16(
                littleEndian: SharedMemory.loadAcquireUInt16(used + SplitRingLayout.availEventOffset(queueSize: size)))
            return SplitRingLayout.needsEvent(eventIndex: availEvent, new: new, old: old)
        }
        let flags = UInt16(littleEndian: SharedMemory.loadAcquireUInt16(used + SplitRingLayout.flagsOffset))
        return flags & SplitRingLayout.usedFlagNoNotify == 0
    }

    /// Takes the next used entry, if any, and frees its descriptors (virtqueue_get_buf_ctx_split). With
    /// VIRTIO_F_EVENT_IDX and interrupts enabled, re-arms used_event for the next entry.
    /// - Throws: `DriverError` when the device broke the used-ring rules.
    public func popUsed() throws(DriverError) -> UsedElement? {
        let usedIndex = UInt16(littleEndian: SharedMemory.loadAcquireUInt16(used + SplitRingLayout.indexOffset))
        guard usedIndex != lastUsed else { return nil }
        guard Int(usedIndex &- lastUsed) <= size else {
            throw .usedIndexOutOfRange(usedIndex: usedIndex, lastUsed: lastUsed)
        }
        let slot = Int(lastUsed & mask)
        let element = used + SplitRingLayout.ringOffset + SplitRingLayout.usedElementSize * slot
        let id = UInt32(littleEndian: element.loadUnaligned(as: UInt32.self))
        let length = UInt32(littleEndian: element.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
        lastUsed &+= 1
        if eventIndex && interruptsEnabled {
            SharedMemory.storeReleaseUInt16(
                avail + SplitRingLayout.usedEventOffset(queueSize: size), lastUsed.littleEndian)
            SharedMemory.fenceSequentiallyConsistent()
        }
        guard id < UInt32(size) else { throw .invalidUsedHead(id) }
        let head = UInt16(id)
        let chain = inFlight[Int(head)]
        guard chain.descriptors > 0 else { throw .usedHeadNotInFlight(head) }
        guard UInt64(length) <= chain.writable else {
            throw .usedLengthTooLarge(head: head, length: length, writable: chain.writable)
        }
        var last = head
        for _ in 1..<chain.descriptors { last = nextFree[Int(last)] }
        nextFree[Int(last)] = freeHead
        freeHead = head
        freeCount += chain.descriptors
        inFlight[Int(head)] = (0, 0)
        return UsedElement(head: head, length: length)
    }

    /// Asks the device for interrupts again (virtqueue_enable_cb): used_event = last used with VIRTIO_F_EVENT_IDX,
    /// else VRING_AVAIL_F_NO_INTERRUPT cleared.
    /// - Returns: true when used entries are already pending.
    @discardableResult
    public func enableInterrupts() -> Bool {
        interruptsEnabled = true
        if eventIndex {
            SharedMemory.storeReleaseUInt16(avail + SplitRingLayout.usedEventOffset(queueSize: size), lastUsed.littleEndian)
        } else {
            SharedMemory.storeReleaseUInt16(avail + SplitRingLayout.flagsOffset, 0)
        }
        SharedMemory.fenceSequentiallyConsistent()
        return UInt16(littleEndian: SharedMemory.loadAcquireUInt16(used + SplitRingLayout.indexOffset)) != lastUsed
    }

    /// Asks the device not to interrupt (virtqueue_disable_cb): VRING_AVAIL_F_NO_INTERRUPT without
    /// VIRTIO_F_EVENT_IDX; with it, used_event is moved half a ring away and no longer re-armed.
    public func disableInterrupts() {
        interruptsEnabled = false
        if eventIndex {
            SharedMemory.storeReleaseUInt16(
                avail + SplitRingLayout.usedEventOffset(queueSize: size), (lastUsed &+ 0x8000).littleEndian)
        } else {
            SharedMemory.storeReleaseUInt16(
                avail + SplitRingLayout.flagsOffset, SplitRingLayout.availFlagNoInterrupt.littleEndian)
        }
    }
}
