import CLinux
import Glibc

/// Thin typed wrappers over the process calls of the daemon's start-up: namespaces, fork, wait, parent-death
/// signal.
public enum ProcessCall {
    /// How a child process ended.
    public enum Termination: Sendable, Hashable, CustomStringConvertible {
        /// It called exit with this status.
        case exited(CInt)
        /// A signal ended it.
        case signaled(CInt)

        /// Decodes a wait status from waitpid(2).
        public init?(waitStatus: CInt) {
            if CLinux_WIFEXITED(waitStatus) != 0 {
                self = .exited(CLinux_WEXITSTATUS(waitStatus))
            } else if CLinux_WIFSIGNALED(waitStatus) != 0 {
                self = .signaled(CLinux_WTERMSIG(waitStatus))
            } else {
                return nil
            }
        }

        public var description: String {
            switch self {
            case .exited(let status): "exit status \(status)"
            case .signaled(let signal): "signal \(signal) (\(ProcessCall.signalName(signal)))"
            }
        }
    }

    /// Moves the calling thread into new namespaces (CLONE_NEW* flags), or gives it private copies of shared
    /// attributes (CLONE_FS...). The corresponding C function is `unshare`.
    public static func unshare(_ flags: CInt) throws(Errno) {
        _ = try SystemCall.valueOrErrno { CLinux_unshare(flags) }.get()
    }

    /// Forks the process; returns 0 in the child and the child's pid in the parent. Only the calling thread exists
    /// in the child. The corresponding C function is `fork`.
    public static func fork() throws(Errno) -> pid_t {
        try SystemCall.valueOrErrno(retryOnInterrupt: false) { Glibc.fork() }.get()
    }

    /// Reaps `pid` (or any child when -1) if it has ended; nil when it is still running (WNOHANG). The
    /// corresponding C function is `waitpid`.
    ///
    /// - Returns: the reaped pid and how it ended, or nil when no child has ended yet.
    public static func reap(_ pid: pid_t) throws(Errno) -> (pid: pid_t, termination: Termination)? {
        var status: CInt = 0
        let reaped = try SystemCall.valueOrErrno { waitpid(pid, &status, WNOHANG) }.get()
        guard reaped > 0, let termination = Termination(waitStatus: status) else { return nil }
        return (reaped, termination)
    }

    /// Asks the kernel to send `signal` to the calling thread when its parent thread ends. The corresponding C
    /// function is `prctl(PR_SET_PDEATHSIG)`.
    public static func setParentDeathSignal(_ signal: CInt) throws(Errno) {
        _ = try SystemCall.valueOrErrno { CLinux_prctl(PR_SET_PDEATHSIG, UInt(signal), 0, 0, 0) }.get()
    }

    /// A descriptor that becomes readable when process `pid` ends. The corresponding C function is `pidfd_open`.
    public static func processDescriptor(of pid: pid_t) throws(Errno) -> FileDescriptor {
        FileDescriptor(taking: CInt(try SystemCall.negativeErrno { CLinux_pidfd_open(pid) }.get()))
    }

    /// Number of threads of the calling process, from the `Threads:` line of /proc/self/status; nil if it cannot
    /// be read.
    public static func threadCount() -> Int? {
        guard let file = fopen("/proc/self/status", "r") else { return nil }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 256)
        while fgets(&line, CInt(line.count), file) != nil {
            let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if text.hasPrefix("Threads:") {
                return Int(text.dropFirst("Threads:".count).trimmingWhitespace())
            }
        }
        return nil
    }

    /// The symbolic name of a signal number, e.g. "SIGSYS".
    public static func signalName(_ signal: CInt) -> String {
        switch signal {
        case SIGHUP: "SIGHUP"
        case SIGINT: "SIGINT"
        case SIGQUIT: "SIGQUIT"
        case SIGILL: "SIGILL"
        case SIGTRAP: "SIGTRAP"
        case SIGABRT: "SIGABRT"
        case SIGBUS: "SIGBUS"
        case SIGFPE: "SIGFPE"
        case SIGKILL: "SIGKILL"
        case SIGSEGV: "SIGSEGV"
        case SIGPIPE: "SIGPIPE"
        case SIGTERM: "SIGTERM"
        case SIGSYS: "SIGSYS"
        default: "signal \(signal)"
        }
    }
}

extension Substring {
    /// The text without leading and trailing spaces, tabs and newlines.
    fileprivate func trimmingWhitespace() -> Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return self[first...last]
    }
}
