import Glibc

/// Reads the device-readable part of a validated chain (the request) as one byte stream, across buffer boundaries
/// (virtiofsd's `Reader`). A header that straddles two descriptors reads like any other.
///
/// Every read is bounds-checked against the validated chain; running past the end throws
/// `VirtqueueError.endOfChain` and consumes nothing. The bytes are in guest memory and may change under us: copy
/// what you validate (`readValue`) before checking it.
public struct ChainReader {
    @usableFromInline
    var cursor: SegmentCursor

    @usableFromInline
    init(cursor: SegmentCursor) { self.cursor = cursor }

    /// Bytes left to read.
    @inlinable public var remaining: Int { cursor.remaining }

    /// Bytes read or skipped so far.
    @inlinable public var bytesRead: Int { cursor.consumed }

    /// Fills `buffer` with the next `buffer.count` bytes.
    /// - Throws: `VirtqueueError.endOfChain` when fewer remain (nothing is consumed).
    @inlinable
    public mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws(VirtqueueError) {
        guard buffer.count <= cursor.remaining else {
            throw .endOfChain(requested: buffer.count, remaining: cursor.remaining)
        }
        guard let destination = buffer.baseAddress else { return }
        var done = 0
        cursor.advance(by: buffer.count) { source, chunk in
            // SAFETY: `source` has `chunk` validated bytes of guest RAM; `destination + done` has room for chunk.
            (destination + done).copyMemory(from: source, byteCount: chunk)
            done &+= chunk
        }
    }

    /// Reads a value of a trivial type (e.g. a FUSE header) from the next `MemoryLayout<T>.size` bytes, in host byte
    /// order, unaligned-safe.
    /// - Throws: `VirtqueueError.endOfChain` when fewer bytes remain.
    @inlinable
    public mutating func readValue<T: BitwiseCopyable>(_ type: T.Type) throws(VirtqueueError) -> T {
        let size = MemoryLayout<T>.size
        guard size <= cursor.remaining else { throw .endOfChain(requested: size, remaining: cursor.remaining) }
        if size > 0 {
            // Fast path: the value lies inside the current segment.
            // SAFETY: remaining > 0, so `cursor.index` is a filled slot.
            let segment = cursor.segments[cursor.index]
            if segment.length &- cursor.offset >= size {
                let value = (segment.base + cursor.offset).loadUnaligned(as: T.self)
                cursor.skip(size)
                return value
            }
        }
        return withUnsafeTemporaryAllocation(of: T.self, capacity: 1) { slot in
            let raw = UnsafeMutableRawBufferPointer(slot)
            if let destination = raw.baseAddress {
                var done = 0
                cursor.advance(by: size) { source, chunk in
                    // SAFETY: size <= remaining was checked; the slot has room for one T (size bytes) and `source`
                    // has `chunk` validated bytes of guest RAM.
                    (destination + done).copyMemory(from: source, byteCount: chunk)
                    done &+= chunk
                }
            }
            return raw.loadUnaligned(as: T.self)
        }
    }

    /// Moves `count` bytes on without reading them.
    /// - Throws: `VirtqueueError.endOfChain` when fewer remain (nothing is consumed).
    @inlinable
    public mutating func skip(_ count: Int) throws(VirtqueueError) {
        guard count >= 0, count <= cursor.remaining else {
            throw .endOfChain(requested: count, remaining: cursor.remaining)
        }
        cursor.skip(count)
    }

    /// Splits at `offset` bytes from the current position: `self` keeps the first `offset` bytes, the returned reader
    /// has the rest (virtiofsd's `split_at`).
    /// - Throws: `VirtqueueError.endOfChain` when `offset > remaining`.
    @inlinable
    public mutating func split(at offset: Int) throws(VirtqueueError) -> ChainReader {
        guard offset >= 0, offset <= cursor.remaining else {
            throw .endOfChain(requested: offset, remaining: cursor.remaining)
        }
        return ChainReader(cursor: cursor.split(at: offset))
    }

    /// Describes the next `count` bytes as iovecs into guest memory, for `pwritev`/libaio without a copy. Does not
    /// move: call `skip(_:)` with the number of bytes actually used.
    /// - Returns: the number of iovecs written to `buffer`.
    /// - Throws: `endOfChain` when `count > remaining`, `insufficientIOVecs` when `buffer` is too small.
    @inlinable
    public func iovecs(count: Int, into buffer: UnsafeMutableBufferPointer<iovec>) throws(VirtqueueError) -> Int {
        try cursor.iovecs(count: count, into: buffer)
    }
}
