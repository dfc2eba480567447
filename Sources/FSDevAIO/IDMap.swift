import LinuxSystem

/// How user (or group) ids cross between the guest and the host: virtiofsd's `--translate-uid` rules, optionally on
/// top of a user namespace's map (`--uid-map`) that the daemon applies itself while it does not run in such a
/// namespace.
///
/// Guest to host (credentials of a creating caller, SETATTR's new owner, ids in POSIX ACLs the guest sets): the
/// translation rules first (an id no rule covers stays as it is; `forbid-guest` gives EPERM), then the namespace
/// map, where an id outside every range is EINVAL, as the kernel answers for an unmapped id in a user namespace.
/// Host to guest (attributes in replies, ids in ACLs read back): the namespace map first, where an unmapped host id
/// shows as the overflow id (65534, `/proc/sys/kernel/overflowuid`), then the translation rules.
///
/// Both directions are independent, as in virtiofsd: `squash-guest` alone does not change what the guest sees.
public struct IDMap: Sendable, Hashable {
    /// Guest ids to namespace ids (`guest`, `squash-guest`, `forbid-guest`, `map`).
    private var guestToInner = IDRangeTable()
    /// Namespace ids to guest ids (`host`, `squash-host`, `map`).
    private var innerToGuest = IDRangeTable()
    /// Namespace ids to host ids, when a namespace map is applied.
    private var insideToOutside = IDRangeTable()
    /// Host ids to namespace ids, when a namespace map is applied.
    private var outsideToInside = IDRangeTable()
    /// Whether a namespace map is applied (then unmapped ids are not identity).
    private var hasNamespace = false
    /// What an unmapped host id becomes under a namespace map.
    public private(set) var overflowID: UInt32 = 65534

    /// No translation: every id is itself.
    public static let identity = IDMap()

    /// True when every id is itself in both directions (the request path then skips the lookups).
    public var isIdentity: Bool { guestToInner.isEmpty && innerToGuest.isEmpty && !hasNamespace }

    private init() {}

    /// Builds a map from translation rules and namespace ranges.
    ///
    /// - Parameters:
    ///   - rules: `--translate-uid` rules, in any order.
    ///   - namespace: `--uid-map` ranges to apply in the daemon; empty for none (no namespace, or a real user
    ///     namespace in which the kernel applies them).
    ///   - overflowID: what an unmapped host id shows as under `namespace`.
    /// - Throws: `IDMapError` for a zero count, a range past 4294967295, or overlapping ranges of one direction.
    public init(rules: [IDMapRule], namespace: [NamespaceIDRange] = [], overflowID: UInt32 = 65534)
        throws(IDMapError)
    {
        for rule in rules { try add(rule) }
        for range in namespace {
            let origin = "\(range)"
            let insideEnd = try Self.end(range.inside, range.count, origin)
            let outsideEnd = try Self.end(range.outside, range.count, origin)
            try insideToOutside.insert(
                .init(start: range.inside, end: insideEnd, target: .offset(base: range.outside), origin: origin),
                direction: "namespace")
            try outsideToInside.insert(
                .init(start: range.outside, end: outsideEnd, target: .offset(base: range.inside), origin: origin),
                direction: "host")
        }
        hasNamespace = !namespace.isEmpty
        self.overflowID = overflowID
    }

    /// The end of `base..<base+count`, checked as virtiofsd checks it (and `count` at least 1).
    private static func end(_ base: UInt32, _ count: UInt32, _ origin: String) throws(IDMapError) -> UInt32 {
        guard count > 0 else { throw IDMapError("\(origin): the count must be at least 1") }
        let (end, overflow) = base.addingReportingOverflow(count)
        guard !overflow else {
            throw IDMapError("\(origin): \(base) + \(count) goes past 4294967295")
        }
        return end
    }

    private mutating func add(_ rule: IDMapRule) throws(IDMapError) {
        let origin = "\(rule)"
        switch rule {
        case .guest(let g, let h, let n):
            try guestToInner.insert(range(g, n, .offset(base: h), origin, targetBase: h), direction: "guest")
        case .host(let h, let g, let n):
            try innerToGuest.insert(range(h, n, .offset(base: g), origin, targetBase: g), direction: "host")
        case .squashGuest(let g, let h, let n):
            try guestToInner.insert(range(g, n, .single(h), origin), direction: "guest")
        case .squashHost(let h, let g, let n):
            try innerToGuest.insert(range(h, n, .single(g), origin), direction: "host")
        case .forbidGuest(let g, let n):
            try guestToInner.insert(range(g, n, .refused, origin), direction: "guest")
        case .map(let g, let h, let n):
            try guestToInner.insert(range(g, n, .offset(base: h), origin, targetBase: h), direction: "guest")
            try innerToGuest.insert(range(h, n, .offset(base: g), origin, targetBase: g), direction: "host")
        }
    }

    private func range(
        _ base: UInt32, _ count: UInt32, _ target: IDRangeTable.Target, _ origin: String, targetBase: UInt32? = nil
    ) throws(IDMapError) -> IDRangeTable.Range {
        let end = try Self.end(base, count, origin)
        if let targetBase { _ = try Self.end(targetBase, count, origin) }
        return IDRangeTable.Range(start: base, end: end, target: target, origin: origin)
    }

    /// The host id for a guest id.
    ///
    /// - Throws: EPERM for an id a `forbid-guest` rule covers; EINVAL for one outside the namespace map.
    @inlinable
    public func host(forGuest id: UInt32) throws(Errno) -> UInt32 {
        if isIdentity { return id }
        return try translateGuest(id)
    }

    @usableFromInline
    func translateGuest(_ id: UInt32) throws(Errno) -> UInt32 {
        var inner = id
        switch guestToInner.lookup(id) {
        case .single(let mapped): inner = mapped
        case .refused: throw .notPermitted
        case .offset, nil: break
        }
        guard hasNamespace else { return inner }
        guard case .single(let outside) = insideToOutside.lookup(inner) else { throw .invalidArgument }
        return outside
    }

    /// The guest id for a host id (never fails: unmapped ids are themselves, or the overflow id under a namespace
    /// map).
    @inlinable
    public func guest(forHost id: UInt32) -> UInt32 {
        if isIdentity { return id }
        return translateHost(id)
    }

    @usableFromInline
    func translateHost(_ id: UInt32) -> UInt32 {
        var inner = id
        if hasNamespace {
            if case .single(let inside) = outsideToInside.lookup(id) { inner = inside } else { inner = overflowID }
        }
        if case .single(let guest) = innerToGuest.lookup(inner) { return guest }
        return inner
    }
}
