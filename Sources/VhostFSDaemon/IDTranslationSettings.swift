import FSDevAIO

/// The uid/gid translation asked for on the command line: virtiofsd's `--translate-uid`/`--translate-gid` rules,
/// applied by the daemon, and `--uid-map`/`--gid-map`, a user namespace's map.
///
/// An ordinary user's `--sandbox=namespace` writes `--uid-map`/`--gid-map` into the user namespace it creates
/// (`DaemonUserNamespace`, as virtiofsd does for rootless use); the kernel then translates and the guest sees
/// namespace ids, and `maps(namespaceEntered: true, ...)` leaves the namespace ranges out. Otherwise (root, or
/// `--sandbox=none`) the daemon applies the same map itself, with the kernel's rules (an unmapped host id shows as
/// the overflow id, an unmapped guest id is EINVAL), so the guest sees the same ids either way.
public struct IDTranslationSettings: Sendable, Hashable {
    /// `--translate-uid` rules, in the order given.
    public var uidRules: [IDMapRule] = []
    /// `--translate-gid` rules.
    public var gidRules: [IDMapRule] = []
    /// `--uid-map` ranges.
    public var uidNamespace: [NamespaceIDRange] = []
    /// `--gid-map` ranges.
    public var gidNamespace: [NamespaceIDRange] = []

    /// No translation.
    public static let none = IDTranslationSettings()

    public init(uidRules: [IDMapRule] = [], gidRules: [IDMapRule] = [], uidNamespace: [NamespaceIDRange] = [],
                gidNamespace: [NamespaceIDRange] = []) {
        self.uidRules = uidRules
        self.gidRules = gidRules
        self.uidNamespace = uidNamespace
        self.gidNamespace = gidNamespace
    }

    /// True when nothing is translated.
    public var isEmpty: Bool { self == .none }

    /// Checks every rule and range on its own and with the others of its option.
    ///
    /// - Throws: `DaemonConfigurationError` naming the option, e.g. `--translate-uid: map:0:10:5: guest range
    ///   [0, 5) overlaps [0, 100) of squash-guest:0:1:100`.
    func validate() throws(DaemonConfigurationError) {
        for (rules, option) in [(uidRules, "--translate-uid"), (gidRules, "--translate-gid")] {
            do { _ = try IDMap(rules: rules) } catch { throw .option(option, error.message) }
        }
        for (ranges, option) in [(uidNamespace, "--uid-map"), (gidNamespace, "--gid-map")] {
            do { _ = try IDMap(rules: [], namespace: ranges) } catch { throw .option(option, error.message) }
        }
    }

    /// The maps the passthrough device applies.
    ///
    /// - Parameters:
    ///   - namespaceEntered: the daemon runs in a user namespace set up with `uidNamespace`/`gidNamespace`, so the
    ///     kernel translates those and the device must not.
    ///   - overflowUID: what an unmapped host uid shows as (`/proc/sys/kernel/overflowuid`).
    ///   - overflowGID: likewise for gids.
    public func maps(namespaceEntered: Bool, overflowUID: UInt32 = 65534, overflowGID: UInt32 = 65534)
        throws(DaemonConfigurationError) -> (uid: IDMap, gid: IDMap)
    {
        try validate()
        do {
            let uid = try IDMap(rules: uidRules, namespace: namespaceEntered ? [] : uidNamespace,
                                overflowID: overflowUID)
            let gid = try IDMap(rules: gidRules, namespace: namespaceEntered ? [] : gidNamespace,
                                overflowID: overflowGID)
            return (uid, gid)
        } catch {
            throw DaemonConfigurationError(error.message)
        }
    }

    /// One phrase for the start-up line, e.g. `uids: squash-guest:0:1000:4294967295; gids: none`.
    var summary: String {
        func side(_ rules: [IDMapRule], _ ranges: [NamespaceIDRange]) -> String {
            let parts = rules.map(\.description) + ranges.map { "namespace \($0)" }
            return parts.isEmpty ? "unchanged" : parts.joined(separator: ", ")
        }
        return "uids \(side(uidRules, uidNamespace)); gids \(side(gidRules, gidNamespace))"
    }
}
