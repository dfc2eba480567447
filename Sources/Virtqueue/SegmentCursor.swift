import Glibc

/// A position in a run of chain segments with a byte limit: the engine under `ChainReader` and `ChainWriter`.
///
/// Invariant: when `remaining > 0`, `segments[index]` has more than `offset` bytes (segments are never empty, and
/// the cursor steps to the next segment as soon as one is used up).
@usableFromInline
struct SegmentCursor {
    /// The chain's segments (inside a `DescriptorChainStorage`, which the owner keeps alive; see DescriptorChain).
    @usableFromInline let segments: UnsafeMutablePointer<ChainSegment>
    /// Current segment.
    @usableFromInline var index: Int
    /// Offset inside the current segment.
    @usableFromInline var offset: Int
    /// Bytes this cursor may still move over.
    @usableFromInline var remaining: Int
    /// Bytes moved over so far (read, skipped, written or advanced).
    @usableFromInline var consumed: Int

    @usableFromInline
    init(segments: UnsafeMutablePointer<ChainSegment>, first: Int, length: Int) {
        self.segments = segments
        self.index = first
        self.offset = 0
        self.remaining = length
        self.consumed = 0
    }

    /// Moves `count` bytes on, calling `body(pointer, chunk)` for each contiguous piece. `count <= remaining`.
    @inlinable
    mutating func advance(by count: Int, _ body: (UnsafeMutableRawPointer, Int) -> Void) {
        assert(count >= 0 && count <= remaining)
        var left = count
        while left > 0 {
            // SAFETY: remaining > 0 here (left <= remaining), so by the invariant `index` is a filled slot.
            let segment = segments[index]
            let chunk = min(segment.length &- offset, left)
            body(segment.base + offset, chunk)
            left &-= chunk
            offset &+= chunk
            remaining &-= chunk
            consumed &+= chunk
            if offset == segment.length {
                index &+= 1
                offset = 0
            }
        }
    }

    /// Moves `count` bytes on without touching them. `count <= remaining`.
    @inlinable
    mutating func skip(_ count: Int) {
        advance(by: count) { _, _ in }
    }

    /// The first `count` bytes stay with `self`; returns a cursor over the rest (with its own `consumed` at 0).
    @inlinable
    mutating func split(at count: Int) -> SegmentCursor {
        assert(count >= 0 && count <= remaining)
        var rest = self
        rest.skip(count)
        rest.consumed = 0
        remaining = count
        return rest
    }

    /// Describes the next `count` bytes as iovecs without moving. Returns the number of iovecs filled.
    @inlinable
    func iovecs(count: Int, into buffer: UnsafeMutableBufferPointer<iovec>) throws(VirtqueueError) -> Int {
        guard count >= 0, count <= remaining else { throw .endOfChain(requested: count, remaining: remaining) }
        var used = 0
        var left = count
        var index = self.index
        var offset = self.offset
        while left > 0 {
            // SAFETY: left <= remaining, so `index` is a filled slot (the invariant holds for the walk too).
            let segment = segments[index]
            let chunk = min(segment.length &- offset, left)
            guard used < buffer.count else {
                throw .insufficientIOVecs(needed: used &+ segmentsSpanned(from: index, offset: offset, count: left),
                                          capacity: buffer.count)
            }
            buffer[used] = iovec(iov_base: segment.base + offset, iov_len: chunk)
            used &+= 1
            left &-= chunk
            index &+= 1
            offset = 0
        }
        return used
    }

    /// Number of segments `count` bytes span from (index, offset). For error reports only.
    @usableFromInline
    func segmentsSpanned(from index: Int, offset: Int, count: Int) -> Int {
        var n = 0
        var left = count
        var index = index
        var offset = offset
        while left > 0 {
            let chunk = min(segments[index].length &- offset, left)
            left &-= chunk
            n &+= 1
            index &+= 1
            offset = 0
        }
        return n
    }
}
