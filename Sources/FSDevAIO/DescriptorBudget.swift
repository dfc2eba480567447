import Synchronization

/// The bound of the node descriptor cache (`--fd-cache`), shared by every shard of the node table: a shard takes a
/// unit before it caches a descriptor and gives it back when the descriptor leaves the cache, so the shards
/// together never hold more than `capacity`. Touched only when a descriptor enters or leaves the cache (an open
/// from a file handle, a new node, eviction, FORGET), never on a cache hit.
final class DescriptorBudget: Sendable {
    /// Most descriptors cached in all shards together.
    let capacity: Int
    private let used = Atomic<Int>(0)

    init(capacity: Int) {
        self.capacity = max(capacity, 0)
    }

    /// Descriptors cached now, in all shards.
    var count: Int { used.load(ordering: .relaxed) }

    /// Takes one unit if the cache has room. Returns whether it did.
    func take() -> Bool {
        var current = used.load(ordering: .relaxed)
        while current < capacity {
            let (exchanged, original) = used.compareExchange(expected: current, desired: current + 1,
                                                             ordering: .relaxed)
            if exchanged { return true }
            current = original
        }
        return false
    }

    /// Gives back `units` (descriptors that left the cache).
    func give(_ units: Int) {
        used.subtract(units, ordering: .relaxed)
    }
}
