import FSDevAIO
import Testing

/// `--xattrmap` in virtiofsd's syntax (doc/xattr-mapping.md): the parser, table by table, and where names go.
@Suite struct ExtendedAttributeMapTests {
    typealias M = ExtendedAttributeMap
    typealias R = ExtendedAttributeMap.Rule

    static let goodMaps: [(String, [R])] = [
        (":prefix:client:trusted.:user.virtiofs.:", [R(.prefix, .client, key: "trusted.", prepend: "user.virtiofs.")]),
        (":prefix:all::user.virtiofs.::bad:all:::",
         [R(.prefix, .all, key: "", prepend: "user.virtiofs."), R(.bad, .all, key: "", prepend: "")]),
        // Any separator, a different one per rule, white space (new lines too) between rules.
        ("  /ok/server//security./\n |unsupported|all|security.ima|security.ima|\t", [
            R(.ok, .server, key: "", prepend: "security."),
            R(.unsupported, .all, key: "security.ima", prepend: "security.ima"),
        ]),
        // Fields may hold any byte but the rule's separator, spaces included.
        (":ok:client:a b:c d:", [R(.ok, .client, key: "a b", prepend: "c d")]),
        // map with an empty key: everything prefixed, everything else hidden and refused.
        (":map::user.virtiofs.:",
         [R(.prefix, .all, key: "", prepend: "user.virtiofs."), R(.bad, .all, key: "", prepend: "")]),
        // map with a key: doc/xattr-mapping.md example 2.
        ("/map/trusted./user.virtiofs./", [
            R(.prefix, .all, key: "trusted.", prepend: "user.virtiofs."),
            R(.bad, .server, key: "", prepend: "trusted."),
            R(.bad, .client, key: "user.virtiofs.", prepend: ""),
            R(.ok, .all, key: "", prepend: ""),
        ]),
        (":ok:client:user.::/map/trusted./t./", [
            R(.ok, .client, key: "user.", prepend: ""), R(.prefix, .all, key: "trusted.", prepend: "t."),
            R(.bad, .server, key: "", prepend: "trusted."), R(.bad, .client, key: "t.", prepend: ""),
            R(.ok, .all, key: "", prepend: ""),
        ]),
    ]

    @Test(arguments: goodMaps.indices)
    func parsesRules(index: Int) throws {
        let (text, rules) = Self.goodMaps[index]
        let map = try M.parse(text)
        #expect(map.rules == rules, "\(text)")
        #expect(map.text == text)
    }

    static let badMaps: [(String, String)] = [
        ("", "no rules"),
        (" \n\t ", "no rules"),
        (":", "rule 1: missing the type, or the ':' that ends it"),
        (":ok:all::", "rule 1: missing the prefix, or the ':' that ends it"),
        (":prefix:all:trusted.:user.vm.", "rule 1: missing the prefix, or the ':' that ends it"),
        (":ok:all", "rule 1: missing the scope, or the ':' that ends it"),
        (":ok:all::: :ok", "rule 2: missing the type, or the ':' that ends it"),
        (":map:key", "rule 1: missing the key, or the ':' that ends it"),
        (":allow:all:::", "rule 1: unknown type 'allow' (expected prefix, ok, bad, unsupported or map)"),
        (":OK:all:::", "rule 1: unknown type 'OK' (expected prefix, ok, bad, unsupported or map)"),
        (":ok:both:::", "rule 1: unknown scope 'both' (expected all, client or server)"),
        ("::all:::", "rule 1: unknown type '' (expected prefix, ok, bad, unsupported or map)"),
        (":map::a.: :ok:all:::", "rule 1: a map rule must be the last rule"),
        (":ok:all::: :map::a.: :map::b.:", "rule 2: a map rule must be the last rule"),
        (":ok:all:" + String(repeating: "k", count: 256) + "::",
         "rule 1: the key is 256 bytes, longer than an xattr name (255)"),
        (":ok:all::" + String(repeating: "p", count: 300) + ":",
         "rule 1: the prefix is 300 bytes, longer than an xattr name (255)"),
    ]

    @Test(arguments: badMaps.indices)
    func refusesBadMapsWithOneLine(index: Int) {
        let (text, message) = Self.badMaps[index]
        do {
            let map = try M.parse(text)
            Issue.record("\(text) parsed as \(map.rules)")
        } catch {
            #expect(error.message == message, "\(text)")
            #expect(!error.message.contains("\n"))
        }
    }

    static func client(_ map: M, _ name: String) -> M.ClientOutcome {
        Array(name.utf8).withUnsafeBytes { map.mapClient($0) }
    }

    static func server(_ map: M, _ name: String) -> M.ServerOutcome {
        Array(name.utf8).withUnsafeBytes { map.mapServer($0) }
    }

    @Test func theDefaultPolicyRefusesSecurityButSELinuxAndTrusted() {
        let map = M.defaultPolicy
        for name in ["user.a", "system.posix_acl_access", "security.selinux", "other.x"] {
            #expect(Self.client(map, name) == .pass, "\(name)")
            #expect(Self.server(map, name) == .pass, "\(name)")
        }
        for name in ["security.capability", "security.ima", "security.evm", "security.apparmor", "trusted.overlay.x",
                     "trusted."] {
            #expect(Self.client(map, name) == .unsupported, "\(name)")
            #expect(Self.server(map, name) == .hidden, "\(name)")
        }
    }

    @Test func namesGoWhereTheFirstMatchingRuleSends() throws {
        let example2 = try M.parse("/map/trusted./user.virtiofs./")
        let prefix = Array("user.virtiofs.".utf8)
        #expect(Self.client(example2, "trusted.overlay") == .prefixed(prefix))
        #expect(Self.client(example2, "user.plain") == .pass)
        #expect(Self.client(example2, "user.virtiofs.trusted.x") == .refused)
        #expect(Self.server(example2, "user.virtiofs.trusted.overlay") == .stripped(prefix.count))
        #expect(Self.server(example2, "trusted.hosts-own") == .hidden)
        #expect(Self.server(example2, "user.plain") == .pass)
        #expect(Self.server(example2, "user.virtiofs.") == .hidden)  // would list as an empty name

        let everything = try M.parse(":map::user.virtiofs.:")
        #expect(Self.client(everything, "security.capability") == .prefixed(prefix))
        #expect(Self.server(everything, "user.virtiofs.security.capability") == .stripped(prefix.count))
        #expect(Self.server(everything, "user.hosts-own") == .hidden)

        // Names no rule matches are refused and hidden, as if the map ended with :bad:all:::.
        let partial = try M.parse(":ok:client:user.::/unsupported/server//security./")
        #expect(Self.client(partial, "user.x") == .pass)
        #expect(Self.client(partial, "trusted.x") == .refused)
        #expect(Self.server(partial, "security.selinux") == .hidden)
        #expect(Self.server(partial, "user.x") == .hidden)
    }
}
