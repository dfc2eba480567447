/// An opaque node (inode) id handed to the guest. Devices encode a table index and a generation in it, so that an
/// id the guest invents or keeps after FORGET is rejected instead of reaching another node.
public struct NodeID: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The 64-bit value carried in FUSE's `nodeid`.
    public let rawValue: UInt64

    @inlinable public init(rawValue: UInt64) { self.rawValue = rawValue }

    /// The root of the share (FUSE_ROOT_ID).
    public static let root = NodeID(rawValue: 1)

    public var description: String { "node \(rawValue >> 32):\(rawValue & 0xffff_ffff)" }
}
