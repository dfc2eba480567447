/// The 12-byte header of every vhost-user message (vhost-user.rst, "Message Specification").
///
/// `request` is kept raw: an unknown code is a valid header that gets a clean error, not a decoding failure.
public struct VhostUserHeader: Sendable, Equatable {
    /// Size of the header on the wire.
    public static let size = 12
    /// Largest body this implementation accepts (rust-vmm's MAX_MSG_SIZE; the largest message, SET_MEM_TABLE with 8
    /// regions, is 264 bytes).
    public static let maxBodySize: UInt32 = 0x1000
    /// Bits 0-1 of flags: the protocol version, always 1.
    public static let versionMask: UInt32 = 0x3
    /// The only protocol version.
    public static let version: UInt32 = 0x1
    /// Flag bit 2: this message is a reply.
    public static let replyFlag: UInt32 = 1 << 2
    /// Flag bit 3: the sender wants a REPLY_ACK reply.
    public static let needReplyFlag: UInt32 = 1 << 3

    /// The request code, untrusted.
    public var request: UInt32
    /// Version and flag bits, untrusted.
    public var flags: UInt32
    /// Size of the body that follows, untrusted.
    public var size: UInt32

    public init(request: UInt32, flags: UInt32, size: UInt32) {
        self.request = request
        self.flags = flags
        self.size = size
    }

    /// Decodes a header from exactly 12 little-endian bytes.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == Self.size else { return nil }
        var r = WireReader(Array(bytes))
        guard let req = r.u32(), let fl = r.u32(), let sz = r.u32() else { return nil }
        request = req
        flags = fl
        size = sz
    }

    /// Encodes the header.
    public var bytes: [UInt8] {
        var w = WireWriter()
        w.u32(request)
        w.u32(flags)
        w.u32(size)
        return w.bytes
    }

    /// Whether the version bits say 1 and no bit other than REPLY/NEED_REPLY is set.
    public var isWellFormed: Bool {
        flags & Self.versionMask == Self.version && flags & ~(Self.versionMask | Self.replyFlag | Self.needReplyFlag) == 0
    }

    /// Whether the NEED_REPLY flag is set.
    public var needsReply: Bool { flags & Self.needReplyFlag != 0 }
}
