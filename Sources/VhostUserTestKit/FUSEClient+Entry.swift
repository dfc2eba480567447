import CLinux

extension FUSEClient {
    /// A looked-up node (`struct fuse_entry_out`): LOOKUP, MKDIR, CREATE, SYMLINK, LINK, MKNOD and READDIRPLUS
    /// reply with one. Each entry with a non-zero node id adds one to the backend's lookup count of that node,
    /// to be returned with FORGET.
    public struct Entry: Hashable, Sendable {
        /// The node id for later requests (0: a negative entry, nothing to forget).
        public var nodeID: UInt64
        /// Generation of the node id.
        public var generation: UInt64
        /// How long the name may be cached.
        public var entryValid: (seconds: UInt64, nanoseconds: UInt32)
        /// How long the attributes may be cached.
        public var attributesValid: (seconds: UInt64, nanoseconds: UInt32)
        /// The node's attributes.
        public var attributes: Attributes

        /// Copies the fields of `raw`.
        public init(_ raw: fuse_entry_out) {
            nodeID = raw.nodeid
            generation = raw.generation
            entryValid = (raw.entry_valid, raw.entry_valid_nsec)
            attributesValid = (raw.attr_valid, raw.attr_valid_nsec)
            attributes = Attributes(raw.attr)
        }

        public static func == (a: Entry, b: Entry) -> Bool {
            a.nodeID == b.nodeID && a.generation == b.generation && a.entryValid == b.entryValid
                && a.attributesValid == b.attributesValid && a.attributes == b.attributes
        }

        public func hash(into hasher: inout Hasher) {
            hasher.combine(nodeID)
            hasher.combine(generation)
            hasher.combine(attributes)
        }
    }
}
