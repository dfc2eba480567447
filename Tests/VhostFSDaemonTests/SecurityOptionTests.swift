import FSDevAIO
import Testing

@testable import VhostFSDaemon

/// `--killpriv-v2`/`--no-killpriv-v2` and `--xattrmap`, with their `-o` spellings (virtiofsd's names).
@Suite struct SecurityOptionTests {
    typealias C = DaemonConfiguration

    static let goodCases: [(CommandLineCase, @Sendable (CommandLineFixture) throws -> DaemonConfiguration)] = [
        // KILLPRIV_V2 is on unless turned off (virtiofsd defaults to off: see DaemonConfiguration.killprivV2).
        (
            CommandLineCase(["--socket-path=$SOCK", "--shared-dir=$SHARE"]),
            { f in try C(listen: .socketPath(f.socketPath), sharedDirectory: f.share, killprivV2: true) }
        ),
        (
            CommandLineCase(["--socket-path=$SOCK", "--shared-dir=$SHARE", "--killpriv-v2"]),
            { f in try C(listen: .socketPath(f.socketPath), sharedDirectory: f.share, killprivV2: true) }
        ),
        (
            CommandLineCase(["--socket-path=$SOCK", "--shared-dir=$SHARE", "--no-killpriv-v2"]),
            { f in try C(listen: .socketPath(f.socketPath), sharedDirectory: f.share, killprivV2: false) }
        ),
        (
            CommandLineCase(["--socket-path=$SOCK", "-o", "source=$SHARE,no_killpriv_v2,killpriv_v2"]),
            { f in try C(listen: .socketPath(f.socketPath), sharedDirectory: f.share, killprivV2: true) }
        ),
        // A map implies --xattr, as in virtiofsd.
        (
            CommandLineCase(["--socket-path=$SOCK", "--shared-dir=$SHARE", "--xattrmap=:map::user.virtiofs.:"]),
            { f in
                try C(listen: .socketPath(f.socketPath), sharedDirectory: f.share,
                      xattrMap: try ExtendedAttributeMap.parse(":map::user.virtiofs.:"))
            }
        ),
        (
            CommandLineCase(["--socket-path=$SOCK", "-o", "source=$SHARE,xattr,xattrmap=/ok/all///"]),
            { f in
                try C(listen: .socketPath(f.socketPath), sharedDirectory: f.share, xattr: true,
                      xattrMap: try ExtendedAttributeMap.parse("/ok/all///"))
            }
        ),
    ]

    @Test(arguments: goodCases.indices)
    func acceptsSecurityOptions(index: Int) throws {
        let (testCase, expected) = Self.goodCases[index]
        let fixture = try CommandLineFixture()
        let arguments = fixture.fill(testCase.arguments)
        let c = try configuration(arguments)
        #expect(c == (try expected(fixture)), "\(arguments)")
        if c.xattrMap != nil { #expect(c.xattr) }
        #expect(c.virtioFS.fuse.killprivV2 == c.killprivV2)
        #expect(c.fsdevOptions.extendedAttributeMap == c.xattrMap ?? .defaultPolicy)
    }

    static let badCases: [CommandLineCase] = [
        CommandLineCase(["--killpriv-v2", "--no-killpriv-v2"], "--no-killpriv-v2 conflicts with --killpriv-v2"),
        CommandLineCase(["--no-killpriv-v2", "-o", "killpriv_v2"], "-o killpriv_v2 conflicts with --no-killpriv-v2"),
        CommandLineCase(["-o", "killpriv_v2=1"], "-o killpriv_v2: takes no value, but 1 was given"),
        CommandLineCase(["--xattrmap="], "Missing value for '--xattrmap <map>'"),
        CommandLineCase(["--xattrmap", ""], "--xattrmap: empty value"),
        CommandLineCase(["--xattrmap", "   "], "--xattrmap: no rules"),
        CommandLineCase(["-o", "xattrmap"], "-o xattrmap: missing value (expected xattrmap=...)"),
        CommandLineCase(["--xattrmap=:bogus:all:::"],
                        "--xattrmap: rule 1: unknown type 'bogus' (expected prefix, ok, bad, unsupported or map)"),
        CommandLineCase(["--xattrmap=:ok:all:::/ok/some///"],
                        "--xattrmap: rule 2: unknown scope 'some' (expected all, client or server)"),
        CommandLineCase(["--xattrmap=:ok:all::"], "--xattrmap: rule 1: missing the prefix, or the ':' that ends it"),
        CommandLineCase(["--xattrmap=:map::a.: :ok:all:::"], "--xattrmap: rule 1: a map rule must be the last rule"),
        CommandLineCase(["--shared-dir=$SHARE", "--socket-path=$SOCK", "--no-xattr", "--xattrmap=:ok:all:::"],
                        "--xattrmap conflicts with --no-xattr: a map needs extended attributes"),
        CommandLineCase(["--xattrmap=:ok:all::x:", "-o", "xattrmap=:ok:all:::"],
                        "-o xattrmap conflicts with --xattrmap"),
    ]

    @Test(arguments: badCases)
    func refusesBadSecurityOptionsWithOneLine(testCase: CommandLineCase) throws {
        let fixture = try CommandLineFixture()
        let message = failureMessage(fixture.fill(testCase.arguments))
        #expect(message == fixture.fill(testCase.expected))
        #expect(message?.contains("\n") == false)
    }

    @Test func helpAndSummaryNameTheOptions() throws {
        guard case .print(let help) = parse(["--help"]) else {
            Issue.record("--help did not print")
            return
        }
        for option in ["--killpriv-v2", "--no-killpriv-v2", "--xattrmap <map>"] {
            #expect(help.contains(option), "help lacks \(option)")
        }
        let fixture = try CommandLineFixture()
        let c = try configuration(fixture.fill(["--socket-path=$SOCK", "--shared-dir=$SHARE", "--xattr"]))
        #expect(c.summary.contains("killpriv_v2 on"))
        #expect(c.summary.contains("xattr map default"))
    }
}
