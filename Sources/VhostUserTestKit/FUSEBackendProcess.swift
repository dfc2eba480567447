import Glibc
import LinuxSystem

/// A vhost-user-fs backend started from a command template, for tests and benchmarks: `{socket}` and `{dir}` in the
/// template are replaced by the socket path and the shared directory, the command runs under `/bin/sh -c 'exec ...'`
/// in a process group of its own with its output in a log file, and `stop()` ends that group (SIGTERM, then SIGKILL).
///
/// Example templates:
///
///     /usr/lib/qemu/virtiofsd --socket-path={socket} -o source={dir} -o cache=auto -o sandbox=chroot
///     .build/release/vhostfsd --socket-path={socket} --shared-dir={dir}
///
/// Threading: use from one thread.
public final class FUSEBackendProcess {
    /// Why a backend could not be started or reached.
    public enum Failure: Error, Equatable, Sendable, CustomStringConvertible {
        /// posix_spawn failed (errno).
        case spawn(Int32)
        /// The backend exited before its socket appeared (wait status, last lines of its log).
        case exited(status: Int32, log: String)
        /// The socket did not appear in time (last lines of the log).
        case socketTimeout(log: String)
        /// The template lacks `{socket}`.
        case invalidTemplate(String)

        public var description: String {
            switch self {
            case .spawn(let e): return "cannot start the backend: errno \(e)"
            case .exited(let s, let log): return "the backend exited (status \(s)) before listening\(Self.tail(log))"
            case .socketTimeout(let log): return "the backend's socket did not appear\(Self.tail(log))"
            case .invalidTemplate(let t): return "backend command has no {socket}: \(t)"
            }
        }

        private static func tail(_ log: String) -> String { log.isEmpty ? "" : "; its log ends with:\n" + log }
    }

    /// The command as run (placeholders replaced).
    public let command: String
    /// The socket the backend listens on.
    public let socketPath: String
    /// The shared directory.
    public let sharedDirectory: String
    /// Where the backend's stdout and stderr go.
    public let logPath: String
    /// The process (group leader) started.
    public let processID: pid_t
    /// The wait status once the process has been reaped.
    public private(set) var waitStatus: Int32?

    /// Replaces `{socket}` and `{dir}` in `template`, shell-quoting the values when they need it.
    public static func substitute(_ template: String, socketPath: String, sharedDirectory: String) -> String {
        template.replacing("{socket}", with: shellQuoted(socketPath))
            .replacing("{dir}", with: shellQuoted(sharedDirectory))
    }

    /// `value` as one shell word.
    public static func shellQuoted(_ value: String) -> String {
        let plain = value.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)
                || "/._-+=:,@%".utf8.contains(c)
        }
        if plain && !value.isEmpty { return value }
        return "'" + value.replacing("'", with: "'\\''") + "'"
    }

    /// Starts the backend; it does not wait for the socket (see `waitForSocket`). A stale socket file at
    /// `socketPath` is removed first.
    public init(template: String, socketPath: String, sharedDirectory: String, logPath: String) throws(Failure) {
        guard template.contains("{socket}") else { throw .invalidTemplate(template) }
        self.command = Self.substitute(template, socketPath: socketPath, sharedDirectory: sharedDirectory)
        self.socketPath = socketPath
        self.sharedDirectory = sharedDirectory
        self.logPath = logPath
        unlink(socketPath)

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK))
        posix_spawnattr_setpgroup(&attributes, 0)
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)

        let argv = ["/bin/sh", "-c", "exec " + command]
        var pid: pid_t = 0
        // SAFETY: the strdup'ed strings live until the defer frees them, after posix_spawn has copied them.
        let cArgs = argv.map { strdup($0) } + [nil]
        defer { for p in cArgs { free(p) } }
        let r = posix_spawn(&pid, "/bin/sh", &actions, &attributes, cArgs, environ)
        guard r == 0 else { throw .spawn(r) }
        processID = pid
    }

    /// Whether the process is still running (reaps it if it has exited).
    public var isRunning: Bool {
        if waitStatus != nil { return false }
        var status: Int32 = 0
        let r = waitpid(processID, &status, WNOHANG)
        if r == processID {
            waitStatus = status
            return false
        }
        return r == 0
    }

    /// Waits until the socket file exists.
    /// - Throws: `.exited` if the backend dies first, `.socketTimeout` after `timeoutMilliseconds`.
    public func waitForSocket(timeoutMilliseconds: Int = 10_000) throws(Failure) {
        let deadline = SystemClock.monotonicNanoseconds() + UInt64(max(timeoutMilliseconds, 0)) * 1_000_000
        while true {
            var st = stat()
            if stat(socketPath, &st) == 0 && (st.st_mode & S_IFMT) == S_IFSOCK { return }
            if !isRunning { throw .exited(status: waitStatus ?? -1, log: logTail()) }
            if SystemClock.monotonicNanoseconds() > deadline { throw .socketTimeout(log: logTail()) }
            usleep(10_000)
        }
    }

    /// Ends the process group: SIGTERM, then SIGKILL after `graceMilliseconds`; reaps the leader.
    /// - Returns: the wait status (nil if it could not be reaped).
    @discardableResult
    public func stop(graceMilliseconds: Int = 3_000) -> Int32? {
        if let waitStatus { return waitStatus }
        kill(-processID, SIGTERM)
        var waited = 0
        while isRunning && waited < graceMilliseconds {
            usleep(10_000)
            waited += 10
        }
        if isRunning {
            kill(-processID, SIGKILL)
            var status: Int32 = 0
            if waitpid(processID, &status, 0) == processID { waitStatus = status }
        }
        unlink(socketPath)
        return waitStatus
    }

    /// The last `bytes` bytes of the backend's log.
    public func logTail(bytes: Int = 2_000) -> String {
        guard let f = fopen(logPath, "r") else { return "" }
        defer { fclose(f) }
        fseek(f, 0, SEEK_END)
        let size = ftell(f)
        fseek(f, max(0, size - bytes), SEEK_SET)
        var buffer = [UInt8](repeating: 0, count: bytes)
        // SAFETY: fread writes at most the count given, which is within the buffer.
        let n = buffer.withUnsafeMutableBytes { fread($0.baseAddress, 1, bytes, f) }
        return String(decoding: buffer[..<n], as: UTF8.self)
    }

    /// User plus system CPU time of process `processID` and its living descendants (all their threads, living and
    /// exited) from `/proc/<pid>/stat`, in nanoseconds (clock-tick resolution, 10 ms); nil if the process is gone.
    /// Descendants count because a sandboxed vhostfsd serves from a child of the process that was started (and that
    /// listens, so SO_PEERCRED names it).
    public static func cpuNanoseconds(processID: pid_t) -> UInt64? {
        guard var total = ownCPUNanoseconds(processID: processID) else { return nil }
        var pending = children(of: processID)
        var seen: Set<pid_t> = [processID]
        while let pid = pending.popLast() {
            guard seen.insert(pid).inserted else { continue }
            total += ownCPUNanoseconds(processID: pid) ?? 0
            pending += children(of: pid)
        }
        return total
    }

    /// The children of every thread of `processID` (`/proc/<pid>/task/<tid>/children`).
    private static func children(of processID: pid_t) -> [pid_t] {
        guard let tasks = opendir("/proc/\(processID)/task") else { return [] }
        defer { closedir(tasks) }
        var result: [pid_t] = []
        while let entry = readdir(tasks) {
            // SAFETY: d_name is a NUL-terminated array inside the dirent, valid until the next readdir.
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard let tid = pid_t(name), let f = fopen("/proc/\(processID)/task/\(tid)/children", "r") else { continue }
            var buffer = [UInt8](repeating: 0, count: 4096)
            // SAFETY: fread writes at most the count given, which is within the buffer.
            let n = buffer.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, f) }
            fclose(f)
            result += buffer[..<n].split(separator: UInt8(ascii: " ")).compactMap {
                pid_t(String(decoding: $0, as: UTF8.self))
            }
        }
        return result
    }

    /// User plus system CPU time of the one process `processID`.
    private static func ownCPUNanoseconds(processID: pid_t) -> UInt64? {
        guard let f = fopen("/proc/\(processID)/stat", "r") else { return nil }
        defer { fclose(f) }
        var buffer = [UInt8](repeating: 0, count: 2048)
        // SAFETY: fread writes at most the count given, which is within the buffer.
        let n = buffer.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count - 1, f) }
        guard n > 0, let close = buffer[..<n].lastIndex(of: UInt8(ascii: ")")) else { return nil }
        // After the command name the fields start at 3 (state); utime is field 14 and stime field 15.
        let fields = buffer[(close + 1)..<n].split(separator: UInt8(ascii: " "))
        guard fields.count > 12,
            let user = UInt64(String(decoding: fields[11], as: UTF8.self)),
            let system = UInt64(String(decoding: fields[12], as: UTF8.self))
        else { return nil }
        let ticks = sysconf(Int32(_SC_CLK_TCK))
        guard ticks > 0 else { return nil }
        return (user + system) * (1_000_000_000 / UInt64(ticks))
    }

    deinit {
        stop(graceMilliseconds: 1_000)
    }
}
