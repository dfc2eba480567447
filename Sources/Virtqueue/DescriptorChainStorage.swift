import GuestMemory

/// Preallocated room for the translated segments of one descriptor chain, reused for chain after chain.
///
/// Popping a chain allocates nothing: `SplitQueue.pop(memory:into:)` writes the segments into a storage the caller
/// owns. Make one storage per request context that can be in flight (SPDK-style preallocated request objects), so a
/// chain stays valid while its asynchronous I/O runs and the next chain is popped into another storage. Popping into
/// a storage again invalidates the chain it held.
///
/// Capacity: a chain whose non-empty buffers outnumber the capacity is refused with
/// `VirtqueueError.tooManySegments` (a clean per-chain error; no spill). Direct chains are bounded by the queue size
/// (virtio 1.2 §2.7.5.3.1 forbids longer chains); indirect tables by their own length. Linux's virtio-fs driver sends
/// at most max_pages + 4 buffers per request (FUSE max_pages is at most 256 unless the daemon raises it in INIT, and
/// newer kernels also cap it by the queue size), so the default of 512 covers a 1 MiB request (260 segments) with
/// margin at 8 KiB of memory per storage.
///
/// The storage also keeps the memory map the segments were translated against alive, so in-flight I/O does not lose
/// its mappings when the frontend changes the memory table (DESIGN.md "Guest memory updates").
public final class DescriptorChainStorage {
    /// The default capacity in segments.
    public static let defaultCapacity = 512

    /// How many segments fit.
    public let capacity: Int
    /// The segment slots (readable segments first, then writable ones).
    @usableFromInline
    let segments: UnsafeMutablePointer<ChainSegment>
    /// The memory map the current segments point into. Set by `SplitQueue.pop`. Unchecked exclusivity: see
    /// SplitQueue (measured; single-threaded, never accessed `inout`).
    @usableFromInline @exclusivity(unchecked)
    var memory: GuestMemoryMap?

    /// Allocates room for `capacity` segments (at least 1).
    public init(capacity: Int = DescriptorChainStorage.defaultCapacity) {
        self.capacity = max(capacity, 1)
        segments = UnsafeMutablePointer<ChainSegment>.allocate(capacity: self.capacity)
    }

    deinit {
        // SAFETY: allocated in init with this capacity; ChainSegment is trivial, nothing to deinitialize.
        segments.deallocate()
    }
}
