import Synchronization

/// `count` values, each behind its own lock, in one allocation with each lock on cache lines of its own, reached by
/// pointer: taking a shard's lock retains nothing. (An array of shard objects retains the shard for every request,
/// an atomic add on the cache line of its lock word from every reactor: measured, it took as many samples as the
/// lock.) The node and handle tables keep their shards here.
final class LockShards<State: ~Copyable>: @unchecked Sendable {
    // SAFETY (Sendable): every element is only reached through its Mutex; the allocation is immutable after init
    // and freed in deinit, when no one can reach the object any more.
    private struct Slot: ~Copyable {
        let lock: Mutex<State>
        /// Keeps the next slot's lock word off the cache lines of this slot's state.
        let padding: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)

        init(_ state: consuming sending State) {
            lock = Mutex(state)
        }
    }

    private let slots: UnsafeMutablePointer<Slot>
    /// Number of shards.
    let count: Int

    /// Shards 0..<count holding `make(index)`.
    init(count: Int, _ make: (Int) -> sending State) {
        self.count = count
        slots = .allocate(capacity: count)
        for index in 0..<count {
            // SAFETY: index < count, the allocation's capacity; each slot is initialized once.
            (slots + index).initialize(to: Slot(make(index)))
        }
    }

    deinit {
        // SAFETY: all `count` slots were initialized in init.
        slots.deinitialize(count: count)
        slots.deallocate()
    }

    /// Runs `body` on shard `shard`'s state, holding its lock.
    @inline(__always)
    func withLock<R, E: Error>(_ shard: Int, _ body: (inout sending State) throws(E) -> sending R) throws(E)
        -> sending R
    {
        precondition(shard >= 0 && shard < count, "shard \(shard) of \(count)")
        // SAFETY: shard < count, an initialized slot; borrowed, not moved.
        return try slots[shard].lock.withLock(body)
    }
}
