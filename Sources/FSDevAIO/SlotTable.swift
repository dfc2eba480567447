/// A table of values addressed by 64-bit ids that carry a generation: `generation << 32 | (index + 1)`.
///
/// Removing a value bumps its slot's generation, so an id kept after removal (a stale id) or made up by the guest
/// never reaches the value that later reuses the slot. Not thread-safe: the owners wrap it in a Mutex. Generations
/// wrap after 2^32 reuses of one slot; a stale id must survive that many reuses to alias, which a guest cannot
/// arrange within a lookup count's lifetime.
struct SlotTable<Value> {
    private var values: [Value?] = []
    private var generations: [UInt32] = []
    private var free: [Int] = []
    /// Number of live values.
    private(set) var count = 0
    /// Most slots the table uses (a sharded table leaves room in the id for the shard).
    private let limit: Int

    /// Reserves `index` 0 for a value that lives as long as the table (the root), with generation 0: id 1. At most
    /// `limit` slots (at most 2^32 - 2).
    init(permanent: Value? = nil, limit: Int = Int(UInt32.max - 1)) {
        self.limit = min(limit, Int(UInt32.max - 1))
        if let permanent {
            values.append(permanent)
            generations.append(0)
            count = 1
        }
    }

    /// Decodes an id into a slot index if it names a live value of the right generation.
    @inline(__always)
    func index(of id: UInt64) -> Int? {
        let low = UInt32(truncatingIfNeeded: id)
        guard low != 0 else { return nil }
        let index = Int(low &- 1)
        guard index < values.count, generations[index] == UInt32(truncatingIfNeeded: id >> 32),
              values[index] != nil
        else { return nil }
        return index
    }

    /// The value of a live id.
    @inline(__always)
    func value(of id: UInt64) -> Value? {
        guard let i = index(of: id) else { return nil }
        return values[i]
    }

    /// The value at a valid index (from `index(of:)`).
    subscript(index: Int) -> Value? {
        get { values[index] }
        set { values[index] = newValue }
    }

    /// Runs `body` on the live value at a valid index, in place (no copy of the value).
    @inline(__always)
    @discardableResult
    mutating func modify<R>(at index: Int, _ body: (inout Value) -> R) -> R {
        body(&values[index]!)
    }

    /// The id of a slot index.
    @inline(__always)
    func id(ofIndex index: Int) -> UInt64 {
        UInt64(generations[index]) << 32 | UInt64(index + 1)
    }

    /// Stores `value` in a free slot and returns its id, or nil when `limit` slots are in use.
    mutating func insert(_ value: Value) -> UInt64? {
        let index: Int
        if let reused = free.popLast() {
            index = reused
            values[index] = value
        } else {
            guard values.count < limit else { return nil }
            index = values.count
            values.append(value)
            generations.append(1)
        }
        count += 1
        return id(ofIndex: index)
    }

    /// Removes the value at a valid index, invalidating its id. Returns the value (to be released outside a lock).
    mutating func remove(at index: Int) -> Value? {
        guard let v = values[index] else { return nil }
        values[index] = nil
        generations[index] &+= 1
        free.append(index)
        count -= 1
        return v
    }

    /// Indices of every live value.
    var liveIndices: [Int] { values.indices.filter { values[$0] != nil } }
}
