/// How extended attribute names travel between the guest (client) and the host file system (server): virtiofsd's
/// `--xattrmap` (doc/xattr-mapping.md), a list of rules of which the first that matches applies.
///
/// A name from the guest (GETXATTR, SETXATTR, REMOVEXATTR) is matched against each client-scoped rule's `key`; a
/// name the host lists (LISTXATTR) against each server-scoped rule's `prepend`:
///
/// | type | guest name matching `key` | host name matching `prepend` |
/// |---|---|---|
/// | `prefix` | `prepend` + name goes to the host | listed with `prepend` stripped |
/// | `ok` | goes to the host unchanged | listed unchanged |
/// | `bad` | SETXATTR/REMOVEXATTR EPERM, GETXATTR ENODATA | hidden |
/// | `unsupported` | EOPNOTSUPP | hidden |
///
/// A name no rule matches is treated as by `bad` (as if the map ended in `:bad:all:::`), so that a map without a
/// catch-all rule can never let a name through by accident.
///
/// Without `--xattrmap` the daemon uses `defaultPolicy`: `security.*` other than `security.selinux`, and
/// `trusted.*`, are `unsupported`. The daemon works as root: passed through, those would let a guest set file
/// capabilities (`security.capability`) or IMA/EVM labels honoured by the host, and read or write the host's
/// `trusted.*` attributes (overlayfs state, for one).
public struct ExtendedAttributeMap: Sendable, Hashable, CustomStringConvertible {
    /// What a matching rule does.
    public enum Kind: String, Sendable, Hashable {
        /// Adds `prepend` to guest names, strips it from host names.
        case prefix
        /// Lets the name through unchanged.
        case ok
        /// Refuses the guest name with EPERM (ENODATA for GETXATTR); hides the host name.
        case bad
        /// Refuses the guest name with EOPNOTSUPP; hides the host name.
        case unsupported
    }

    /// Which names a rule matches.
    public struct Scope: OptionSet, Sendable, Hashable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        /// Names from the guest (GETXATTR, SETXATTR, REMOVEXATTR), matched against `key`.
        public static let client = Scope(rawValue: 1)
        /// Names the host lists (LISTXATTR), matched against `prepend`.
        public static let server = Scope(rawValue: 2)
        /// Both.
        public static let all: Scope = [.client, .server]
    }

    /// One rule.
    public struct Rule: Sendable, Hashable {
        public var kind: Kind
        public var scope: Scope
        /// Prefix matched on guest names.
        public var key: [UInt8]
        /// Prefix matched on host names, and added to guest names by `prefix`.
        public var prepend: [UInt8]

        public init(_ kind: Kind, _ scope: Scope, key: String, prepend: String) {
            self.init(kind, scope, key: Array(key.utf8), prepend: Array(prepend.utf8))
        }

        public init(_ kind: Kind, _ scope: Scope, key: [UInt8], prepend: [UInt8]) {
            self.kind = kind
            self.scope = scope
            self.key = key
            self.prepend = prepend
        }
    }

    /// The rules in order (a `map` rule already expanded).
    public let rules: [Rule]
    /// The map as given (for logs).
    public let text: String

    /// A map of `rules`; `text` describes it in logs.
    public init(rules: [Rule], text: String) {
        self.rules = rules
        self.text = text
    }

    public var description: String { text }

    /// Without `--xattrmap`: `security.selinux` and everything outside `security.*` and `trusted.*` pass;
    /// other `security.*` and all `trusted.*` names are unsupported (hidden from listings, EOPNOTSUPP).
    public static let defaultPolicy = ExtendedAttributeMap(
        rules: [
            Rule(.ok, .all, key: "security.selinux", prepend: "security.selinux"),
            Rule(.unsupported, .all, key: "security.", prepend: "security."),
            Rule(.unsupported, .all, key: "trusted.", prepend: "trusted."),
            Rule(.ok, .all, key: "", prepend: ""),
        ],
        text: "/ok/all/security.selinux/security.selinux/ /unsupported/all/security./security./ "
            + "/unsupported/all/trusted./trusted./ /ok/all///")

    /// Where a guest name goes.
    public enum ClientOutcome: Equatable, Sendable {
        /// To the host as is.
        case pass
        /// To the host as `prepend` + name.
        case prefixed([UInt8])
        /// Refused by a `bad` rule (or by no rule).
        case refused
        /// Refused by an `unsupported` rule.
        case unsupported
    }

    /// Where a host name goes in a listing.
    public enum ServerOutcome: Equatable, Sendable {
        /// Listed as is.
        case pass
        /// Listed without its first `n` bytes (a `prefix` rule's `prepend`).
        case stripped(Int)
        /// Not listed.
        case hidden
    }

    /// The first client-scoped rule whose `key` starts `name` decides.
    public func mapClient(_ name: UnsafeRawBufferPointer) -> ClientOutcome {
        for rule in rules where rule.scope.contains(.client) && Self.hasPrefix(name, rule.key) {
            switch rule.kind {
            case .ok: return .pass
            case .prefix: return .prefixed(rule.prepend)
            case .bad: return .refused
            case .unsupported: return .unsupported
            }
        }
        return .refused
    }

    /// The first server-scoped rule whose `prepend` starts `name` decides.
    public func mapServer(_ name: UnsafeRawBufferPointer) -> ServerOutcome {
        for rule in rules where rule.scope.contains(.server) && Self.hasPrefix(name, rule.prepend) {
            switch rule.kind {
            case .ok: return .pass
            // A name that is exactly the prefix would list as an empty name: hide it.
            case .prefix: return name.count > rule.prepend.count ? .stripped(rule.prepend.count) : .hidden
            case .bad, .unsupported: return .hidden
            }
        }
        return .hidden
    }

    @inline(__always)
    private static func hasPrefix(_ name: UnsafeRawBufferPointer, _ prefix: [UInt8]) -> Bool {
        guard prefix.count <= name.count else { return false }
        for i in 0..<prefix.count where name[i] != prefix[i] { return false }
        return true
    }
}
