/// One line of a user namespace's id map, as virtiofsd's `--uid-map`/`--gid-map` give it
/// (`:namespace_id:host_id:count:`; user_namespaces(7), "User and group ID mappings"): namespace ids
/// `inside..<inside+count` are host ids `outside..<outside+count`. The namespace ids are what the guest sees.
public struct NamespaceIDRange: Sendable, Hashable, CustomStringConvertible {
    /// First id inside the namespace (as the guest sees it).
    public var inside: UInt32
    /// First id outside the namespace (on the host).
    public var outside: UInt32
    /// Number of ids, at least 1.
    public var count: UInt32

    public init(inside: UInt32, outside: UInt32, count: UInt32) {
        self.inside = inside
        self.outside = outside
        self.count = count
    }

    /// The range in virtiofsd's syntax.
    public var description: String { ":\(inside):\(outside):\(count):" }
}
