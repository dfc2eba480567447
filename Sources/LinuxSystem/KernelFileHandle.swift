/// An exported file handle (name_to_handle_at(2)): an opaque byte string and a type that name an inode within its
/// filesystem, across renames, for as long as the inode exists, whether or not a descriptor holds it. Together with
/// the id of the mount it came from it identifies a file; `FileSystemCall.open(handle:mount:access:options:)` opens
/// it again.
///
/// Handles up to 24 bytes (ext4, XFS, tmpfs, btrfs) are stored inline, so that a table of them costs no
/// allocation per entry; longer ones (up to MAX_HANDLE_SZ, 128) keep the rest in an array.
public struct KernelFileHandle: Hashable, Sendable, CustomStringConvertible {
    /// Largest handle the kernel returns (MAX_HANDLE_SZ).
    public static let maximumSize = 128
    /// Bytes stored inline.
    static let inlineSize = 24

    /// The handle type (`handle_type`, a FILEID_* value chosen by the filesystem).
    public let type: Int32
    /// Number of bytes.
    public let count: UInt8
    private let word0: UInt64
    private let word1: UInt64
    private let word2: UInt64
    private let overflow: [UInt8]?

    /// A handle of `type` made of `bytes` (at most `maximumSize`).
    public init(type: Int32, bytes: UnsafeRawBufferPointer) {
        precondition(bytes.count <= Self.maximumSize, "a file handle has at most \(Self.maximumSize) bytes")
        self.type = type
        count = UInt8(bytes.count)
        var words: (UInt64, UInt64, UInt64) = (0, 0, 0)
        let inline = min(bytes.count, Self.inlineSize)
        // SAFETY: at most 24 bytes are copied into the 24-byte tuple, from inside `bytes`.
        withUnsafeMutableBytes(of: &words) { raw in
            if let base = bytes.baseAddress, inline > 0 { raw.baseAddress?.copyMemory(from: base, byteCount: inline) }
        }
        (word0, word1, word2) = words
        overflow = bytes.count > Self.inlineSize ? Array(bytes[Self.inlineSize...]) : nil
    }

    /// Runs `body` with the handle's bytes (in a temporary buffer valid only during the call).
    public func withBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        var words = (word0, word1, word2)
        guard let overflow else {
            // SAFETY: `count` <= 24 here, so the view stays inside the 24-byte tuple.
            return try withUnsafeBytes(of: &words) { (raw) throws(E) -> R in
                try body(UnsafeRawBufferPointer(rebasing: raw[..<Int(count)]))
            }
        }
        return try withUnsafeTemporaryAllocation(byteCount: Self.maximumSize, alignment: 8) {
            (buffer) throws(E) -> R in
            // SAFETY: 24 inline bytes then `overflow.count` <= 104 bytes, inside the 128-byte buffer.
            withUnsafeBytes(of: &words) { buffer.copyMemory(from: $0) }
            overflow.withUnsafeBytes { tail in
                UnsafeMutableRawBufferPointer(rebasing: buffer[Self.inlineSize...]).copyMemory(from: tail)
            }
            return try body(UnsafeRawBufferPointer(rebasing: buffer[..<Int(count)]))
        }
    }

    /// The bytes as an array (tests and diagnostics).
    public var bytes: [UInt8] { withBytes { Array($0) } }

    public var description: String {
        "handle type \(type): " + bytes.map { String($0, radix: 16) }.joined(separator: " ")
    }
}
