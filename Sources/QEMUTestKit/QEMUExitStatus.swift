/// How a child process (QEMU or the initramfs build script) ended, as reported by `waitpid`.
public enum QEMUExitStatus: Sendable, Hashable, CustomStringConvertible {
    /// The process called `exit` with this status (`WIFEXITED`/`WEXITSTATUS`).
    case exited(Int32)
    /// The process was ended by this signal (`WIFSIGNALED`/`WTERMSIG`).
    case signaled(Int32)

    /// Decodes a raw `waitpid` status word (the `W*` macros are not imported into Swift).
    init(waitStatus status: Int32) {
        let signal = status & 0x7f
        if signal == 0 {
            self = .exited((status >> 8) & 0xff)
        } else {
            self = .signaled(signal)
        }
    }

    /// True for `exit(0)`.
    public var isSuccess: Bool { self == .exited(0) }

    public var description: String {
        switch self {
        case .exited(let code): "exit status \(code)"
        case .signaled(let signal): "killed by signal \(signal)"
        }
    }
}
