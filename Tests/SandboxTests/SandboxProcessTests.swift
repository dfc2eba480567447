import Foundation
import Glibc
import LinuxSystem
import Testing
import VhostUserTestKit

/// The sandboxed daemon as a process: namespaces, capabilities, seccomp, the supervisor, the socket, signals,
/// reconnects, and start-up failures.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct SandboxProcessTests {
    /// What the daemon keeps by default: chown, dac_override, dac_read_search, fowner, fsetid, setgid, setuid, mknod,
    /// setfcap.
    static let defaultCapabilities: CapabilitySet = [
        .chown, .dacOverride, .dacReadSearch, .fowner, .fsetid, .setgid, .setuid, .mknod, .setfcap,
    ]

    @Test("by default the daemon is PID 1 of new namespaces, rooted in the share, with few capabilities and seccomp")
    func defaultDaemonIsConfined() throws {
        let daemon = try SandboxedDaemon([])
        let client = try daemon.connect()
        defer { client.shutdown() }
        let pid = try #require(daemon.daemonPID(), "the supervisor has no child:\n\(daemon.log)")
        let status = SandboxedDaemon.status(of: pid)
        #expect(status["NSpid"]?.split(separator: "\t").last == "1", "NSpid \(status["NSpid"] ?? "?")")
        for key in ["CapEff", "CapPrm", "CapBnd"] {
            #expect(SandboxedDaemon.capabilities(key, of: pid) == Self.defaultCapabilities, "\(key)")
        }
        #expect(SandboxedDaemon.capabilities("CapInh", of: pid) == [])
        #expect(SandboxedDaemon.capabilities("CapAmb", of: pid) == [])
        #expect(status["Seccomp"] == "2", "the daemon runs without its seccomp filter")
        #expect(status["NoNewPrivs"] == "1")
        for namespace in ["mnt", "net", "pid", "ipc"] {
            let ours = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/\(namespace)")
            let its = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/ns/\(namespace)")
            #expect(ours != its, "the daemon shares our \(namespace) namespace")
        }
        // Its root directory is the share: what it sees at "/" is what the share holds.
        _ = try client.create(parent: FUSEClient.rootNodeID, name: "made-by-guest", flags: O_RDWR, mode: 0o600)
        let seen = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/root/")
        #expect(Set(seen) == Set(try FileManager.default.contentsOfDirectory(atPath: daemon.share)))
        #expect(seen.contains("made-by-guest"))
        // One mount is left, the share, nodev and nosuid: a device node in it cannot be opened by the daemon.
        let mounts = SandboxedDaemon.mounts(of: pid)
        #expect(mounts.map(\.mountPoint) == ["/"], "\(mounts)")
        #expect(mounts.first.map { $0.options.contains("nodev") && $0.options.contains("nosuid") } == true)
        #expect(mounts.first?.options.contains("rw") == true)
        // The supervisor keeps only what removing the socket needs, and no filter.
        #expect(SandboxedDaemon.capabilities("CapEff", of: daemon.supervisorPID) == [.dacOverride, .fowner])
        #expect(SandboxedDaemon.capabilities("CapBnd", of: daemon.supervisorPID) == [.dacOverride, .fowner])
        #expect(SandboxedDaemon.status(of: daemon.supervisorPID)["Seccomp"] == "0")
        #expect(daemon.log.contains("sandbox namespace: \(daemon.share) is the root"), "\(daemon.log)")
    }

    @Test("with --readonly the share is mounted read-only inside the sandbox")
    func readOnlyMount() throws {
        let daemon = try SandboxedDaemon(["--readonly"])
        let client = try daemon.connect()
        defer { client.shutdown() }
        let pid = try #require(daemon.daemonPID())
        let root = SandboxedDaemon.mounts(of: pid).first { $0.mountPoint == "/" }
        #expect(root?.options.contains("ro") == true, "\(String(describing: root))")
        #expect(throws: FUSEClient.Failure.errno(EROFS)) {
            _ = try client.mkdir(parent: FUSEClient.rootNodeID, name: "refused", mode: 0o755)
        }
    }

    @Test("--modcaps changes what is kept; --sandbox=none keeps the same capabilities and filter in one process")
    func modcapsAndNoSandbox() throws {
        let changed = try SandboxedDaemon(["--modcaps=-mknod:+sys_admin"])
        _ = try changed.connect()
        let pid = try #require(changed.daemonPID())
        let expected = Self.defaultCapabilities.subtracting(.mknod).union(.sysAdmin)
        #expect(SandboxedDaemon.capabilities("CapEff", of: pid) == expected)
        #expect(SandboxedDaemon.capabilities("CapBnd", of: pid) == expected)

        let plain = try SandboxedDaemon(["--sandbox=none"])
        let client = try plain.connect()
        defer { client.shutdown() }
        #expect(plain.children.isEmpty, "--sandbox=none forked")
        #expect(SandboxedDaemon.capabilities("CapEff", of: plain.supervisorPID) == Self.defaultCapabilities)
        #expect(SandboxedDaemon.status(of: plain.supervisorPID)["Seccomp"] == "2")
    }

    @Test("a guest reconnects; SIGTERM to the supervisor stops the daemon, exit 0, socket removed",
          arguments: ["namespace", "chroot", "none"])
    func reconnectThenStop(sandbox: String) throws {
        let daemon = try SandboxedDaemon(["--sandbox=\(sandbox)"])
        do {
            let first = try daemon.connect()
            let (entry, opened) = try first.create(
                parent: FUSEClient.rootNodeID, name: "kept", flags: O_RDWR, mode: 0o644)
            _ = try first.write(entry.nodeID, handle: opened.handle, offset: 0, data: Array("across guests".utf8))
            try first.release(entry.nodeID, handle: opened.handle)
            first.shutdown()
        }
        let second = try FUSEClient(socketPath: daemon.socketPath)
        let entry = try second.lookup(parent: FUSEClient.rootNodeID, name: "kept")
        let opened = try second.open(entry.nodeID, flags: O_RDONLY)
        let data = try second.read(entry.nodeID, handle: opened.handle, offset: 0, size: 64)
        #expect(data == Array("across guests".utf8))
        try second.release(entry.nodeID, handle: opened.handle)
        second.shutdown()
        #expect(FileManager.default.contents(atPath: daemon.share + "/kept") == Data("across guests".utf8))

        daemon.signal(SIGTERM)
        #expect(daemon.termination() == .exited(0), "\(daemon.log)")
        #expect(!daemon.socketExists, "the socket file was left behind")
        #expect(daemon.log.contains("stopped"))
    }

    @Test("the created socket is mode 0660 whatever the umask, owned by --socket-group",
          arguments: ["000", "077"])
    func socketModeAndGroup(umask: String) throws {
        let withUmask = "sh -c 'umask \(umask); exec \"$0\" \"$@\"'"
        let grouped = try SandboxedDaemon(["--socket-group=4242"], prefix: withUmask)
        // Once a front-end is served the daemon is past its set-up (the socket file appears at bind, before).
        try grouped.connect().shutdown()
        var st = stat()
        #expect(lstat(grouped.socketPath, &st) == 0)
        #expect(st.st_mode & S_IFMT == S_IFSOCK)
        #expect(st.st_mode & 0o7777 == 0o660, "mode \(String(st.st_mode & 0o7777, radix: 8))")
        #expect(st.st_gid == 4242 && st.st_uid == geteuid())

        let plain = try SandboxedDaemon([], prefix: withUmask)
        try plain.connect().shutdown()
        #expect(lstat(plain.socketPath, &st) == 0)
        #expect(st.st_mode & 0o7777 == 0o660 && st.st_gid == getegid())
    }

    @Test("a system call outside the allow-list kills the daemon; the supervisor reports it and ends by SIGSYS")
    func forbiddenSystemCallKills() throws {
        let daemon = try SandboxedDaemon(["--debug-forbidden-syscall"])
        try daemon.process.waitForSocket()
        #expect(throws: FUSEClient.Failure.self) { _ = try FUSEClient(socketPath: daemon.socketPath) }
        #expect(daemon.termination() == .signaled(SIGSYS), "\(daemon.log)")
        #expect(daemon.log.contains("was killed by SIGSYS: it made a system call outside the seccomp allow-list"),
                "\(daemon.log)")
        #expect(!daemon.socketExists)

        // Without a sandbox there is no supervisor: the daemon itself ends by SIGSYS.
        let bare = try SandboxedDaemon(["--sandbox=none", "--debug-forbidden-syscall"])
        try bare.process.waitForSocket()
        #expect(throws: FUSEClient.Failure.self) { _ = try FUSEClient(socketPath: bare.socketPath) }
        #expect(bare.termination() == .signaled(SIGSYS), "\(bare.log)")
    }

    @Test("--seccomp=trap names the blocked call and fails it, --seccomp=log lets it run; the daemon keeps serving",
          arguments: ["trap", "log"])
    func forbiddenCallUnderTrapOrLog(mode: String) throws {
        let daemon = try SandboxedDaemon(["--seccomp=\(mode)", "--debug-forbidden-syscall"])
        let client = try daemon.connect()
        defer { client.shutdown() }
        _ = try client.mkdir(parent: FUSEClient.rootNodeID, name: "still-serving", mode: 0o755)
        let pid = try #require(daemon.daemonPID())
        #expect(SandboxedDaemon.status(of: pid)["Seccomp"] == "2")
        #expect(daemon.process.isRunning)
        let number = SeccompFilter.systemCallNumber("mount") ?? -1
        let report = "vhostfsd: seccomp: blocked system call mount (\(number)), which returns ENOSYS"
        #expect(daemon.log.contains(report) == (mode == "trap"), "\(daemon.log)")
    }

    @Test("--seccomp=none installs no filter")
    func seccompNone() throws {
        let daemon = try SandboxedDaemon(["--seccomp=none"])
        _ = try daemon.connect()
        let pid = try #require(daemon.daemonPID())
        #expect(SandboxedDaemon.status(of: pid)["Seccomp"] == "0")
        #expect(daemon.log.contains("seccomp none"))
    }

    @Test("--syslog inside the sandbox: a lost syslog connection is not reopened (socket is refused), not fatal")
    func syslogInTheSandbox() throws {
        let daemon = try SandboxedDaemon(["--syslog", "--log-level=debug"])
        let client = try daemon.connect()
        defer { client.shutdown() }
        for i in 0..<20 { _ = try client.mkdir(parent: FUSEClient.rootNodeID, name: "logged-\(i)", mode: 0o755) }
        #expect(daemon.process.isRunning, "\(daemon.log)")
    }

    /// Start-up failures: the sandbox cannot be entered, or a capability asked for is not held.
    static let failures: [(prefix: String, arguments: [String], message: String)] = [
        ("setpriv --bounding-set -sys_admin", [],
         "cannot enter the namespace sandbox: unshare(CLONE_NEWPID): Operation not permitted"),
        ("setpriv --bounding-set -sys_chroot", ["--sandbox=chroot"],
         "cannot enter the chroot sandbox: chroot into "),
        ("setpriv --bounding-set -sys_resource", ["--modcaps=+sys_resource"],
         "--modcaps asks to keep sys_resource, which the daemon does not hold"),
    ]

    @Test("a sandbox that cannot be entered stops the daemon with one line and exit status 1", arguments: failures)
    func failureToEnter(prefix: String, arguments: [String], message: String) throws {
        let daemon = try SandboxedDaemon(arguments, prefix: prefix)
        #expect(daemon.termination() == .exited(1), "\(daemon.log)")
        let lines = daemon.log.split(separator: "\n")
        #expect(lines.count == 1, "\(daemon.log)")
        #expect(daemon.log.contains(message), "\(daemon.log)")
        #expect(!daemon.socketExists, "the socket file was left behind")
    }

    @Test("bad sandbox options are usage errors: one line, exit status 2")
    func badOptionsExitTwo() throws {
        for (arguments, message) in [
            (["--sandbox=jail"], "vhostfsd: --sandbox: jail is not one of none, chroot, namespace\n"),
            (["--seccomp=maybe"], "vhostfsd: --seccomp: maybe is not one of kill, log, trap, none\n"),
            (["--modcaps=+sys_nothing"], "vhostfsd: --modcaps: sys_nothing is not a capability name\n"),
            (["--socket-group=no-such-group-here"], "vhostfsd: --socket-group: no group named no-such-group-here\n"),
        ] {
            let daemon = try SandboxedDaemon(arguments)
            #expect(daemon.termination() == .exited(2))
            #expect(daemon.log == message)
        }
    }
}
