import FSDevAIO
import LinuxSystem
import Testing

@testable import VhostFSDaemon

/// `--translate-uid`/`--translate-gid` and `--uid-map`/`--gid-map` in virtiofsd's syntax.
@Suite struct IDTranslationOptionTests {
    /// Each case: the translation options and the settings they must give.
    static let goodCases: [([String], IDTranslationSettings)] = [
        (["--translate-uid=guest:1000:101000:10"],
         IDTranslationSettings(uidRules: [.guest(guestBase: 1000, hostBase: 101_000, count: 10)])),
        (["--translate-uid", "host:101000:1000:10"],
         IDTranslationSettings(uidRules: [.host(hostBase: 101_000, guestBase: 1000, count: 10)])),
        (["--translate-gid=squash-guest:0:100:4294967295"],
         IDTranslationSettings(gidRules: [.squashGuest(guestBase: 0, host: 100, count: 4_294_967_295)])),
        (["--translate-gid=squash-host:0:1000:65536"],
         IDTranslationSettings(gidRules: [.squashHost(hostBase: 0, guest: 1000, count: 65536)])),
        (["--translate-uid=forbid-guest:0:1"], IDTranslationSettings(uidRules: [.forbidGuest(guestBase: 0, count: 1)])),
        (["--translate-uid=map:0:100000:65536"],
         IDTranslationSettings(uidRules: [.map(guestBase: 0, hostBase: 100_000, count: 65536)])),
        // virtiofsd: the type is case-insensitive and any separator that is not alphanumeric, '-' or '_' will do.
        (["--translate-uid=MAP/0/5/1"], IDTranslationSettings(uidRules: [.map(guestBase: 0, hostBase: 5, count: 1)])),
        // The README's example, repeated options in order.
        (["--translate-uid", "squash-guest:0:1001:4294967295", "--translate-gid", "squash-guest:0:100:4294967295",
          "--translate-uid", "host:1001:1000:1", "--translate-gid", "host:100:1000:1"],
         IDTranslationSettings(
            uidRules: [.squashGuest(guestBase: 0, host: 1001, count: 4_294_967_295),
                       .host(hostBase: 1001, guestBase: 1000, count: 1)],
            gidRules: [.squashGuest(guestBase: 0, host: 100, count: 4_294_967_295),
                       .host(hostBase: 100, guestBase: 1000, count: 1)])),
        // libvirt's <idmap>: --uid-map/--gid-map, repeatable, any delimiter.
        (["--uid-map=:0:100000:65536:", "--gid-map=:0:100000:65536:"],
         IDTranslationSettings(uidNamespace: [NamespaceIDRange(inside: 0, outside: 100_000, count: 65536)],
                               gidNamespace: [NamespaceIDRange(inside: 0, outside: 100_000, count: 65536)])),
        (["--uid-map=:0:1000:1:", "--uid-map=/1/100000/65535/"],
         IDTranslationSettings(uidNamespace: [NamespaceIDRange(inside: 0, outside: 1000, count: 1),
                                              NamespaceIDRange(inside: 1, outside: 100_000, count: 65535)])),
        // Translation on top of a namespace map.
        (["--uid-map=:0:100000:65536:", "--translate-uid=squash-guest:0:0:65536"],
         IDTranslationSettings(uidRules: [.squashGuest(guestBase: 0, host: 0, count: 65536)],
                               uidNamespace: [NamespaceIDRange(inside: 0, outside: 100_000, count: 65536)])),
    ]

    @Test(arguments: goodCases.indices)
    func acceptsVirtiofsdSyntax(index: Int) throws {
        let (options, expected) = Self.goodCases[index]
        let fixture = try CommandLineFixture()
        let c = try configuration(["--socket-path=\(fixture.socketPath)", "--shared-dir=\(fixture.share)"] + options)
        #expect(c.idTranslation == expected)
        #expect(c.summary.contains(expected.summary), "\(c.summary)")
    }

    static let badCases: [CommandLineCase] = [
        CommandLineCase(["--translate-uid=bogus:1:2:3"],
                        "--translate-uid: bogus:1:2:3: unknown type bogus (expected guest, host, squash-guest, "
                            + "squash-host, forbid-guest or map)"),
        CommandLineCase(["--translate-uid=map"],
                        "--translate-uid: map is not TYPE:FROM:TO:COUNT (e.g. squash-guest:0:1000:4294967295)"),
        CommandLineCase(["--translate-uid=map:1:2"], "--translate-uid: map:1:2: map takes 3 numbers, 2 given"),
        CommandLineCase(["--translate-uid=map:1:2:3:"], "--translate-uid: map:1:2:3:: map takes 3 numbers, 4 given"),
        CommandLineCase(["--translate-uid=forbid-guest:1:2:3"],
                        "--translate-uid: forbid-guest:1:2:3: forbid-guest takes 2 numbers, 3 given"),
        CommandLineCase(["--translate-gid=guest:1:x:3"],
                        "--translate-gid: guest:1:x:3: x is not an id (0 to 4294967295)"),
        CommandLineCase(["--translate-gid=guest:-1:2:3"],
                        "--translate-gid: guest:-1:2:3: -1 is not an id (0 to 4294967295)"),
        CommandLineCase(["--translate-gid=host:4294967296:2:3"],
                        "--translate-gid: host:4294967296:2:3: 4294967296 is not an id (0 to 4294967295)"),
        CommandLineCase(["--translate-uid=map:1::3"],
                        "--translate-uid: map:1::3: an empty field is not an id (0 to 4294967295)"),
        CommandLineCase(["--translate-uid=map:1:2:0"], "--translate-uid: map:1:2:0: the count must be at least 1"),
        CommandLineCase(["--translate-uid=squash-guest:1:0:4294967295"],
                        "--translate-uid: squash-guest:1:0:4294967295: 1 + 4294967295 goes past 4294967295"),
        CommandLineCase(["--translate-uid=map:0:4294967290:10"],
                        "--translate-uid: map:0:4294967290:10: 4294967290 + 10 goes past 4294967295"),
        CommandLineCase(["--translate-uid=squash-guest:0:1:100", "--translate-uid=guest:50:7:1"],
                        "--translate-uid: guest:50:7:1: guest range [50, 51) overlaps [0, 100) of "
                            + "squash-guest:0:1:100"),
        CommandLineCase(["--translate-gid=map:0:10:5", "--translate-gid=squash-host:12:0:1"],
                        "--translate-gid: squash-host:12:0:1: host range [12, 13) overlaps [10, 15) of map:0:10:5"),
        CommandLineCase(["--uid-map=0:1000:1"],
                        "--uid-map: 0:1000:1 is not :NAMESPACE_ID:HOST_ID:COUNT: (e.g. :0:100000:65536:)"),
        CommandLineCase(["--uid-map=:0:1000:1"],
                        "--uid-map: :0:1000:1 is not :NAMESPACE_ID:HOST_ID:COUNT: (e.g. :0:100000:65536:)"),
        CommandLineCase(["--uid-map=:0:1000:"],
                        "--uid-map: :0:1000: is not :NAMESPACE_ID:HOST_ID:COUNT: (e.g. :0:100000:65536:)"),
        CommandLineCase(["--gid-map=:0:1000/1:"],
                        "--gid-map: :0:1000/1: is not :NAMESPACE_ID:HOST_ID:COUNT: (e.g. :0:100000:65536:)"),
        CommandLineCase(["--gid-map=:a:1000:1:"], "--gid-map: :a:1000:1:: a is not an id (0 to 4294967295)"),
        CommandLineCase(["--uid-map=:0:1000:0:"], "--uid-map: :0:1000:0:: the count must be at least 1"),
        CommandLineCase(["--uid-map=:0:1000:10:", "--uid-map=:5:0:1:"],
                        "--uid-map: :5:0:1:: namespace range [5, 6) overlaps [0, 10) of :0:1000:10:"),
        CommandLineCase(["--translate-uid="], "Missing value for '--translate-uid <rule>'"),
    ]

    @Test(arguments: badCases)
    func refusesBadRulesWithOneLine(testCase: CommandLineCase) throws {
        let fixture = try CommandLineFixture()
        let arguments = ["--socket-path=\(fixture.socketPath)", "--shared-dir=\(fixture.share)"] + testCase.arguments
        let message = failureMessage(arguments)
        #expect(message == testCase.expected)
        #expect(message?.contains("\n") == false)
    }

    @Test func theBinaryExitsWithStatus2OnABadRule() throws {
        let fixture = try CommandLineFixture()
        let run = try ExecutableTests.run([
            "--socket-path=\(fixture.socketPath)", "--shared-dir=\(fixture.share)", "--translate-uid=squash:0:1:2",
        ])
        #expect(run.status == 2)
        #expect(run.standardError == "vhostfsd: --translate-uid: squash:0:1:2: unknown type squash (expected guest, "
                    + "host, squash-guest, squash-host, forbid-guest or map)\n")
    }

    @Test func theDeviceGetsTheNamespaceMapAppliedUntilAUserNamespaceIsEntered() throws {
        let settings = IDTranslationSettings(
            uidRules: [.host(hostBase: 100_000, guestBase: 7, count: 1)],
            uidNamespace: [NamespaceIDRange(inside: 0, outside: 100_000, count: 10)])
        let applied = try settings.maps(namespaceEntered: false, overflowUID: 65534)
        #expect(try applied.uid.host(forGuest: 3) == 100_003)
        #expect(throws: Errno.invalidArgument) { try applied.uid.host(forGuest: 10) }
        #expect(applied.uid.guest(forHost: 100_000) == 0)
        #expect(applied.uid.guest(forHost: 5) == 65534)
        #expect(applied.gid.isIdentity)
        // In a user namespace the kernel translates the namespace map; the device applies the rules only.
        let inNamespace = try settings.maps(namespaceEntered: true)
        #expect(try inNamespace.uid.host(forGuest: 10) == 10)
        #expect(inNamespace.uid.guest(forHost: 100_000) == 7)
    }
}
