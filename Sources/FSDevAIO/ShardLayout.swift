/// How the node and handle tables split their ids over lock shards: the shard is in the low bits of the id's slot
/// part, so that any id names its shard without a lookup, and the root (shard 0, slot 0) keeps id 1.
///
/// An id is `generation << 32 | (slot << bits | shard) + 1`; the shard's own `SlotTable` sees the id
/// `generation << 32 | slot + 1` (its local id). Ids whose low 32 bits are 0 are no id at all.
struct ShardLayout: Sendable {
    /// log2 of the number of shards.
    let bits: Int

    /// A layout of `count` shards, a power of two in 1...256.
    init(count: Int) {
        precondition(count >= 1 && count <= 256 && count & (count - 1) == 0, "shard count \(count)")
        bits = count.trailingZeroBitCount
    }

    /// Number of shards.
    var count: Int { 1 << bits }

    /// Most slots one shard may use: every slot of every shard then fits the 32-bit slot part, minus 0.
    var slotsPerShard: Int { Int(UInt32.max >> UInt32(bits)) - 1 }

    /// The shard of an id and its id in the shard's table; nil for an id with no slot part (0 in the low bits).
    @inline(__always)
    func split(_ id: UInt64) -> (shard: Int, local: UInt64)? {
        let low = UInt32(truncatingIfNeeded: id)
        guard low != 0 else { return nil }
        let combined = low &- 1
        let shard = Int(combined & ((UInt32(1) << UInt32(bits)) &- 1))
        let slot = combined >> UInt32(bits)
        return (shard, (id & 0xffff_ffff_0000_0000) | UInt64(slot &+ 1))
    }

    /// The id of shard `shard`'s local id `local` (which its table gave out, so the slot fits).
    @inline(__always)
    func join(shard: Int, local: UInt64) -> UInt64 {
        let slot = UInt32(truncatingIfNeeded: local) &- 1
        return (local & 0xffff_ffff_0000_0000) | (UInt64(slot << UInt32(bits) | UInt32(shard)) &+ 1)
    }

    /// The shard of an inode: a multiplicative hash of (device, inode), so that inodes numbered in sequence spread
    /// over every shard.
    @inline(__always)
    func shard(device: UInt64, inode: UInt64) -> Int {
        guard bits > 0 else { return 0 }
        let mixed = (inode ^ device &* 0xff51_afd7_ed55_8ccd) &* 0x9e37_79b9_7f4a_7c15
        return Int(truncatingIfNeeded: mixed >> UInt64(64 - bits))
    }
}
