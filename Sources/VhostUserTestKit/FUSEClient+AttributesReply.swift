import CLinux

extension FUSEClient {
    /// The reply to GETATTR and SETATTR (`struct fuse_attr_out`).
    public struct AttributesReply: Hashable, Sendable {
        /// How long the attributes may be cached.
        public var valid: (seconds: UInt64, nanoseconds: UInt32)
        /// The attributes.
        public var attributes: Attributes

        /// Copies the fields of `raw`.
        public init(_ raw: fuse_attr_out) {
            valid = (raw.attr_valid, raw.attr_valid_nsec)
            attributes = Attributes(raw.attr)
        }

        public static func == (a: AttributesReply, b: AttributesReply) -> Bool {
            a.valid == b.valid && a.attributes == b.attributes
        }

        public func hash(into hasher: inout Hasher) { hasher.combine(attributes) }
    }
}
