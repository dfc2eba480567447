/// An opaque open-file or open-directory handle id (FUSE's `fh`), with the same generation protection as `NodeID`.
public struct HandleID: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The 64-bit value carried in FUSE's `fh`.
    public let rawValue: UInt64

    @inlinable public init(rawValue: UInt64) { self.rawValue = rawValue }

    public var description: String { "handle \(rawValue >> 32):\(rawValue & 0xffff_ffff)" }
}
