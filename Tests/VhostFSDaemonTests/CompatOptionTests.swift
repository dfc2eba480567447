import Testing

@testable import VhostFSDaemon

/// virtiofsd's legacy `-o` options and the command lines libvirt and Kata Containers build.
@Suite struct CompatOptionTests {
    typealias C = DaemonConfiguration

    static let goodCases: [(CommandLineCase, @Sendable (CommandLineFixture) throws -> DaemonConfiguration)] = [
        // libvirt without "separate-options" (qemuVirtioFSBuildCommandLine).
        (
            CommandLineCase([
                "--fd=$FD", "-o", "source=$SHARE,cache=always,sandbox=chroot,xattr,flock,posix_lock",
                "--thread-pool-size=16", "-d",
            ]),
            { f in
                try C(
                    listen: .inheritedFD(f.socket.fd), sharedDirectory: f.share, cache: .always, xattr: true,
                    posixLocks: true, flock: true, logLevel: .debug, threadPoolSize: 16, sandbox: .chroot)
            }
        ),
        (
            CommandLineCase(["--fd=$FD", "-o", "source=$SHARE,cache=none,no_xattr,no_flock,no_posix_lock"]),
            { f in
                try C(listen: .inheritedFD(f.socket.fd), sharedDirectory: f.share, cache: .never)
            }
        ),
        // libvirt with "separate-options".
        (
            CommandLineCase([
                "--fd=$FD", "--shared-dir", "$SHARE", "--cache", "never", "--sandbox", "chroot", "--xattr",
                "--thread-pool-size=4", "--log-level", "debug",
            ]),
            { f in
                try C(
                    listen: .inheritedFD(f.socket.fd), sharedDirectory: f.share, cache: .never, xattr: true,
                    logLevel: .debug, threadPoolSize: 4, sandbox: .chroot)
            }
        ),
        // Kata Containers, older and newer.
        (
            CommandLineCase([
                "--syslog", "-o", "cache=always", "-o", "no_posix_lock", "-o", "source=$SHARE", "--fd=$FD",
            ]),
            { f in
                try C(
                    listen: .inheritedFD(f.socket.fd), sharedDirectory: f.share, cache: .always, logDestination: .syslog
                )
            }
        ),
        (
            CommandLineCase([
                "--syslog", "--cache=auto", "--shared-dir=$SHARE", "--fd=$FD", "--thread-pool-size=1",
                "--announce-submounts",
            ]),
            { f in
                try C(
                    listen: .inheritedFD(f.socket.fd), sharedDirectory: f.share, announceSubmounts: true,
                    logDestination: .syslog, threadPoolSize: 1)
            }
        ),
        // Joined short option, repeated -o, last one wins inside -o.
        (
            CommandLineCase(["-osource=$SHARE,cache=metadata", "--socket-path=$SOCK"]),
            { f in
                try C(listen: .socketPath(f.socketPath), sharedDirectory: f.share, cache: .metadata)
            }
        ),
        (
            CommandLineCase(["-oxattr", "-o", "source=$SHARE", "-ocache=metadata", "--socket-path=$SOCK"]),
            { f in
                try C(listen: .socketPath(f.socketPath), sharedDirectory: f.share, cache: .metadata, xattr: true)
            }
        ),
        (
            CommandLineCase(["--socket-path=$SOCK", "--tag=-oddly", "-o", "source=$SHARE"]),
            { f in
                try C(listen: .socketPath(f.socketPath), sharedDirectory: f.share, tag: "-oddly")
            }
        ),
        (
            CommandLineCase([
                "--socket-path=$SOCK", "-o", "source=$SHARE,xattr,no_xattr", "-o", "cache=always", "-o", "cache=auto",
            ]),
            { f in
                try C(listen: .socketPath(f.socketPath), sharedDirectory: f.share)
            }
        ),
        (
            CommandLineCase(["--socket-path=$SOCK", "-o", "source=$SHARE,writeback,readdirplus,announce_submounts"]),
            { f in
                try C(
                    listen: .socketPath(f.socketPath), sharedDirectory: f.share, writeback: true,
                    announceSubmounts: true)
            }
        ),
        (
            CommandLineCase([
                "--socket-path=$SOCK", "-o",
                "source=$SHARE,writeback,no_writeback,no_readdirplus,no_announce_submounts",
            ]),
            { f in
                try C(listen: .socketPath(f.socketPath), sharedDirectory: f.share, readdirplus: false)
            }
        ),
        (
            CommandLineCase(["--socket-path=$SOCK", "-o", "source=$SHARE,log_level=err"]),
            { f in
                try C(listen: .socketPath(f.socketPath), sharedDirectory: f.share, logLevel: .error)
            }
        ),
        (
            CommandLineCase(["--socket-path=$SOCK", "-o", "source=$SHARE,loglevel=warning"]),
            { f in
                try C(listen: .socketPath(f.socketPath), sharedDirectory: f.share, logLevel: .warn)
            }
        ),
        (
            CommandLineCase(["--socket-path=$SOCK", "-o", "source=$SHARE,debug"]),
            { f in
                try C(listen: .socketPath(f.socketPath), sharedDirectory: f.share, logLevel: .debug)
            }
        ),
        (
            CommandLineCase(["--socket-path=$SOCK", "-o", "source=$SHARE,sandbox=namespace"]),
            { f in
                try C(listen: .socketPath(f.socketPath), sharedDirectory: f.share, sandbox: .namespace)
            }
        ),
        (
            CommandLineCase([
                "--socket-path=$SOCK", "-o",
                "source=$SHARE,no_allow_direct_io,no_killpriv_v2,no_posix_acl,no_security_label",
            ]),
            { f in
                try C(listen: .socketPath(f.socketPath), sharedDirectory: f.share, killprivV2: false)
            }
        ),
        (
            CommandLineCase(["--socket-path=$SOCK", "-o", "source=$SHARE,allow_direct_io"]),
            { f in
                try C(listen: .socketPath(f.socketPath), sharedDirectory: f.share, allowDirectIO: true)
            }
        ),
        // The same value through two spellings is not a conflict.
        (
            CommandLineCase([
                "--socket-path=$SOCK", "--shared-dir=$SHARE", "-o", "source=$SHARE/.,xattr,cache=none", "--xattr",
                "--cache=never",
            ]),
            { f in
                try C(listen: .socketPath(f.socketPath), sharedDirectory: f.share, cache: .never, xattr: true)
            }
        ),
        (
            CommandLineCase(["--socket-path=$SOCK", "--shared-dir=$SHARE", "-d", "-o", "log_level=debug"]),
            { f in
                try C(listen: .socketPath(f.socketPath), sharedDirectory: f.share, logLevel: .debug)
            }
        ),
    ]

    @Test(arguments: goodCases.indices)
    func acceptsLegacyOptions(index: Int) throws {
        let (testCase, expected) = Self.goodCases[index]
        let fixture = try CommandLineFixture()
        let arguments = fixture.fill(testCase.arguments)
        #expect(try configuration(arguments) == (try expected(fixture)), "\(arguments)")
    }

    @Test func aDoubledCommaIsACommaInAValue() throws {
        let fixture = try CommandLineFixture()
        let odd = try fixture.tree.directory("a,b,,c")
        let c = try configuration([
            "--socket-path=\(fixture.socketPath)", "-o", "source=\(fixture.tree.path)/a,,b,,,,c,xattr",
        ])
        #expect(c.sharedDirectory == odd)
        #expect(c.xattr)
        #expect(try CompatOptionList.split("a,,b,c") == ["a,b", "c"])
        #expect(try CompatOptionList.split("x") == ["x"])
    }

    static let badCases: [CommandLineCase] = [
        CommandLineCase(["-o", "bogus"], "-o bogus: unknown or unsupported option"),
        CommandLineCase(["-o", "xattr,bogus"], "-o bogus: unknown or unsupported option"),
        CommandLineCase(["-o", "modcaps=+sys_bogus"], "-o modcaps: sys_bogus is not a capability name"),
        CommandLineCase(
            ["-o", "xattrmap=:map::user.virtiofs."], "-o xattrmap: rule 1: missing the prefix, or the ':' that ends it"
        ),
        CommandLineCase(["-o", "security_label"], "-o security_label: " + CommandLineSettings.securityLabelRefusal),
        CommandLineCase(["--allow-direct-io", "-o", "no_allow_direct_io"],
                        "-o no_allow_direct_io conflicts with --allow-direct-io"),
        CommandLineCase(["-o", "norace"], "-o norace: unknown or unsupported option"),
        CommandLineCase(["-o", "xattr=1"], "-o xattr: takes no value, but 1 was given"),
        CommandLineCase(["-o", "cache"], "-o cache: missing value (expected cache=...)"),
        CommandLineCase(["-o", "source"], "-o source: missing value (expected source=...)"),
        CommandLineCase(["-o", "log_level="], "-o log_level: empty value"),
        CommandLineCase(["-o", "cache=sometimes"], "-o cache: sometimes is not one of auto, always, never, metadata"),
        CommandLineCase(
            ["-o", "loglevel=loud"], "-o loglevel: loud is not one of error, warn, info, debug, trace, off"),
        CommandLineCase(["-o", "sandbox=jail"], "-o sandbox: jail is not one of none, chroot, namespace"),
        CommandLineCase(["-o", "source=$SHARE/missing"], "-o source: $SHARE/missing does not exist"),
        CommandLineCase(["-o", "source=$FILE"], "-o source: $FILE is not a directory"),
        CommandLineCase(["-o", "xattr,"], "-o xattr,: empty option"),
        CommandLineCase(["-o", ",xattr"], "-o ,xattr: empty option"),
        CommandLineCase(["-o", ""], "-o: empty option list"),
        CommandLineCase(["-o"], "Missing value for '-o <opt[,opt...]>'"),
        CommandLineCase(["--xattr", "-o", "no_xattr"], "-o no_xattr conflicts with --xattr"),
        CommandLineCase(["--no-xattr", "-o", "xattr"], "-o xattr conflicts with --no-xattr"),
        CommandLineCase(["--cache=never", "-o", "cache=always"], "-o cache conflicts with --cache"),
        CommandLineCase(["--shared-dir=$SHARE", "-o", "source=$SHARE/.."], "-o source conflicts with --shared-dir"),
        CommandLineCase(["-d", "-o", "log_level=info"], "-o log_level conflicts with -d"),
        CommandLineCase(["--sandbox=chroot", "-o", "sandbox=none"], "-o sandbox conflicts with --sandbox"),
        CommandLineCase(["--posix-lock", "-o", "no_posix_lock"], "-o no_posix_lock conflicts with --posix-lock"),
        CommandLineCase(["--flock", "-o", "no_flock"], "-o no_flock conflicts with --flock"),
        CommandLineCase(["--writeback", "-o", "no_writeback"], "-o no_writeback conflicts with --writeback"),
        CommandLineCase(["--no-readdirplus", "-o", "readdirplus"], "-o readdirplus conflicts with --no-readdirplus"),
    ]

    @Test(arguments: badCases)
    func refusesBadLegacyOptionsWithOneLine(testCase: CommandLineCase) throws {
        let fixture = try CommandLineFixture()
        let message = failureMessage(fixture.fill(testCase.arguments))
        #expect(message == fixture.fill(testCase.expected))
        #expect(message?.contains("\n") == false)
    }
}
