/// The answer to a lookup or a creation: a node the guest now holds one lookup reference on.
public struct NodeEntry: Sendable, Hashable {
    /// The node (forget it with FORGET when the guest drops it).
    public var node: NodeID
    /// Generation for FUSE's `generation` field.
    public var generation: UInt64
    /// Attributes at the time of the lookup.
    public var attributes: FileAttributes
    /// How long the guest may cache the name -> node binding.
    public var entryTimeout: CacheTimeout
    /// How long the guest may cache `attributes`.
    public var attributeTimeout: CacheTimeout

    @inlinable
    public init(node: NodeID, generation: UInt64, attributes: FileAttributes, entryTimeout: CacheTimeout,
                attributeTimeout: CacheTimeout) {
        self.node = node
        self.generation = generation
        self.attributes = attributes
        self.entryTimeout = entryTimeout
        self.attributeTimeout = attributeTimeout
    }
}
