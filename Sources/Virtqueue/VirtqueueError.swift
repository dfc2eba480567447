import GuestMemory

/// Everything a hostile driver (or frontend) can get wrong about a split virtqueue, and the chain reader/writer's
/// out-of-bounds cases. Thrown with typed throws on the data path.
///
/// Three classes of error, told apart by `isQueueFatal` and `chainHead`:
/// - configuration errors (the queue cannot be set up);
/// - queue-fatal errors (the queue is marked broken and serves nothing until it is configured again);
/// - chain errors (one chain is refused; its avail entry is consumed and, when `chainHead` is not nil, the caller
///   should return the head to the driver with `pushUsed(head:length: 0, ...)` so the descriptors are not leaked).
public enum VirtqueueError: Error, Hashable, Sendable {
    // MARK: Configuration (vhost-user SET_VRING_NUM, SET_VRING_ADDR)

    /// The queue size is 0, above 32768 or not a power of two (virtio 1.2 §2.7).
    case invalidQueueSize(Int)
    /// A ring address is not aligned as virtio 1.2 §2.7 requires (descriptor table 16, avail 2, used 4).
    case misalignedRing(SplitRingPart, GuestAddress)
    /// A ring's full extent does not lie inside one guest memory region. Queue-fatal when seen after a memory-map
    /// change.
    case ringOutsideMemory(SplitRingPart, GuestAddress)

    // MARK: Queue-fatal

    /// avail.idx is more than the queue size ahead of the next avail index: the driver is broken or hostile
    /// (rust-vmm virtio-queue: "can prevent potential hanging and Denial-of-Service").
    case availIndexOutOfRange(availIndex: UInt16, nextAvailIndex: UInt16)
    /// The queue was marked broken by an earlier queue-fatal error.
    case queueBroken

    // MARK: Chain errors

    /// The avail ring named a head index >= queue size (virtio 1.2 §2.7.6). No head to return.
    case headIndexOutOfRange(UInt16)
    /// A `next` index (or, in an indirect table, an index) is outside the table.
    case descriptorIndexOutOfRange(head: UInt16, index: UInt16)
    /// The chain has more descriptors than its table (queue size, or the indirect table's length / 16): a loop.
    case chainTooLong(head: UInt16)
    /// An indirect descriptor without VIRTIO_RING_F_INDIRECT_DESC negotiated.
    case indirectNotNegotiated(head: UInt16)
    /// An indirect descriptor inside an indirect table (virtio 1.2 §2.7.5.3.1: the driver MUST NOT).
    case nestedIndirectTable(head: UInt16)
    /// An indirect descriptor with VIRTQ_DESC_F_NEXT set too (virtio 1.2 §2.7.5.3.1: the driver MUST NOT).
    case indirectWithNext(head: UInt16)
    /// An indirect table whose length is 0, not a multiple of 16, or more than 65535 descriptors.
    case invalidIndirectTableLength(head: UInt16, length: UInt32)
    /// A device-readable descriptor after a device-writable one (virtio 1.2 §2.7.4.2).
    case readableAfterWritable(head: UInt16)
    /// The total readable or total writable length exceeds UInt32.max.
    case chainLengthOverflow(head: UInt16)
    /// A buffer (or indirect table) is not inside one guest memory region: outside RAM or straddling two regions.
    case descriptorOutsideMemory(head: UInt16, address: GuestAddress, length: UInt32)
    /// The chain has more non-empty buffers than the `DescriptorChainStorage` can hold.
    case tooManySegments(head: UInt16, capacity: Int)

    // MARK: Used ring

    /// pushUsed was given a head index >= queue size.
    case usedHeadOutOfRange(UInt16)

    // MARK: Chain reader and writer

    /// A read, write, skip or split asked for more bytes than remain in the chain.
    case endOfChain(requested: Int, remaining: Int)
    /// The caller's iovec buffer has fewer entries than the byte range spans segments.
    case insufficientIOVecs(needed: Int, capacity: Int)

    /// True for errors after which the queue is marked broken.
    public var isQueueFatal: Bool {
        switch self {
        case .availIndexOutOfRange, .queueBroken, .ringOutsideMemory: true
        default: false
        }
    }

    /// The head index of the refused chain, when there is one to return to the driver.
    public var chainHead: UInt16? {
        switch self {
        case .descriptorIndexOutOfRange(let head, _), .chainTooLong(let head), .indirectNotNegotiated(let head),
            .nestedIndirectTable(let head), .indirectWithNext(let head), .invalidIndirectTableLength(let head, _),
            .readableAfterWritable(let head), .chainLengthOverflow(let head), .descriptorOutsideMemory(let head, _, _),
            .tooManySegments(let head, _):
            head
        default:
            nil
        }
    }
}
