import Foundation

#if canImport(Glibc)
import Glibc
import LinuxSystem
#endif

/// One running back-end instance: spawned in its own process group with stdout and stderr in a log file, waited for
/// until its socket listens, and stopped (SIGTERM, then SIGKILL) when the test is done with it.
///
/// Not thread-safe: the test that started it owns it. The group is killed in `deinit` if nobody stopped it.
final class BackendProcess {
    /// The back-end's pid, which is also its process-group id.
    let pid: pid_t
    /// The vhost-user socket it listens on.
    let socketPath: String
    /// Where its stdout and stderr go.
    let logPath: String
    /// The argv it was started with.
    let command: [String]
    /// How it ended, once reaped.
    private(set) var exitStatus: ExitStatus?

    /// How a back-end process ended.
    enum ExitStatus: Equatable, CustomStringConvertible {
        /// exit(code).
        case exited(Int32)
        /// Killed by this signal.
        case signaled(Int32)

        var description: String {
            switch self {
            case .exited(let code): "exit status \(code)"
            case .signaled(let signal): "killed by signal \(signal)"
            }
        }
    }

    /// Errors starting a back-end.
    struct StartError: Error, CustomStringConvertible {
        let description: String
    }

    /// Starts `backend` serving `sharedDirectory` on `socketPath` and waits until the socket listens.
    ///
    /// - Throws: `StartError` if the executable is missing, cannot be spawned, exits early, or does not listen
    ///   within `timeout`; the message carries the back-end's log.
    /// - Parameter softDescriptorLimit: start the back-end with this soft RLIMIT_NOFILE (as `ulimit -Sn` in the
    ///   shell that starts it), through util-linux's prlimit; nil: the test runner's limits.
    init(
        backend: BackendUnderTest, sharedDirectory: String, socketPath: String, tag: String, xattr: Bool,
        extraArguments: [String] = [], logPath: String, softDescriptorLimit: Int? = nil,
        timeout: Duration = .seconds(20)
    ) throws {
        var command = backend.command(
            socketPath: socketPath, sharedDirectory: sharedDirectory, tag: tag, xattr: xattr,
            extraArguments: extraArguments)
        if let softDescriptorLimit {
            var limit = rlimit()
            getrlimit(RLIMIT_NOFILE, &limit)
            command = ["/usr/bin/prlimit", "--nofile=\(softDescriptorLimit):\(limit.rlim_max)", "--"] + command
        }
        guard let executable = command.first, access(executable, X_OK) == 0 else {
            throw StartError(description: "back-end \(backend.name): '\(command.first ?? "")' is not an executable "
                + "(build it, or choose another back-end with VHOSTFS_E2E_BACKEND)")
        }
        self.command = command
        self.socketPath = socketPath
        self.logPath = logPath

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Own process group, so stopping it also stops any child it forks (virtiofsd's sandbox does); an empty
        // signal mask and default dispositions whatever the test runner's threads have.
        var emptySet = sigset_t()
        sigemptyset(&emptySet)
        var defaultSet = sigset_t()
        sigemptyset(&defaultSet)
        for signal in [SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGCHLD] { sigaddset(&defaultSet, signal) }
        posix_spawnattr_setsigmask(&attributes, &emptySet)
        posix_spawnattr_setsigdefault(&attributes, &defaultSet)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(
            &attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let argv: [UnsafeMutablePointer<CChar>?] = command.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var child: pid_t = 0
        let result = posix_spawn(&child, executable, &actions, &attributes, argv, environ)
        guard result == 0 else {
            throw StartError(description: "cannot start \(executable): \(String(cString: strerror(result)))")
        }
        self.pid = child

        let deadline = ContinuousClock.now + timeout
        while !Self.isListening(socketPath) {
            if let status = poll() {
                throw StartError(description: "back-end exited before listening (\(status)): \(command)\n\(log)")
            }
            if ContinuousClock.now > deadline {
                _ = stop()
                throw StartError(description: "back-end did not listen on \(socketPath) within \(timeout)\n\(log)")
            }
            usleep(10_000)
        }
    }

    deinit {
        _ = stop(grace: .milliseconds(500))
    }

    /// The back-end's output so far.
    var log: String {
        guard let data = FileManager.default.contents(atPath: logPath) else { return "(no log)" }
        return String(decoding: data, as: UTF8.self)
    }

    /// True while the process has not exited.
    var isRunning: Bool { poll() == nil }

    /// Reaps the process if it has ended, without blocking.
    @discardableResult
    func poll() -> ExitStatus? {
        if let exitStatus { return exitStatus }
        var raw: Int32 = 0
        while true {
            let result = waitpid(pid, &raw, WNOHANG)
            if result == pid {
                exitStatus = Self.decode(raw)
                return exitStatus
            }
            if result == -1 && errno == EINTR { continue }
            return nil
        }
    }

    /// Sends SIGTERM to the group, waits up to `grace` for the process to exit, then SIGKILLs the group.
    ///
    /// - Returns: how the process ended (also if it had ended before).
    @discardableResult
    func stop(grace: Duration = .seconds(10)) -> ExitStatus {
        if let status = poll() {
            _ = kill(-pid, SIGKILL)  // whatever it left behind in its group
            return status
        }
        _ = kill(-pid, SIGTERM)
        let deadline = ContinuousClock.now + grace
        while ContinuousClock.now < deadline {
            if let status = poll() {
                _ = kill(-pid, SIGKILL)
                return status
            }
            usleep(10_000)
        }
        _ = kill(-pid, SIGKILL)
        var raw: Int32 = 0
        while waitpid(pid, &raw, 0) == -1 && errno == EINTR {}
        let status = Self.decode(raw)
        exitStatus = status
        return status
    }

    private static func decode(_ raw: Int32) -> ExitStatus {
        let signal = raw & 0x7f
        return signal == 0 ? .exited((raw >> 8) & 0xff) : .signaled(signal)
    }

    /// True if some Unix socket bound to `path` is listening, read from /proc/net/unix so that the check does not
    /// connect (QEMU's C virtiofsd takes the first connection as its only front-end).
    static func isListening(_ path: String) -> Bool {
        // Read to the end with read(2): procfs hands the table out a page of records per read, and Foundation's
        // readers stop after the first short read, so a socket listed past the first page was never seen once the
        // host had more than about 40 Unix sockets. Decoded leniently: abstract socket names may be any bytes.
        let fd = open("/proc/net/unix", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var data: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { break }
            data += chunk[..<n]
        }
        let table = String(decoding: data, as: UTF8.self)
        // Num RefCount Protocol Flags Type St Inode Path; Flags 00010000 is __SO_ACCEPTCON (listening).
        for line in table.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if fields.count >= 8, fields[7] == path, fields[3] == "00010000" { return true }
        }
        return false
    }
}
