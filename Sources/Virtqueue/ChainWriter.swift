import Glibc

/// Writes the device-writable part of a validated chain (the reply) as one byte stream, across buffer boundaries
/// (virtiofsd's `Writer`), and counts the bytes written for the used ring's `len` (virtio 1.2 §2.7.8).
///
/// Typical FUSE reply: `var body = try writer.split(at: 16)` reserves the out header, the body is filled, then the
/// header (whose length field needs the body size) is written into `writer`. The used length is
/// `writer.bytesWritten + body.bytesWritten`.
public struct ChainWriter {
    @usableFromInline
    var cursor: SegmentCursor

    @usableFromInline
    init(cursor: SegmentCursor) { self.cursor = cursor }

    /// Bytes that may still be written.
    @inlinable public var remaining: Int { cursor.remaining }

    /// Bytes written (or advanced over after an iovec transfer) through this writer.
    @inlinable public var bytesWritten: Int { cursor.consumed }

    /// Writes `bytes` at the current position.
    /// - Throws: `VirtqueueError.endOfChain` when they do not fit (nothing is written).
    @inlinable
    public mutating func write(_ bytes: UnsafeRawBufferPointer) throws(VirtqueueError) {
        guard bytes.count <= cursor.remaining else {
            throw .endOfChain(requested: bytes.count, remaining: cursor.remaining)
        }
        guard let source = bytes.baseAddress else { return }
        var done = 0
        cursor.advance(by: bytes.count) { destination, chunk in
            // SAFETY: `destination` has `chunk` validated, writable bytes of guest RAM; the source has them too.
            destination.copyMemory(from: source + done, byteCount: chunk)
            done &+= chunk
        }
    }

    /// Writes the bytes of a trivial value (e.g. a FUSE reply struct), in host byte order.
    /// - Throws: `VirtqueueError.endOfChain` when it does not fit (nothing is written).
    @inlinable
    public mutating func writeValue<T: BitwiseCopyable>(_ value: T) throws(VirtqueueError) {
        let size = MemoryLayout<T>.size
        guard size <= cursor.remaining else { throw .endOfChain(requested: size, remaining: cursor.remaining) }
        if size > 0 {
            // SAFETY: remaining > 0, so `cursor.index` is a filled slot.
            let segment = cursor.segments[cursor.index]
            if segment.length &- cursor.offset >= size {
                (segment.base + cursor.offset).storeBytes(of: value, as: T.self)
                cursor.skip(size)
                return
            }
        }
        try withUnsafeBytes(of: value) { (bytes) throws(VirtqueueError) in try write(bytes) }
    }

    /// Marks the next `count` bytes as written, after filling them through `iovecs(count:into:)` (preadv, libaio).
    /// - Throws: `VirtqueueError.endOfChain` when fewer remain.
    @inlinable
    public mutating func advance(by count: Int) throws(VirtqueueError) {
        guard count >= 0, count <= cursor.remaining else {
            throw .endOfChain(requested: count, remaining: cursor.remaining)
        }
        cursor.skip(count)
    }

    /// Splits at `offset` bytes from the current position: `self` keeps the first `offset` bytes, the returned writer
    /// has the rest and counts its own `bytesWritten` from 0 (virtiofsd's `split_at`).
    /// - Throws: `VirtqueueError.endOfChain` when `offset > remaining`.
    @inlinable
    public mutating func split(at offset: Int) throws(VirtqueueError) -> ChainWriter {
        guard offset >= 0, offset <= cursor.remaining else {
            throw .endOfChain(requested: offset, remaining: cursor.remaining)
        }
        return ChainWriter(cursor: cursor.split(at: offset))
    }

    /// Describes the next `count` bytes as iovecs into guest memory, for `preadv`/libaio without a copy. Does not
    /// move: call `advance(by:)` with the number of bytes actually transferred.
    /// - Returns: the number of iovecs written to `buffer`.
    /// - Throws: `endOfChain` when `count > remaining`, `insufficientIOVecs` when `buffer` is too small.
    @inlinable
    public func iovecs(count: Int, into buffer: UnsafeMutableBufferPointer<iovec>) throws(VirtqueueError) -> Int {
        try cursor.iovecs(count: count, into: buffer)
    }
}
