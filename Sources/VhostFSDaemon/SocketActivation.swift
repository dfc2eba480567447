import Glibc

/// systemd's socket activation (sd_listen_fds(3)): the service manager opens the listening socket, starts the daemon
/// with it as descriptor 3, and says so in `LISTEN_PID` (the daemon's pid) and `LISTEN_FDS` (how many).
///
/// vhostfsd takes the socket when the command line names neither `--socket-path` nor `--fd`, so a systemd unit
/// needs no option for it (`--fd=3` works as well). It serves one socket: more is an error.
enum SocketActivation {
    /// SD_LISTEN_FDS_START: the first passed descriptor.
    static let firstDescriptor: CInt = 3

    /// The passed listening socket, nil when the environment passes none to this process.
    ///
    /// - Parameters:
    ///   - environment: the process environment (`LISTEN_PID`, `LISTEN_FDS`).
    ///   - processID: this process's id; sockets passed to another process (a parent that did not clear the
    ///     variables) are not ours.
    /// - Throws: `DaemonConfigurationError` when the variables are for this process but malformed, or pass more
    ///   than one socket.
    static func descriptor(environment: [String: String], processID: pid_t) throws(DaemonConfigurationError) -> CInt? {
        guard let pidText = environment["LISTEN_PID"], let countText = environment["LISTEN_FDS"] else { return nil }
        guard let pid = pid_t(pidText), pid == processID else { return nil }
        guard let count = Int(countText), count >= 0 else {
            throw DaemonConfigurationError("socket activation: LISTEN_FDS=\(countText) is not a number of sockets")
        }
        switch count {
        case 0: return nil
        case 1: return firstDescriptor
        default:
            throw DaemonConfigurationError(
                "socket activation passed \(count) sockets (LISTEN_FDS=\(count)); vhostfsd serves exactly one")
        }
    }

    /// The process environment as a dictionary (only the variables socket activation uses).
    static var processEnvironment: [String: String] {
        var result: [String: String] = [:]
        for name in ["LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"] {
            if let value = getenv(name) { result[name] = String(cString: value) }
        }
        return result
    }

    /// Removes the variables, so that nothing this process starts believes the sockets are its own (what
    /// `sd_listen_fds(1)` does).
    static func clearEnvironment() {
        for name in ["LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"] { unsetenv(name) }
    }
}
