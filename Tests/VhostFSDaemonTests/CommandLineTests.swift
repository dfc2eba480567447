import Foundation
import Testing

@testable import VhostFSDaemon

/// A command line with placeholders filled in per test: `$SHARE` (an existing directory), `$SOCK` (a socket path
/// in it that does not exist yet), `$FD` (an open Unix socket), `$FILE` (a regular file).
struct CommandLineCase: Sendable, CustomTestStringConvertible {
    let arguments: [String]
    let expected: String

    init(_ arguments: [String], _ expected: String = "") {
        self.arguments = arguments
        self.expected = expected
    }

    var testDescription: String { arguments.joined(separator: " ") }
}

/// The placeholders' values for one test.
struct CommandLineFixture {
    let tree: TemporaryDirectory
    let socket: TestSocket
    let share: String
    let file: String

    init() throws {
        tree = try TemporaryDirectory()
        socket = try TestSocket()
        share = try tree.directory("share")
        file = try tree.file("plain")
    }

    var socketPath: String { "\(tree.path)/vhostfsd.sock" }

    func fill(_ text: String) -> String {
        text.replacingOccurrences(of: "$SHARE", with: share)
            .replacingOccurrences(of: "$SOCK", with: socketPath)
            .replacingOccurrences(of: "$FILE", with: file)
            .replacingOccurrences(of: "$FD", with: String(socket.fd))
    }

    func fill(_ arguments: [String]) -> [String] { arguments.map(fill) }
}

/// Valid command lines and the configuration each must give.
@Suite struct CommandLineTests {
    typealias C = DaemonConfiguration

    /// Each case: the arguments and a function building the expected configuration in code.
    static let goodCases: [(CommandLineCase, @Sendable (CommandLineFixture) throws -> DaemonConfiguration)] = [
        (
            CommandLineCase(["--socket-path=$SOCK", "--shared-dir=$SHARE"]),
            { f in
                try C(listen: .socketPath(f.socketPath), sharedDirectory: f.share)
            }
        ),
        (
            CommandLineCase(["--socket-path", "$SOCK", "--shared-dir", "$SHARE"]),
            { f in
                try C(listen: .socketPath(f.socketPath), sharedDirectory: f.share)
            }
        ),
        (
            CommandLineCase(["--shared-dir=$SHARE", "--socket=$SOCK"]),
            { f in
                try C(listen: .socketPath(f.socketPath), sharedDirectory: f.share)
            }
        ),
        (
            CommandLineCase(["--socket-path=$SOCK", "--socket=$SOCK", "--shared-dir=$SHARE"]),
            { f in
                try C(listen: .socketPath(f.socketPath), sharedDirectory: f.share)
            }
        ),
        (
            CommandLineCase(["--fd=$FD", "--shared-dir=$SHARE"]),
            { f in
                try C(listen: .inheritedFD(f.socket.fd), sharedDirectory: f.share)
            }
        ),
        (
            CommandLineCase(["--fd", "$FD", "--shared-dir=$SHARE/."]),
            { f in
                try C(listen: .inheritedFD(f.socket.fd), sharedDirectory: f.share)
            }
        ),
        (
            CommandLineCase([
                "--socket-path=$SOCK", "--shared-dir=$SHARE", "--tag=share0", "--cache=always", "--writeback",
                "--xattr",
                "--readonly", "--no-inline-reads", "--posix-lock", "--flock", "--no-readdirplus",
                "--announce-submounts", "--queues=4",
                "--queue-size=256", "--max-write=512K", "--reactor-cpus=0,2-3", "--poll-mode=busy", "--log-level=trace",
                "--syslog", "--thread-pool-size=8", "--sandbox=chroot", "-f",
            ]),
            { f in
                try C(
                    listen: .socketPath(f.socketPath), sharedDirectory: f.share, tag: "share0", cache: .always,
                    writeback: true, xattr: true, readOnly: true, inlineReads: false, posixLocks: true, flock: true,
                    readdirplus: false, announceSubmounts: true, reactorCPUs: [0, 2, 3], pollMode: .busy, queues: 4, queueSize: 256,
                    maxWrite: 512 << 10, logLevel: .trace, logDestination: .syslog, threadPoolSize: 8, sandbox: .chroot,
                    allowedCPUs: testCPUs)
            }
        ),
        (
            CommandLineCase([
                "--socket-path=$SOCK", "--shared-dir=$SHARE", "--no-xattr", "--no-posix-lock", "--no-flock",
                "--no-announce-submounts", "--sandbox=none", "--sandbox=namespace",
            ]),
            { f in
                try C(listen: .socketPath(f.socketPath), sharedDirectory: f.share, sandbox: .namespace)
            }
        ),
        (
            CommandLineCase(["--socket-path=$SOCK", "--shared-dir=$SHARE", "--poll-mode=adaptive", "--poll-us=0"]),
            { f in
                try C(listen: .socketPath(f.socketPath), sharedDirectory: f.share, pollMode: .adaptive,
                      pollMicroseconds: 0)
            }
        ),
        (
            CommandLineCase(["--socket-path=$SOCK", "--shared-dir=$SHARE", "--poll-mode=auto", "--poll-us=50"]),
            { f in
                try C(listen: .socketPath(f.socketPath), sharedDirectory: f.share, pollMode: .auto,
                      pollMicroseconds: 50)
            }
        ),
        (
            CommandLineCase(["--socket-path=$SOCK", "--shared-dir=$SHARE", "--io-engine=io_uring"]),
            { f in
                try C(listen: .socketPath(f.socketPath), sharedDirectory: f.share, ioEngine: .ioUring)
            }
        ),
        (
            CommandLineCase(
                ["--socket-path=$SOCK", "--shared-dir=$SHARE", "--io-engine=libaio", "--io-engine=threads"]),
            { f in
                try C(listen: .socketPath(f.socketPath), sharedDirectory: f.share, ioEngine: .threads)
            }
        ),
        (
            CommandLineCase(["--socket-path=$SOCK", "--shared-dir=$SHARE", "--poll-us=1000000"]),
            { f in
                try C(listen: .socketPath(f.socketPath), sharedDirectory: f.share, pollMicroseconds: 1_000_000)
            }
        ),
        (
            CommandLineCase(["--socket-path=$SOCK", "--shared-dir=$SHARE", "--poll-mode=interrupt"]),
            { f in
                try C(listen: .socketPath(f.socketPath), sharedDirectory: f.share, pollMode: .interrupt)
            }
        ),
        (
            CommandLineCase(["--socket-path=$SOCK", "--shared-dir=$SHARE", "--cache=none"]),
            { f in
                try C(listen: .socketPath(f.socketPath), sharedDirectory: f.share, cache: .never, readdirplus: false)
            }
        ),
        (
            CommandLineCase(["--socket-path=$SOCK", "--shared-dir=$SHARE", "--cache=metadata"]),
            { f in
                try C(listen: .socketPath(f.socketPath), sharedDirectory: f.share, cache: .metadata)
            }
        ),
        (
            CommandLineCase(["--socket-path=$SOCK", "--shared-dir=$SHARE", "--log-level=err"]),
            { f in
                try C(listen: .socketPath(f.socketPath), sharedDirectory: f.share, logLevel: .error)
            }
        ),
        (
            CommandLineCase(["--socket-path=$SOCK", "--shared-dir=$SHARE", "--log-level=WARNING"]),
            { f in
                try C(listen: .socketPath(f.socketPath), sharedDirectory: f.share, logLevel: .warn)
            }
        ),
        (
            CommandLineCase(["--socket-path=$SOCK", "--shared-dir=$SHARE", "--log-level", "off"]),
            { f in
                try C(listen: .socketPath(f.socketPath), sharedDirectory: f.share, logLevel: .off)
            }
        ),
        (
            CommandLineCase(["--socket-path=$SOCK", "--shared-dir=$SHARE", "-d"]),
            { f in
                try C(listen: .socketPath(f.socketPath), sharedDirectory: f.share, logLevel: .debug)
            }
        ),
        (
            CommandLineCase(["--socket-path=$SOCK", "--shared-dir=$SHARE", "-d", "--log-level=debug"]),
            { f in
                try C(listen: .socketPath(f.socketPath), sharedDirectory: f.share, logLevel: .debug)
            }
        ),
        (
            CommandLineCase(["--socket-path=$SOCK", "--shared-dir=$SHARE", "--max-write=16M"]),
            { f in
                try C(listen: .socketPath(f.socketPath), sharedDirectory: f.share, maxWrite: 16 << 20)
            }
        ),
        (
            CommandLineCase(["--socket-path=$SOCK", "--shared-dir=$SHARE", "--max-write=4096"]),
            { f in
                try C(listen: .socketPath(f.socketPath), sharedDirectory: f.share, maxWrite: 4096)
            }
        ),
        (
            CommandLineCase(["--socket-path=$SOCK", "--shared-dir=$SHARE", "--max-write=8k"]),
            { f in
                try C(listen: .socketPath(f.socketPath), sharedDirectory: f.share, maxWrite: 8192)
            }
        ),
        (
            CommandLineCase(["--socket-path=$SOCK", "--shared-dir=$SHARE", "--max-write=2MiB"]),
            { f in
                try C(listen: .socketPath(f.socketPath), sharedDirectory: f.share, maxWrite: 2 << 20)
            }
        ),
        (
            CommandLineCase(["--socket-path=$SOCK", "--shared-dir=$SHARE", "--queues=2", "--queues=3"]),
            { f in
                try C(listen: .socketPath(f.socketPath), sharedDirectory: f.share, queues: 3)
            }
        ),
        (
            CommandLineCase(["--socket-path=$SOCK", "--shared-dir=$SHARE", "--cache=never", "--cache=auto"]),
            { f in
                try C(listen: .socketPath(f.socketPath), sharedDirectory: f.share, cache: .auto)
            }
        ),
        (
            CommandLineCase(["--socket-path=$SOCK", "--shared-dir=$SHARE", "--queues=2", "--reactor-cpus=7,6"]),
            { f in
                try C(
                    listen: .socketPath(f.socketPath), sharedDirectory: f.share, reactorCPUs: [7, 6], queues: 2,
                    allowedCPUs: testCPUs)
            }
        ),
        (
            CommandLineCase([
                "--socket-path=$SOCK", "--shared-dir=$SHARE", "--tag=" + String(repeating: "t", count: 36),
            ]),
            { f in
                try C(
                    listen: .socketPath(f.socketPath), sharedDirectory: f.share, tag: String(repeating: "t", count: 36))
            }
        ),
        (
            CommandLineCase(["--socket-path=$SOCK", "--shared-dir=$SHARE", "--thread-pool-size=0"]),
            { f in
                try C(listen: .socketPath(f.socketPath), sharedDirectory: f.share)
            }
        ),
        (
            CommandLineCase([
                "--socket-path=$SOCK", "--shared-dir=$SHARE", "--inode-file-handles=mandatory", "--fd-cache=0",
                "--rlimit-nofile=0",
            ]),
            { f in
                try C(listen: .socketPath(f.socketPath), sharedDirectory: f.share, inodeFileHandles: .mandatory,
                      descriptorCache: 0, descriptorLimit: .unchanged)
            }
        ),
        (
            CommandLineCase([
                "--socket-path=$SOCK", "--shared-dir=$SHARE", "--inode-file-handles=fallback", "--fd-cache=1048576",
                "--rlimit-nofile=64",
            ]),
            { f in
                try C(listen: .socketPath(f.socketPath), sharedDirectory: f.share, inodeFileHandles: .prefer,
                      descriptorCache: 1 << 20, descriptorLimit: .exactly(64))
            }
        ),
        (
            CommandLineCase([
                "--socket-path=$SOCK", "--shared-dir=$SHARE", "--inode-file-handles", "never",
                "--rlimit-nofile=1073741816",
            ]),
            { f in
                try C(listen: .socketPath(f.socketPath), sharedDirectory: f.share, inodeFileHandles: .never,
                      descriptorLimit: .exactly(1_073_741_816))
            }
        ),
    ]

    @Test(arguments: goodCases.indices)
    func acceptsValidCommandLines(index: Int) throws {
        let (testCase, expected) = Self.goodCases[index]
        let fixture = try CommandLineFixture()
        let arguments = fixture.fill(testCase.arguments)
        let parsed = try configuration(arguments)
        #expect(parsed == (try expected(fixture)), "\(arguments)")
    }

    static let badCases: [CommandLineCase] = [
        // Missing or contradictory required options.
        CommandLineCase([], "one of --socket-path or --fd is required"),
        CommandLineCase(["--shared-dir=$SHARE"], "one of --socket-path or --fd is required"),
        CommandLineCase(["--socket-path=$SOCK"], "one of --shared-dir or -o source is required"),
        CommandLineCase(["--fd=$FD"], "one of --shared-dir or -o source is required"),
        CommandLineCase(
            ["--socket-path=$SOCK", "--fd=$FD", "--shared-dir=$SHARE"],
            "--socket-path and --fd are mutually exclusive"),
        CommandLineCase(
            ["--socket=$SOCK", "--fd=$FD", "--shared-dir=$SHARE"], "--socket and --fd are mutually exclusive"),
        CommandLineCase(
            ["--socket-path=$SOCK", "--socket=$SHARE/other.sock"], "--socket conflicts with --socket-path"),
        // Syntax, as swift-argument-parser reports it.
        CommandLineCase(["--bogus"], "Unknown option '--bogus'"),
        CommandLineCase(["-z"], "Unknown option '-z'"),
        CommandLineCase(["--socket-path"], "Missing value for '--socket-path <path>'"),
        CommandLineCase(["--socket-path=$SOCK", "--queue-size"], "Missing value for '--queue-size <n>'"),
        CommandLineCase(["--socket-path=$SOCK", "--shared-dir=$SHARE", "extra"], "Unexpected argument 'extra'"),
        CommandLineCase(
            ["--writeback=yes"], "The option '--writeback' does not take any value, but 'yes' was specified."),
        // Listening.
        CommandLineCase(["--socket-path=", "--shared-dir=$SHARE"], "Missing value for '--socket-path <path>'"),
        CommandLineCase(["--socket-path", "", "--shared-dir=$SHARE"], "--socket-path: empty value"),
        CommandLineCase(
            ["--socket-path=$FILE", "--shared-dir=$SHARE"], "--socket-path: $FILE exists and is not a socket"),
        CommandLineCase(
            ["--socket-path=$SHARE", "--shared-dir=$SHARE"], "--socket-path: $SHARE exists and is not a socket"),
        CommandLineCase(
            ["--socket-path=$SHARE/no/s.sock", "--shared-dir=$SHARE"],
            "--socket-path: cannot use directory $SHARE/no for the socket: No such file or directory"),
        CommandLineCase(
            ["--socket=$FILE/s.sock", "--shared-dir=$SHARE"],
            "--socket: cannot use directory $FILE for the socket: Not a directory"),
        CommandLineCase(["--fd=abc"], "--fd: abc is not an integer"),
        CommandLineCase(["--fd=-1"], "--fd: -1 is not a file descriptor number"),
        CommandLineCase(["--fd=3.5"], "--fd: 3.5 is not an integer"),
        CommandLineCase(["--fd=99999999999"], "--fd: 99999999999 is not a file descriptor number"),
        CommandLineCase(["--fd=999999", "--shared-dir=$SHARE"], "--fd: 999999 is not an open file descriptor"),
        // Shared directory.
        CommandLineCase(
            ["--socket-path=$SOCK", "--shared-dir=$SHARE/missing"], "--shared-dir: $SHARE/missing does not exist"),
        CommandLineCase(["--socket-path=$SOCK", "--shared-dir=$FILE"], "--shared-dir: $FILE is not a directory"),
        CommandLineCase(["--socket-path=$SOCK", "--shared-dir", ""], "--shared-dir: empty value"),
        // Tag.
        CommandLineCase(["--tag", ""], "--tag: empty value"),
        CommandLineCase(
            ["--tag=" + String(repeating: "t", count: 37)],
            "--tag: \(String(repeating: "t", count: 37)) is 37 bytes, longer than the 36 a virtio-fs tag can hold"),
        // Numbers.
        CommandLineCase(["--queues=abc"], "--queues: abc is not an integer"),
        CommandLineCase(["--queues=0"], "--queues: 0 is not between 1 and 64"),
        CommandLineCase(["--queues=65"], "--queues: 65 is not between 1 and 64"),
        CommandLineCase(["--queues=-3"], "--queues: -3 is not between 1 and 64"),
        CommandLineCase(["--queues=99999999999999999999"], "--queues: 99999999999999999999 is out of range"),
        CommandLineCase(["--queues= 2"], "--queues:  2 is not an integer"),
        CommandLineCase(["--queue-size=1000"], "--queue-size: 1000 is not a power of two between 64 and 32768"),
        CommandLineCase(["--queue-size=32"], "--queue-size: 32 is not a power of two between 64 and 32768"),
        CommandLineCase(["--queue-size=65536"], "--queue-size: 65536 is not a power of two between 64 and 32768"),
        CommandLineCase(["--queue-size=0x400"], "--queue-size: 0x400 is not an integer"),
        CommandLineCase(["--queue-size="], "Missing value for '--queue-size <n>'"),
        CommandLineCase(["--queue-size", ""], "--queue-size: empty value"),
        CommandLineCase(
            ["--max-write=1G"], "--max-write: 1G is not a byte count (a number with an optional K or M suffix)"),
        CommandLineCase(
            ["--max-write=K"], "--max-write: K is not a byte count (a number with an optional K or M suffix)"),
        CommandLineCase(
            ["--max-write=-4096"], "--max-write: -4096 is not a byte count (a number with an optional K or M suffix)"),
        CommandLineCase(
            ["--max-write=1000"], "--max-write: 1000 is not a multiple of 4096 between 4096 (4K) and 16777216 (16M)"),
        CommandLineCase(
            ["--max-write=32M"], "--max-write: 32M is not a multiple of 4096 between 4096 (4K) and 16777216 (16M)"),
        CommandLineCase(
            ["--max-write=2K"], "--max-write: 2K is not a multiple of 4096 between 4096 (4K) and 16777216 (16M)"),
        CommandLineCase(["--max-write=99999999999999999M"], "--max-write: 99999999999999999M is too large"),
        CommandLineCase(["--poll-us=-1"], "--poll-us: -1 is not between 0 and 1000000 microseconds"),
        CommandLineCase(["--poll-us=1000001"], "--poll-us: 1000001 is not between 0 and 1000000 microseconds"),
        CommandLineCase(["--thread-pool-size=-2"], "--thread-pool-size: -2 is negative"),
        CommandLineCase(["--thread-pool-size=many"], "--thread-pool-size: many is not an integer"),
        CommandLineCase(["--fd-cache=-1"], "--fd-cache: -1 is not between 0 and 1048576"),
        CommandLineCase(["--fd-cache=1048577"], "--fd-cache: 1048577 is not between 0 and 1048576"),
        CommandLineCase(["--fd-cache=lots"], "--fd-cache: lots is not an integer"),
        CommandLineCase(["--fd-cache", ""], "--fd-cache: empty value"),
        CommandLineCase(
            ["--rlimit-nofile=10"], "--rlimit-nofile: 10 is not 0 (unchanged) or between 64 and 1073741816"),
        CommandLineCase(
            ["--rlimit-nofile=1073741817"],
            "--rlimit-nofile: 1073741817 is not 0 (unchanged) or between 64 and 1073741816"),
        CommandLineCase(["--rlimit-nofile=-5"], "--rlimit-nofile: -5 is negative"),
        CommandLineCase(["--rlimit-nofile=1e6"], "--rlimit-nofile: 1e6 is not an integer"),
        // Names.
        CommandLineCase(["--cache=sometimes"], "--cache: sometimes is not one of auto, always, never, metadata"),
        CommandLineCase(["--cache=AUTO"], "--cache: AUTO is not one of auto, always, never, metadata"),
        CommandLineCase(["--poll-mode=fast"], "--poll-mode: fast is not one of auto, busy, adaptive, interrupt"),
        CommandLineCase(["--io-engine=uring"], "--io-engine: uring is not one of libaio, threads, io_uring"),
        CommandLineCase(["--io-engine=LIBAIO"], "--io-engine: LIBAIO is not one of libaio, threads, io_uring"),
        CommandLineCase(["--io-engine", ""], "--io-engine: empty value"),
        CommandLineCase(["--log-level=loud"], "--log-level: loud is not one of error, warn, info, debug, trace, off"),
        CommandLineCase(["--sandbox=jail"], "--sandbox: jail is not one of none, chroot, namespace"),
        CommandLineCase(
            ["--inode-file-handles=always"], "--inode-file-handles: always is not one of never, prefer, mandatory"),
        CommandLineCase(["--inode-file-handles", ""], "--inode-file-handles: empty value"),
        // Reactor CPUs.
        CommandLineCase(
            ["--reactor-cpus=0,x"], "--reactor-cpus: x is not a CPU number or range (expected a list like 0,1,4-6)"),
        CommandLineCase(["--reactor-cpus", ""], "--reactor-cpus: empty value"),
        CommandLineCase(
            ["--socket-path=$SOCK", "--shared-dir=$SHARE", "--queues=2", "--reactor-cpus=0,9"],
            "--reactor-cpus: CPU 9 is not an online CPU this process may run on (allowed: 0-7)"),
        CommandLineCase(
            ["--socket-path=$SOCK", "--shared-dir=$SHARE", "--queues=2", "--reactor-cpus=1,1"],
            "--reactor-cpus: CPU 1 is listed twice"),
        CommandLineCase(
            ["--socket-path=$SOCK", "--shared-dir=$SHARE", "--reactor-cpus=0-1"],
            "--reactor-cpus: 2 reactors but 1 request queue: every reactor needs a queue "
                + "(raise --queues or list fewer CPUs)"
        ),
        // Conflicts.
        CommandLineCase(["--xattr", "--no-xattr"], "--no-xattr conflicts with --xattr"),
        CommandLineCase(["--posix-lock", "--no-posix-lock"], "--no-posix-lock conflicts with --posix-lock"),
        CommandLineCase(["--no-flock", "--flock"], "--no-flock conflicts with --flock"),
        CommandLineCase(
            ["--announce-submounts", "--no-announce-submounts"],
            "--no-announce-submounts conflicts with --announce-submounts"),
        CommandLineCase(["--log-level=info", "-d"], "-d conflicts with --log-level"),
        CommandLineCase(
            ["--socket-path=$SOCK", "--shared-dir=$SHARE", "--poll-mode=busy", "--poll-us=5"],
            "--poll-us applies only to --poll-mode=auto or adaptive, not --poll-mode=busy"),
        CommandLineCase(
            ["--socket-path=$SOCK", "--shared-dir=$SHARE", "--poll-us=100", "--poll-mode=interrupt"],
            "--poll-us applies only to --poll-mode=auto or adaptive, not --poll-mode=interrupt"),
    ]

    @Test(arguments: badCases)
    func refusesInvalidCommandLinesWithOneLine(testCase: CommandLineCase) throws {
        let fixture = try CommandLineFixture()
        let message = failureMessage(fixture.fill(testCase.arguments))
        #expect(message == fixture.fill(testCase.expected))
        #expect(message?.contains("\n") == false)
        if let message {
            #expect(DaemonCommandLine.errorLine(DaemonConfigurationError(message)) == "vhostfsd: \(message)\n")
        }
    }

    @Test func helpIsPrintedWithEveryOptionAndDefault() throws {
        guard case .print(let help) = parse(["--help"]) else {
            Issue.record("--help did not print")
            return
        }
        #expect(parse(["-h"]) == .print(help))
        #expect(parse(["--socket-path=/x", "--help"]) == .print(help))
        #expect(help.contains("USAGE: vhostfsd (--socket-path=PATH | --fd=N) --shared-dir=DIR [options]"))
        for option in [
            "--socket-path", "--socket ", "--fd", "--shared-dir", "--tag", "--cache", "--writeback", "--xattr",
            "--no-xattr", "--readonly", "--posix-lock", "--no-posix-lock", "--flock", "--no-flock", "--no-readdirplus",
            "--announce-submounts", "--no-announce-submounts", "--queues", "--queue-size", "--max-write",
            "--reactor-cpus", "--poll-mode", "--poll-us", "--log-level", "--syslog", "-d ", "--thread-pool-size",
            "--sandbox", "--seccomp", "--modcaps", "--socket-group", "-o <opt", "-f ", "--print-capabilities",
            "-V, --version", "-h, --help", "--io-engine", "--inode-file-handles", "--fd-cache", "--rlimit-nofile",
        ] {
            #expect(help.contains(option), "help lacks \(option)")
        }
        for defaultText in [
            "(default: none, the front-end's tag)", "(default: auto)", "(default: 1)", "(default: 1024)",
            "(default: 1M)",
            "(default: 200)", "(default: info)", "(default: 0)", "(default: namespace)",
            "(default: kill)", "(default: threads)",
            "(default: off)", "(default: one reactor", "(default: prefer)", "RLIMIT_NOFILE/2, 64 to 65536)",
            "(default: the hard limit)",
        ] {
            #expect(help.contains(defaultText), "help lacks \(defaultText)")
        }
        for compat in ["source=DIR", "no_posix_lock", "no_readdirplus", "log_level=LEVEL", "sandbox=MODE",
                       "modcaps=CHANGES"] {
            #expect(help.contains(compat), "help lacks -o \(compat)")
        }
    }

    @Test func versionAndCapabilitiesNeedNoOtherOption() {
        #expect(parse(["-V"]) == .print("\(DaemonVersion.string)\n"))
        #expect(parse(["--version"]) == .print("\(DaemonVersion.string)\n"))
        #expect(parse(["--print-capabilities"]) == .print(BackendCapabilities.json))
        // The values of other options are not checked; their syntax still is.
        #expect(parse(["--print-capabilities", "--queue-size=1000"]) == .print(BackendCapabilities.json))
        #expect(
            parse(["--print-capabilities", "--bogus"]) == .failure(DaemonConfigurationError("Unknown option '--bogus'"))
        )
    }

    @Test func capabilitiesClaimOnlyWhatIsTrue() {
        #expect(
            BackendCapabilities.json == """
                {
                  "type": "fs",
                  "features": [
                    "separate-options"
                  ]
                }

                """)
        #expect(!BackendCapabilities.json.contains("migrate-precopy"))
    }

    @Test(arguments: [
        ("1", 1), ("4096", 4096), ("4K", 4096), ("4k", 4096), ("4KiB", 4096), ("4KB", 4096), ("1M", 1 << 20),
        ("1m", 1 << 20), ("16MiB", 16 << 20), ("0", 0),
    ])
    func byteCounts(text: String, bytes: Int) throws {
        #expect(try ByteCount.parse(text, option: "--max-write") == bytes)
    }

    @Test func errorMessagesAreFoldedOntoOneLine() {
        #expect(DaemonConfigurationError("first\n   or: second\n").message == "first; or: second")
        #expect(DaemonConfigurationError("a\r\nb").message == "a; b")
    }
}
