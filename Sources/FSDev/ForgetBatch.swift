/// The records of BATCH_FORGET as the guest sent them: `count` records of 16 bytes (u64 node id, u64 lookup
/// count, FUSE's `fuse_forget_one`), possibly unaligned. Each record is read exactly once.
public struct ForgetBatch {
    /// The raw records, untrusted; a trailing partial record is ignored.
    public let untrustedRecords: UnsafeRawBufferPointer

    @inlinable
    public init(untrustedRecords: UnsafeRawBufferPointer) {
        self.untrustedRecords = untrustedRecords
    }

    /// Number of whole records.
    @inlinable public var count: Int { untrustedRecords.count / 16 }

    /// Reads record `i` (0..<count): the node and how many lookups to drop.
    @inlinable
    public func record(_ i: Int) -> (node: NodeID, count: UInt64) {
        precondition(i >= 0 && i < count, "ForgetBatch index out of range")
        let node = untrustedRecords.loadUnaligned(fromByteOffset: i * 16, as: UInt64.self)
        let n = untrustedRecords.loadUnaligned(fromByteOffset: i * 16 + 8, as: UInt64.self)
        return (NodeID(rawValue: UInt64(littleEndian: node)), UInt64(littleEndian: n))
    }
}
