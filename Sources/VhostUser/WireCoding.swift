/// Little-endian reader over message bytes. Every read is bounds-checked and returns nil past the end.
public struct WireReader: Sendable {
    private let bytes: [UInt8]
    /// Index of the next byte to read.
    public private(set) var offset = 0

    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// Bytes left.
    public var remaining: Int { bytes.count - offset }

    private mutating func integer<T: FixedWidthInteger>(_: T.Type) -> T? {
        let n = MemoryLayout<T>.size
        guard remaining >= n else { return nil }
        var v: T = 0
        for i in 0..<n { v |= T(bytes[offset + i]) << (8 * i) }
        offset += n
        return v
    }

    /// Reads a little-endian UInt32.
    public mutating func u32() -> UInt32? { integer(UInt32.self) }
    /// Reads a little-endian UInt64.
    public mutating func u64() -> UInt64? { integer(UInt64.self) }
    /// Reads `count` raw bytes.
    public mutating func bytes(_ count: Int) -> [UInt8]? {
        guard count >= 0, remaining >= count else { return nil }
        defer { offset += count }
        return Array(bytes[offset..<(offset + count)])
    }
}

/// Little-endian writer of message bytes.
public struct WireWriter: Sendable {
    /// The bytes written so far.
    public private(set) var bytes: [UInt8] = []

    public init() {}

    private mutating func integer<T: FixedWidthInteger>(_ v: T) {
        for i in 0..<MemoryLayout<T>.size { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * i))) }
    }

    /// Appends a little-endian UInt32.
    public mutating func u32(_ v: UInt32) { integer(v) }
    /// Appends a little-endian UInt64.
    public mutating func u64(_ v: UInt64) { integer(v) }

    /// A body of one little-endian UInt64 (feature bits, counts, REPLY_ACK status, vring fd payloads).
    public static func u64Body(_ v: UInt64) -> [UInt8] {
        var w = WireWriter()
        w.u64(v)
        return w.bytes
    }
    /// Appends raw bytes.
    public mutating func append(_ b: [UInt8]) { bytes += b }
}
