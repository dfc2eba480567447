#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A child started with `posix_spawn` in a process group of its own, reaped with `waitpid` on its pid only.
///
/// Not thread-safe: one owner polls, signals and reaps it. Once `status` is set the pid is gone and the
/// group is no longer signalled.
struct ChildProcess: ~Copyable {
    /// The child's pid, which is also its process-group id.
    let pid: pid_t
    /// Set once the child has been reaped.
    private(set) var status: QEMUExitStatus?

    /// Starts `executable` with `arguments` (argv[1...]) and the current environment.
    ///
    /// - Parameters:
    ///   - executable: absolute path of the program.
    ///   - arguments: its arguments, without argv[0].
    ///   - standardOutput: file to create or truncate for stdout; stderr goes to `standardError`. stdin is /dev/null.
    /// - Throws: `QEMUTestKitError.spawnFailed` with the `posix_spawn` error.
    init(
        executable: String, arguments: [String], standardOutput: String, standardError: String
    ) throws(QEMUTestKitError) {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // No O_CLOEXEC here: glibc closes the target fd first, so open() lands on it directly and keeps the flag.
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, standardOutput, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, standardError, O_WRONLY | O_CREAT | O_TRUNC, 0o644)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Own process group, so a timeout can signal QEMU and any wrapper at once; an empty signal mask and default
        // dispositions, whatever the test runner's threads block or ignore.
        var emptySet = sigset_t()
        sigemptyset(&emptySet)
        var defaultSet = sigset_t()
        sigemptyset(&defaultSet)
        for signal in [SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGCHLD, SIGQUIT, SIGALRM] {
            sigaddset(&defaultSet, signal)
        }
        posix_spawnattr_setsigmask(&attributes, &emptySet)
        posix_spawnattr_setsigdefault(&attributes, &defaultSet)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(
            &attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var child: pid_t = 0
        let result = posix_spawn(&child, executable, &actions, &attributes, argv, environ)
        guard result == 0 else {
            throw .spawnFailed(executable: executable, errno: result)
        }
        self.pid = child
        self.status = nil
    }

    /// Reaps the child if it has ended, without blocking. Returns its status once ended.
    mutating func poll() -> QEMUExitStatus? {
        if let status { return status }
        var raw: Int32 = 0
        while true {
            let result = waitpid(pid, &raw, WNOHANG)
            if result == pid {
                status = QEMUExitStatus(waitStatus: raw)
                return status
            }
            if result == -1 && errno == EINTR { continue }
            return nil
        }
    }

    /// Blocks until the child ends and returns its status.
    mutating func wait() -> QEMUExitStatus {
        if let status { return status }
        var raw: Int32 = 0
        while true {
            let result = waitpid(pid, &raw, 0)
            if result == pid {
                let decoded = QEMUExitStatus(waitStatus: raw)
                status = decoded
                return decoded
            }
            if result == -1 && errno == EINTR { continue }
            // ECHILD: someone else reaped it; nothing left to wait for.
            let unknown = QEMUExitStatus.signaled(SIGKILL)
            status = unknown
            return unknown
        }
    }

    /// Sends `signal` to the child's whole process group, unless it has been reaped already.
    func signalGroup(_ signal: Int32) {
        guard status == nil else { return }
        _ = kill(-pid, signal)
    }

    /// Ends the child for sure: SIGTERM to its group, up to `grace` for it to exit, then SIGKILL, then reap.
    mutating func terminate(grace: Duration = .seconds(2)) -> QEMUExitStatus {
        if let status { return status }
        signalGroup(SIGTERM)
        let deadline = ContinuousClock.now + grace
        while ContinuousClock.now < deadline {
            if let status = poll() {
                // The wrapper is gone; make sure nothing else in its group survives it.
                _ = kill(-pid, SIGKILL)
                return status
            }
            usleep(20_000)
        }
        signalGroup(SIGKILL)
        return wait()
    }

    deinit {
        // Never leave a child behind, even on an unexpected exit path.
        if status == nil {
            _ = kill(-pid, SIGKILL)
            var raw: Int32 = 0
            while waitpid(pid, &raw, 0) == -1 && errno == EINTR {}
        }
    }
}
