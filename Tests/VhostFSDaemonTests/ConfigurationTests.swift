import Glibc
import LinuxSystem
import Testing

@testable import VhostFSDaemon

/// `DaemonConfiguration` built in code: defaults, the checks of every field, the summary and the warnings.
@Suite struct ConfigurationTests {
    @Test func defaults() throws {
        let share = try TemporaryDirectory()
        let c = try DaemonConfiguration(listen: .socketPath("\(share.path)/s.sock"), sharedDirectory: share.path)
        #expect(c.listen == .socketPath("\(share.path)/s.sock"))
        #expect(c.sharedDirectory == share.path)
        #expect(c.tag == nil, "without --tag the front-end sets the tag")
        #expect(c.cache == .auto)
        #expect(!c.writeback && !c.xattr && !c.readOnly && !c.posixLocks && !c.flock && !c.announceSubmounts)
        #expect(c.readdirplus)
        #expect(c.inlineReads)
        #expect(c.reactorCPUs == nil && c.reactorCount == 1)
        #expect(c.pollMode == .auto && c.pollMicroseconds == 200)
        #expect(c.ioEngine == .threads)
        #expect(c.queues == 1 && c.queueSize == 1024 && c.maxWrite == 1 << 20)
        #expect(c.logLevel == .info && c.logDestination == .standardError)
        #expect(c.threadPoolSize == 0 && c.sandbox == .namespace)
        #expect(c.seccomp == .kill && c.capabilityChanges == DaemonConfiguration.CapabilityChanges())
        #expect(c.socketGroup == nil)
        #expect(c.inodeFileHandles == .prefer && c.descriptorCache == nil && c.descriptorLimit == .hardLimit)
        #expect(c.warnings.isEmpty)
    }

    @Test func sharedDirectoryIsResolvedToItsRealPath() throws {
        let tree = try TemporaryDirectory()
        let real = try tree.directory("real/inner")
        let link = try tree.symlink("link", to: real)
        let socket = "\(tree.path)/s.sock"
        #expect(try DaemonConfiguration(listen: .socketPath(socket), sharedDirectory: link).sharedDirectory == real)
        #expect(
            try DaemonConfiguration(listen: .socketPath(socket), sharedDirectory: "\(real)/../inner/./")
                .sharedDirectory == real)
        // A relative path becomes absolute: "." is the (real) working directory.
        #expect(
            try DaemonConfiguration(listen: .socketPath(socket), sharedDirectory: ".").sharedDirectory
                == currentDirectory())
    }

    @Test func sharedDirectoryMustBeAnExistingDirectory() throws {
        let tree = try TemporaryDirectory()
        let file = try tree.file("plain")
        let dangling = try tree.symlink("dangling", to: "\(tree.path)/missing")
        let socket = DaemonConfiguration.Listen.socketPath("\(tree.path)/s.sock")
        let cases: [(String, String)] = [
            ("", "--shared-dir: the path is empty"),
            ("\(tree.path)/missing", "--shared-dir: \(tree.path)/missing does not exist"),
            (dangling, "--shared-dir: \(dangling) does not exist"),
            (file, "--shared-dir: \(file) is not a directory"),
            ("\(file)/below", "--shared-dir: \(file)/below is not a directory"),
        ]
        for (path, message) in cases {
            #expect(throws: DaemonConfigurationError(message)) {
                try DaemonConfiguration(listen: socket, sharedDirectory: path)
            }
        }
    }

    @Test func socketPathChecks() throws {
        let tree = try TemporaryDirectory()
        let file = try tree.file("plain")
        let long = "/tmp/" + String(repeating: "s", count: 103)
        let cases: [(String, String)] = [
            ("", "--socket-path: the path is empty"),
            (long, "--socket-path: \(long) is 108 bytes, longer than the 107 a Unix socket path can hold"),
            ("\(tree.path)/", "--socket-path: \(tree.path)/ names a directory, not a socket"),
            (
                "\(tree.path)/missing/s.sock",
                "--socket-path: cannot use directory \(tree.path)/missing for the socket: No such file or directory"
            ),
            ("\(file)/s.sock", "--socket-path: cannot use directory \(file) for the socket: Not a directory"),
            (file, "--socket-path: \(file) exists and is not a socket"),
        ]
        for (path, message) in cases {
            #expect(throws: DaemonConfigurationError(message)) {
                try DaemonConfiguration(listen: .socketPath(path), sharedDirectory: tree.path)
            }
        }
        let fits = "/tmp/" + String(repeating: "s", count: 102)
        #expect(throws: Never.self) { try DaemonConfiguration(listen: .socketPath(fits), sharedDirectory: tree.path) }
        #expect(throws: Never.self) {
            try DaemonConfiguration(listen: .socketPath("relative.sock"), sharedDirectory: tree.path)
        }
        #expect(throws: Never.self) {
            try DaemonConfiguration(listen: .socketPath("/s.sock"), sharedDirectory: tree.path)
        }
    }

    @Test func anExistingSocketMayBeReplaced() throws {
        let tree = try TemporaryDirectory()
        let path = "\(tree.path)/old.sock"
        let listening = try UnixSocket.listen(path: path)
        withExtendedLifetime(listening) {
            #expect(throws: Never.self) {
                try DaemonConfiguration(listen: .socketPath(path), sharedDirectory: tree.path)
            }
        }
    }

    @Test func inheritedDescriptorChecks() throws {
        let tree = try TemporaryDirectory()
        let socket = try TestSocket()
        let c = try DaemonConfiguration(listen: .inheritedFD(socket.fd), sharedDirectory: tree.path)
        #expect(c.listen == .inheritedFD(socket.fd))
        let file = open(try tree.file("plain"), O_RDONLY | O_CLOEXEC)
        defer { close(file) }
        let cases: [(CInt, String)] = [
            (-1, "--fd: -1 is not a file descriptor number"),
            (closedDescriptor, "--fd: \(closedDescriptor) is not an open file descriptor"),
            (file, "--fd: descriptor \(file) is not a socket"),
        ]
        for (fd, message) in cases {
            #expect(throws: DaemonConfigurationError(message)) {
                try DaemonConfiguration(listen: .inheritedFD(fd), sharedDirectory: tree.path)
            }
        }
    }

    @Test func tagChecks() throws {
        let tree = try TemporaryDirectory()
        func make(_ tag: String) throws -> DaemonConfiguration {
            try DaemonConfiguration(listen: .socketPath("\(tree.path)/s"), sharedDirectory: tree.path, tag: tag)
        }
        #expect(try make("a").tag == "a")
        #expect(try make(String(repeating: "t", count: 36)).tag?.utf8.count == 36)
        #expect(try make("é-partage").tag == "é-partage")
        let tooLong = String(repeating: "t", count: 37)
        #expect(throws: DaemonConfigurationError("--tag: the tag is empty")) { try make("") }
        #expect(throws: DaemonConfigurationError("--tag: the tag contains a NUL byte")) { try make("a\u{0}b") }
        #expect(
            throws: DaemonConfigurationError(
                "--tag: \(tooLong) is 37 bytes, longer than the 36 a virtio-fs tag can hold")
        ) {
            try make(tooLong)
        }
        // 18 two-byte characters: 36 bytes fit; 19 do not.
        #expect(try make(String(repeating: "é", count: 18)).tag?.count == 18)
        #expect(throws: DaemonConfigurationError.self) { try make(String(repeating: "é", count: 19)) }
    }

    @Test func numericRanges() throws {
        let tree = try TemporaryDirectory()
        let listen = DaemonConfiguration.Listen.socketPath("\(tree.path)/s")
        for good in [1, 2, 64] {
            #expect(try DaemonConfiguration(listen: listen, sharedDirectory: tree.path, queues: good).queues == good)
        }
        for bad in [0, -1, 65] {
            #expect(throws: DaemonConfigurationError("--queues: \(bad) is not between 1 and 64")) {
                try DaemonConfiguration(listen: listen, sharedDirectory: tree.path, queues: bad)
            }
        }
        for good in [64, 128, 1024, 32768] {
            #expect(
                try DaemonConfiguration(listen: listen, sharedDirectory: tree.path, queueSize: good).queueSize == good)
        }
        for bad in [0, 32, 63, 100, 1000, 65536, -1024] {
            #expect(throws: DaemonConfigurationError("--queue-size: \(bad) is not a power of two between 64 and 32768"))
            {
                try DaemonConfiguration(listen: listen, sharedDirectory: tree.path, queueSize: bad)
            }
        }
        for good in [4096, 8192, 1 << 20, 16 << 20] {
            #expect(
                try DaemonConfiguration(listen: listen, sharedDirectory: tree.path, maxWrite: good).maxWrite == good)
        }
        for bad in [0, 4095, 4097, 6000, (16 << 20) + 4096] {
            #expect(
                throws: DaemonConfigurationError(
                    "--max-write: \(bad) is not a multiple of 4096 between 4096 (4K) and 16777216 (16M)")
            ) {
                try DaemonConfiguration(listen: listen, sharedDirectory: tree.path, maxWrite: bad)
            }
        }
        for good in [0, 1, 100, 1_000_000] {
            #expect(
                try DaemonConfiguration(listen: listen, sharedDirectory: tree.path, pollMicroseconds: good)
                    .pollMicroseconds == good)
        }
        for bad in [-1, 1_000_001] {
            #expect(throws: DaemonConfigurationError("--poll-us: \(bad) is not between 0 and 1000000 microseconds")) {
                try DaemonConfiguration(listen: listen, sharedDirectory: tree.path, pollMicroseconds: bad)
            }
        }
        #expect(throws: DaemonConfigurationError("--thread-pool-size: -1 is negative")) {
            try DaemonConfiguration(listen: listen, sharedDirectory: tree.path, threadPoolSize: -1)
        }
    }

    @Test func readdirplusIsOffWithoutCaching() throws {
        let tree = try TemporaryDirectory()
        let listen = DaemonConfiguration.Listen.socketPath("\(tree.path)/s")
        #expect(try !DaemonConfiguration(listen: listen, sharedDirectory: tree.path, cache: .never).readdirplus)
        #expect(try DaemonConfiguration(listen: listen, sharedDirectory: tree.path, cache: .metadata).readdirplus)
        #expect(try !DaemonConfiguration(listen: listen, sharedDirectory: tree.path, readdirplus: false).readdirplus)
    }

    @Test func summaryIsOneParagraphNamingEverySetting() throws {
        let tree = try TemporaryDirectory()
        let c = try DaemonConfiguration(
            listen: .socketPath("\(tree.path)/s.sock"), sharedDirectory: tree.path, tag: "share", cache: .always,
            writeback: true, xattr: true, readOnly: true, posixLocks: true, reactorCPUs: [0, 1], pollMode: .busy,
            queues: 2, queueSize: 256, maxWrite: 128 << 10, logLevel: .debug, allowedCPUs: testCPUs)
        let s = c.summary
        #expect(!s.contains("\n"))
        for part in [
            "Sharing \(tree.path) as tag \"share\" on socket \(tree.path)/s.sock", "cache always", "writeback on",
            "xattr on", "read-only", "POSIX locks on the host", "flock local to the guest", "READDIRPLUS on",
            "submounts not announced", "2 request queues (plus hiprio) of up to 256 entries", "max_write 128 KiB",
            "2 reactors pinned to CPU 0,1", "busy polling", "log level debug to stderr", "sandbox namespace, seccomp kill",
            "inode file handles prefer", "descriptor cache sized from RLIMIT_NOFILE",
            "RLIMIT_NOFILE raised to the hard limit",
        ] {
            #expect(s.contains(part), "summary lacks \(part): \(s)")
        }
        let socket = try TestSocket()
        let d = try withExtendedLifetime(socket) {
            try DaemonConfiguration(listen: .inheritedFD(socket.fd), sharedDirectory: tree.path)
        }
        #expect(d.summary.contains("on inherited socket fd"))
        // Without --tag the summary names no tag: the guest sees the one QEMU sets.
        #expect(d.summary.hasPrefix("Sharing \(tree.path) on inherited socket fd"), "\(d.summary)")
        #expect(!d.summary.contains("tag"))
        #expect(d.summary.contains("1 request queue (plus hiprio) of up to 1024 entries, max_write 1 MiB"))
        #expect(d.summary.contains(
            "1 reactor (default placement), auto polling (self-tuning spin of at most 200 us, none under contention)"))
        #expect(d.summary.contains("I/O engine threads"))
    }

    @Test func compatibilityOptionsThatDoNothingWarn() throws {
        let tree = try TemporaryDirectory()
        let listen = DaemonConfiguration.Listen.socketPath("\(tree.path)/s")
        let chroot = try DaemonConfiguration(listen: listen, sharedDirectory: tree.path, sandbox: .chroot)
        #expect(chroot.warnings.isEmpty)
        let none = try DaemonConfiguration(listen: listen, sharedDirectory: tree.path, sandbox: .none)
        #expect(none.warnings.count == 1)
        #expect(none.warnings.first?.hasPrefix("--sandbox=none: no sandbox; confinement to") == true)
        let pool = try DaemonConfiguration(listen: listen, sharedDirectory: tree.path, threadPoolSize: 4)
        #expect(
            pool.warnings == ["--thread-pool-size=4 is ignored: requests run on the reactors, never on a thread pool"])
        let both = try DaemonConfiguration(
            listen: listen, sharedDirectory: tree.path, threadPoolSize: 1, sandbox: .none)
        #expect(both.warnings.count == 2)
    }
}

/// The process's working directory, as getcwd(3) reports it (a real path).
func currentDirectory() -> String {
    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    guard let cwd = getcwd(&buffer, buffer.count) else { return "" }
    return String(cString: cwd)
}
