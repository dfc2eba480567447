/// Attributes with their cache timeout (GETATTR, SETATTR).
public struct AttributesReply: Sendable, Hashable {
    /// The attributes.
    public var attributes: FileAttributes
    /// How long the guest may cache them.
    public var timeout: CacheTimeout

    @inlinable
    public init(attributes: FileAttributes, timeout: CacheTimeout) {
        self.attributes = attributes
        self.timeout = timeout
    }
}
