import Glibc

/// A validated descriptor chain (virtio 1.2 §2.7.5, §2.7.13.2): its head index and its translated buffers, readable
/// ones first (virtio 1.2 §2.7.4.2 forbids a readable buffer after a writable one).
///
/// Every buffer was bounds-checked against one guest memory region and translated when the chain was popped, from a
/// single read of each descriptor; nothing here is re-read from the guest. Empty buffers are dropped.
///
/// Lifetime: the segments live in the `DescriptorChainStorage` given to `pop`, and that storage keeps the memory map
/// they point into alive. The chain (and its readers and writers) do not retain the storage: a trivial value costs
/// no reference counting on the data path (measured: retain/release and value-witness calls were a third of a
/// pop + push in virtqueue-microbench). The owner of the storage (the request context) keeps it alive while the chain
/// is used; popping another chain into the same storage invalidates this one.
///
/// Not thread-safe: use it on the reactor that popped it.
public struct DescriptorChain {
    /// The head descriptor index, to be returned in the used ring.
    public let headIndex: UInt16
    /// Number of non-empty device-readable buffers.
    public let readableSegmentCount: Int
    /// Number of non-empty device-writable buffers.
    public let writableSegmentCount: Int
    /// Total bytes the device may read (<= UInt32.max).
    public let readableLength: UInt32
    /// Total bytes the device may write (<= UInt32.max).
    public let writableLength: UInt32
    /// Descriptors walked, including empty ones and the indirect descriptor itself.
    public let descriptorCount: Int

    /// The segments: readable ones, then writable ones.
    @usableFromInline
    let segments: UnsafeMutablePointer<ChainSegment>

    @usableFromInline
    init(
        headIndex: UInt16, readableSegmentCount: Int, writableSegmentCount: Int, readableLength: UInt32,
        writableLength: UInt32, descriptorCount: Int, segments: UnsafeMutablePointer<ChainSegment>
    ) {
        self.headIndex = headIndex
        self.readableSegmentCount = readableSegmentCount
        self.writableSegmentCount = writableSegmentCount
        self.readableLength = readableLength
        self.writableLength = writableLength
        self.descriptorCount = descriptorCount
        self.segments = segments
    }

    /// The device-readable buffers, in chain order. Valid while this chain (and its storage) is.
    public var readableSegments: UnsafeBufferPointer<ChainSegment> {
        UnsafeBufferPointer(start: segments, count: readableSegmentCount)
    }

    /// The device-writable buffers, in chain order. Valid while this chain (and its storage) is.
    public var writableSegments: UnsafeBufferPointer<ChainSegment> {
        UnsafeBufferPointer(start: segments + readableSegmentCount, count: writableSegmentCount)
    }

    /// A reader over the device-readable bytes (the request).
    @inlinable
    public func makeReader() -> ChainReader {
        ChainReader(cursor: SegmentCursor(segments: segments, first: 0, length: Int(readableLength)))
    }

    /// A writer over the device-writable bytes (the reply).
    @inlinable
    public func makeWriter() -> ChainWriter {
        ChainWriter(
            cursor: SegmentCursor(segments: segments, first: readableSegmentCount, length: Int(writableLength)))
    }
}
