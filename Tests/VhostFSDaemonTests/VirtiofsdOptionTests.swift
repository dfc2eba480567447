import Testing

@testable import VhostFSDaemon

/// virtiofsd 1.x's options that vhostfsd had not taken before: each is accepted with its meaning or refused with the
/// reason, in one line (the README's compatibility table lists all of them).
@Suite struct VirtiofsdOptionTests {
    typealias C = DaemonConfiguration

    static let accepted: [(CommandLineCase, @Sendable (CommandLineFixture) throws -> DaemonConfiguration)] = [
        (
            CommandLineCase(["--socket-path=$SOCK", "--shared-dir=$SHARE", "--allow-direct-io"]),
            { f in try C(listen: .socketPath(f.socketPath), sharedDirectory: f.share, allowDirectIO: true) }
        ),
        (
            CommandLineCase(["--socket-path=$SOCK", "--shared-dir=$SHARE", "--preserve-noatime"]),
            { f in try C(listen: .socketPath(f.socketPath), sharedDirectory: f.share, preserveNoatime: true) }
        ),
        (
            CommandLineCase(["--socket-path=$SOCK", "--shared-dir=$SHARE", "--cache=never", "--allow-mmap"]),
            { f in try C(listen: .socketPath(f.socketPath), sharedDirectory: f.share, cache: .never, allowMmap: true) }
        ),
        (
            CommandLineCase(["--socket-path=$SOCK", "--shared-dir=$SHARE", "--posix-acl"]),
            { f in try C(listen: .socketPath(f.socketPath), sharedDirectory: f.share, xattr: true, posixACL: true) }
        ),
        (
            CommandLineCase(["--socket-path=$SOCK", "-o", "source=$SHARE,posix_acl"]),
            { f in try C(listen: .socketPath(f.socketPath), sharedDirectory: f.share, posixACL: true) }
        ),
    ]

    @Test(arguments: accepted.indices)
    func acceptsWithTheirMeaning(index: Int) throws {
        let (testCase, expected) = Self.accepted[index]
        let fixture = try CommandLineFixture()
        let c = try configuration(fixture.fill(testCase.arguments))
        #expect(c == (try expected(fixture)))
        for flag in ["allow-direct-io", "preserve-noatime", "allow-mmap"]
        where testCase.arguments.contains("--" + flag) {
            #expect(c.summary.contains(flag), "\(c.summary)")
        }
    }

    @Test func theDeviceAndTheFUSEOfferGetThem() throws {
        let fixture = try CommandLineFixture()
        let c = try configuration([
            "--socket-path=\(fixture.socketPath)", "--shared-dir=\(fixture.share)", "--allow-direct-io",
            "--preserve-noatime", "--allow-mmap",
        ])
        #expect(c.fsdevOptions.directIO && c.fsdevOptions.preservesNoatime)
        #expect(c.virtioFS.fuse.directIOAllowMmap)
        let acl = try configuration([
            "--socket-path=\(fixture.socketPath)", "--shared-dir=\(fixture.share)", "--posix-acl",
        ])
        #expect(acl.xattr && acl.fsdevOptions.extendedAttributes && acl.virtioFS.fuse.posixACL)
        #expect(acl.summary.contains("xattr on") && acl.summary.contains("POSIX ACLs"))
        let plain = try configuration(["--socket-path=\(fixture.socketPath)", "--shared-dir=\(fixture.share)"])
        #expect(!plain.fsdevOptions.directIO && !plain.fsdevOptions.preservesNoatime)
        #expect(!plain.virtioFS.fuse.directIOAllowMmap)
    }

    @Test func posixACLConflictsWithItsNegation() throws {
        let fixture = try CommandLineFixture()
        #expect(failureMessage(["--socket-path=\(fixture.socketPath)", "--shared-dir=\(fixture.share)", "--posix-acl",
                                "-o", "no_posix_acl"]) == "-o no_posix_acl conflicts with --posix-acl")
    }

    static let refused: [CommandLineCase] = [
        CommandLineCase(["--security-label"], "--security-label: " + CommandLineSettings.securityLabelRefusal),
        CommandLineCase(["--migration-mode=file-handles"], "--migration-mode: " + CommandLineSettings.migrationRefusal),
        CommandLineCase(["--migration-on-error", "guest-error"],
                        "--migration-on-error: " + CommandLineSettings.migrationRefusal),
        CommandLineCase(["--migration-verify-handles"],
                        "--migration-verify-handles: " + CommandLineSettings.migrationRefusal),
        CommandLineCase(["--migration-confirm-paths"],
                        "--migration-confirm-paths: " + CommandLineSettings.migrationRefusal),
    ]

    @Test(arguments: refused)
    func refusesWithTheReasonInOneLine(testCase: CommandLineCase) throws {
        let fixture = try CommandLineFixture()
        let message = failureMessage(["--socket-path=\(fixture.socketPath)", "--shared-dir=\(fixture.share)"]
            + testCase.arguments)
        #expect(message == testCase.expected)
        #expect(message?.contains("\n") == false)
    }

    @Test func theBinaryExitsWithStatus2ForARefusedOption() throws {
        let fixture = try CommandLineFixture()
        let run = try ExecutableTests.run([
            "--socket-path=\(fixture.socketPath)", "--shared-dir=\(fixture.share)", "--migration-mode=find-paths",
        ])
        #expect(run.status == 2)
        #expect(run.standardError == "vhostfsd: --migration-mode: \(CommandLineSettings.migrationRefusal)\n")
    }
}
