/// What went wrong on the driver (guest) side of a test ring: misuse by the test, or a device that broke the
/// virtio rules the driver checks (as Linux's `BAD_RING`).
public enum DriverError: Error, Hashable, Sendable {
    /// The queue size is not a power of two in 1...32768.
    case invalidQueueSize(Int)
    /// Guest RAM has no room for the rings or an indirect table.
    case outOfGuestMemory
    /// A chain needs at least one buffer.
    case emptyChain
    /// Not enough free descriptors in the table for a direct chain.
    case notEnoughDescriptors(needed: Int, free: Int)
    /// More buffers than the indirect tables were sized for.
    case tooManyIndirectDescriptors(Int, maximum: Int)
    /// The device moved used.idx more than the queue size ahead of what the driver consumed.
    case usedIndexOutOfRange(usedIndex: UInt16, lastUsed: UInt16)
    /// The device returned an id >= queue size.
    case invalidUsedHead(UInt32)
    /// The device returned a head that is not in flight.
    case usedHeadNotInFlight(UInt16)
    /// The device claimed more bytes written than the chain's writable buffers hold (virtio 1.2 §2.7.8.1).
    case usedLengthTooLarge(head: UInt16, length: UInt32, writable: UInt64)
}
