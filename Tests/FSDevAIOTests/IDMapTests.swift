import LinuxSystem
import Testing

@testable import FSDevAIO

/// One row of the translation table: rules, then guest-to-host and host-to-guest expectations.
struct IDMapCase: CustomStringConvertible, Sendable {
    var rules: [IDMapRule]
    var namespace: [NamespaceIDRange] = []
    /// guest id -> expected host id, or the errno.
    var toHost: [(UInt32, Result<UInt32, Errno>)] = []
    /// host id -> expected guest id.
    var toGuest: [(UInt32, UInt32)] = []

    var description: String {
        (rules.map(\.description) + namespace.map { "ns\($0)" }).joined(separator: " ")
    }
}

@Suite struct IDMapTests {
    static let cases: [IDMapCase] = [
        // No rule: identity both ways.
        IDMapCase(rules: [], toHost: [(0, .success(0)), (1000, .success(1000)), (.max, .success(.max))],
                  toGuest: [(0, 0), (4_000_000_000, 4_000_000_000)]),
        // guest: one direction only, offset inside the range, identity outside.
        IDMapCase(rules: [.guest(guestBase: 1000, hostBase: 100_000, count: 10)],
                  toHost: [(999, .success(999)), (1000, .success(100_000)), (1009, .success(100_009)),
                           (1010, .success(1010))],
                  toGuest: [(100_000, 100_000), (1000, 1000)]),
        // host: the reverse direction only.
        IDMapCase(rules: [.host(hostBase: 100_000, guestBase: 0, count: 65536)],
                  toHost: [(0, .success(0)), (5, .success(5))],
                  toGuest: [(99_999, 99_999), (100_000, 0), (165_535, 65535), (165_536, 165_536)]),
        // squash-guest: the whole range onto one host id.
        IDMapCase(rules: [.squashGuest(guestBase: 0, host: 1001, count: 4_294_967_295)],
                  toHost: [(0, .success(1001)), (1000, .success(1001)), (4_294_967_294, .success(1001)),
                           (.max, .success(.max))],
                  toGuest: [(1001, 1001), (0, 0)]),
        // squash-host: the whole host range onto one guest id.
        IDMapCase(rules: [.squashHost(hostBase: 1000, guest: 0, count: 1)],
                  toHost: [(0, .success(0))], toGuest: [(999, 999), (1000, 0), (1001, 1001)]),
        // forbid-guest: EPERM inside, identity outside.
        IDMapCase(rules: [.forbidGuest(guestBase: 0, count: 1)],
                  toHost: [(0, .failure(.notPermitted)), (1, .success(1))], toGuest: [(0, 0)]),
        // map: both directions.
        IDMapCase(rules: [.map(guestBase: 1000, hostBase: 2000, count: 3)],
                  toHost: [(1000, .success(2000)), (1002, .success(2002)), (1003, .success(1003)),
                           (2000, .success(2000))],
                  toGuest: [(2000, 1000), (2002, 1002), (2003, 2003), (1000, 1000)]),
        // virtiofsd README's example: squash every guest id onto 1001, show 1001 as 1000.
        IDMapCase(rules: [.squashGuest(guestBase: 0, host: 1001, count: 4_294_967_295),
                          .host(hostBase: 1001, guestBase: 1000, count: 1)],
                  toHost: [(0, .success(1001)), (1000, .success(1001))], toGuest: [(1001, 1000), (0, 0)]),
        // Rules of different directions may cover the same ids; several ranges of one direction are searched.
        IDMapCase(rules: [.guest(guestBase: 10, hostBase: 110, count: 5), .forbidGuest(guestBase: 0, count: 5),
                          .squashGuest(guestBase: 20, host: 7, count: 5), .host(hostBase: 0, guestBase: 50, count: 5)],
                  toHost: [(4, .failure(.notPermitted)), (5, .success(5)), (12, .success(112)), (22, .success(7)),
                           (25, .success(25))],
                  toGuest: [(3, 53), (5, 5)]),
        // A user namespace map (--uid-map): unmapped guest ids are EINVAL, unmapped host ids the overflow id.
        IDMapCase(rules: [], namespace: [NamespaceIDRange(inside: 0, outside: 100_000, count: 65536)],
                  toHost: [(0, .success(100_000)), (1000, .success(101_000)), (65536, .failure(.invalidArgument))],
                  toGuest: [(100_000, 0), (101_000, 1000), (0, 65534), (165_536, 65534)]),
        // Several namespace ranges, and translation rules on top of them (guest -> rules -> namespace -> host).
        IDMapCase(rules: [.squashGuest(guestBase: 5000, host: 0, count: 10)],
                  namespace: [NamespaceIDRange(inside: 0, outside: 1000, count: 1),
                              NamespaceIDRange(inside: 1, outside: 200_000, count: 10)],
                  toHost: [(0, .success(1000)), (3, .success(200_002)), (5005, .success(1000)),
                           (11, .failure(.invalidArgument))],
                  toGuest: [(1000, 0), (200_009, 10), (1001, 65534)]),
    ]

    @Test(arguments: cases)
    func translatesEveryRuleKind(_ c: IDMapCase) throws {
        let map = try IDMap(rules: c.rules, namespace: c.namespace)
        #expect(map.isIdentity == (c.rules.isEmpty && c.namespace.isEmpty))
        for (guest, expected) in c.toHost {
            let got = Result { () throws(Errno) -> UInt32 in try map.host(forGuest: guest) }
            switch (got, expected) {
            case (.success(let a), .success(let b)): #expect(a == b, "guest \(guest)")
            case (.failure(let a), .failure(let b)): #expect(a == b, "guest \(guest)")
            default: Issue.record("guest \(guest): got \(got), expected \(expected)")
            }
        }
        for (host, guest) in c.toGuest {
            #expect(map.guest(forHost: host) == guest, "host \(host)")
        }
    }

    static let invalid: [([IDMapRule], [NamespaceIDRange], String)] = [
        ([.guest(guestBase: 0, hostBase: 0, count: 0)], [], "guest:0:0:0: the count must be at least 1"),
        ([.forbidGuest(guestBase: 1, count: 4_294_967_295)], [],
         "forbid-guest:1:4294967295: 1 + 4294967295 goes past 4294967295"),
        ([.map(guestBase: 0, hostBase: 4_294_967_000, count: 1000)], [],
         "map:0:4294967000:1000: 4294967000 + 1000 goes past 4294967295"),
        ([.squashGuest(guestBase: 0, host: 1, count: 100), .guest(guestBase: 99, hostBase: 5, count: 1)], [],
         "guest:99:5:1: guest range [99, 100) overlaps [0, 100) of squash-guest:0:1:100"),
        ([.host(hostBase: 10, guestBase: 0, count: 10), .map(guestBase: 50, hostBase: 15, count: 1)], [],
         "map:50:15:1: host range [15, 16) overlaps [10, 20) of host:10:0:10"),
        ([], [NamespaceIDRange(inside: 0, outside: 1000, count: 10), NamespaceIDRange(inside: 5, outside: 0, count: 1)],
         ":5:0:1:: namespace range [5, 6) overlaps [0, 10) of :0:1000:10:"),
        ([], [NamespaceIDRange(inside: 0, outside: 1000, count: 10),
              NamespaceIDRange(inside: 50, outside: 1009, count: 1)],
         ":50:1009:1:: host range [1009, 1010) overlaps [1000, 1010) of :0:1000:10:"),
        ([], [NamespaceIDRange(inside: 0, outside: 0, count: 0)], ":0:0:0:: the count must be at least 1"),
    ]

    @Test func invalidRulesAreRefusedWithOneLine() {
        for (rules, namespace, message) in Self.invalid {
            #expect(throws: IDMapError(message)) { try IDMap(rules: rules, namespace: namespace) }
        }
    }

    @Test func rulesPrintInVirtiofsdSyntax() {
        #expect("\(IDMapRule.squashGuest(guestBase: 0, host: 1001, count: 7))" == "squash-guest:0:1001:7")
        #expect("\(IDMapRule.forbidGuest(guestBase: 3, count: 2))" == "forbid-guest:3:2")
        #expect("\(NamespaceIDRange(inside: 0, outside: 100_000, count: 65536))" == ":0:100000:65536:")
    }

    @Test func posixACLEntriesAreTranslatedAndMalformedValuesRefused() throws {
        // version 2; USER_OBJ, USER 1000, GROUP_OBJ, GROUP 2000, MASK, OTHER.
        func entry(_ tag: UInt16, _ perm: UInt16, _ id: UInt32) -> [UInt8] {
            withUnsafeBytes(of: tag.littleEndian) { Array($0) } + withUnsafeBytes(of: perm.littleEndian) { Array($0) }
                + withUnsafeBytes(of: id.littleEndian) { Array($0) }
        }
        let undefined = UInt32.max
        var acl: [UInt8] = [2, 0, 0, 0] + entry(0x01, 6, undefined) + entry(0x02, 4, 1000) + entry(0x04, 4, undefined)
            + entry(0x08, 4, 2000) + entry(0x10, 4, undefined) + entry(0x20, 0, undefined)
        try acl.withUnsafeMutableBytes { bytes in
            try PosixACLValue.translate(
                bytes, user: { (id) throws(Errno) in id + 1 }, group: { (id) throws(Errno) in id + 2 })
        }
        #expect(acl == [2, 0, 0, 0] + entry(0x01, 6, undefined) + entry(0x02, 4, 1001) + entry(0x04, 4, undefined)
            + entry(0x08, 4, 2002) + entry(0x10, 4, undefined) + entry(0x20, 0, undefined))
        for bad: [UInt8] in [[], [2, 0, 0], [1, 0, 0, 0] + entry(0x02, 4, 1), [2, 0, 0, 0, 1], [2, 0, 0, 0] + [0, 0]] {
            var copy = bad
            #expect(throws: Errno.invalidArgument, "\(bad)") {
                try copy.withUnsafeMutableBytes { bytes in
                    try PosixACLValue.translate(
                        bytes, user: { (id) throws(Errno) in id }, group: { (id) throws(Errno) in id })
                }
            }
        }
        var forbidden = [2, 0, 0, 0] + entry(0x02, 4, 0)
        #expect(throws: Errno.notPermitted) {
            try forbidden.withUnsafeMutableBytes { bytes in
                try PosixACLValue.translate(bytes, user: { (_) throws(Errno) in throw .notPermitted },
                                            group: { (id) throws(Errno) in id })
            }
        }
    }
}
