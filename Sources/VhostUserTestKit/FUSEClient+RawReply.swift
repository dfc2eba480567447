extension FUSEClient {
    /// A reply kept as bytes, for `send(opcode:nodeID:body:replyCapacity:)` and hostile tests.
    public struct RawReply: Hashable, Sendable {
        /// The unique id the request carried.
        public var unique: UInt64
        /// 0, or the positive errno the backend returned (`-fuse_out_header.error`).
        public var error: Int32
        /// The payload after `fuse_out_header`.
        public var body: [UInt8]
        /// Bytes the device said it wrote (used element length).
        public var usedLength: UInt32
    }
}
