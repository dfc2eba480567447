import Foundation
import Glibc
import LinuxSystem
import VhostUserTestKit

/// The real `vhostfsd` binary (debug build, next to the test bundle) started on a fresh share in a temporary
/// directory, with the arguments a test gives, in a process group of its own. `supervisorPID` is the process the
/// test started; with a sandbox the daemon is its child.
///
/// Layout: `<root>/share` (the shared directory), `<root>/outside-secret.txt` (a file the guest must never reach),
/// `<root>/vhost.sock`, `<root>/daemon.log`.
final class SandboxedDaemon {
    static let secret = "outside the share\n"

    let root: String
    let share: String
    let socketPath: String
    let process: FUSEBackendProcess

    /// The process the test started (the supervisor when sandboxed).
    var supervisorPID: pid_t { process.processID }

    /// Starts `vhostfsd --socket-path=... --shared-dir=... <arguments>`, behind `prefix` (e.g. `setpriv ...`).
    /// - Parameters:
    ///   - user: run the daemon as this user (`prefix`, then setpriv without supplementary groups): the share and
    ///     the socket's directory are then its, and it runs a copy of the binary in `root`, wherever the checkout
    ///     is.
    ///   - prepare: called with the share before the daemon starts.
    init(_ arguments: [String], prefix: String = "", user: TestUser? = nil,
         prepare: (SandboxedDaemon.Paths) throws -> Void = { _ in }) throws
    {
        var template = Array("/tmp/vhostfsd-sandbox-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ $0.baseAddress.flatMap(mkdtemp) }) else {
            throw POSIXError(.init(rawValue: errno) ?? .EIO)
        }
        root = String(cString: made)
        chmod(root, 0o755)
        share = root + "/share"
        socketPath = root + "/vhost.sock"
        try FileManager.default.createDirectory(atPath: share, withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: root + "/outside-secret.txt", contents: Data(Self.secret.utf8))
        else { throw POSIXError(.EIO) }
        try prepare(Paths(root: root, share: share))
        var executable = Self.executable
        var prefix = prefix
        if let user {
            executable = root + "/vhostfsd"
            try FUSEBackendProcess.copyExecutable(Self.executable, to: executable)
            for directory in [root, share] { chown(directory, user.uid, user.gid) }
            prefix += (prefix.isEmpty ? "" : " ") + "setpriv --reuid=\(user.uid) --regid=\(user.gid) --clear-groups"
        }
        let command = ([executable, "--socket-path={socket}", "--shared-dir={dir}"] + arguments)
            .joined(separator: " ")
        process = try FUSEBackendProcess(
            template: prefix.isEmpty ? command : prefix + " " + command, socketPath: socketPath,
            sharedDirectory: share, logPath: root + "/daemon.log")
    }

    deinit {
        process.stop(graceMilliseconds: 2_000)
        try? FileManager.default.removeItem(atPath: root)
    }

    /// Paths for `prepare`.
    struct Paths {
        let root: String
        let share: String
    }

    /// The debug `vhostfsd` beside the test bundle (SwiftPM builds every product before running tests).
    static var executable: String {
        let bundle = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? ""
        let beside = URL(fileURLWithPath: bundle).deletingLastPathComponent().appendingPathComponent("vhostfsd").path
        if FileManager.default.isExecutableFile(atPath: beside) { return beside }
        return FileManager.default.currentDirectoryPath + "/.build/debug/vhostfsd"
    }

    /// Connects a FUSE client once the socket exists.
    func connect() throws -> FUSEClient {
        try process.waitForSocket(timeoutMilliseconds: 10_000)
        return try FUSEClient(socketPath: socketPath)
    }

    /// The daemon's output so far.
    var log: String { (try? String(contentsOfFile: root + "/daemon.log", encoding: .utf8)) ?? "" }

    /// The sandboxed daemon: the supervisor's child, once it has one.
    func daemonPID() -> pid_t? {
        var found: pid_t?
        _ = eventually(timeoutMilliseconds: 5_000) {
            found = children.first
            return found != nil
        }
        return found
    }

    /// The children of the process the test started, now.
    var children: [pid_t] {
        let text = (try? String(contentsOfFile: "/proc/\(supervisorPID)/task/\(supervisorPID)/children",
                                encoding: .utf8)) ?? ""
        return text.split(separator: " ").compactMap { pid_t($0) }
    }

    /// The `Key:\tvalue` lines of /proc/<pid>/status.
    static func status(of pid: pid_t) -> [String: String] {
        let text = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        var fields: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[String(line[..<colon])] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return fields
    }

    /// A capability mask of /proc/<pid>/status (CapEff, CapBnd...).
    static func capabilities(_ key: String, of pid: pid_t) -> CapabilitySet? {
        status(of: pid)[key].flatMap { UInt64($0, radix: 16) }.map(CapabilitySet.init(rawValue:))
    }

    /// One line of /proc/<pid>/mountinfo: the mount point and its per-mount options.
    struct Mount: CustomStringConvertible {
        let mountPoint: String
        let options: [String]
        var description: String { "\(mountPoint) \(options.joined(separator: ","))" }
    }

    /// The mounts process `pid` sees (its mount namespace).
    static func mounts(of pid: pid_t) -> [Mount] {
        let text = (try? String(contentsOfFile: "/proc/\(pid)/mountinfo", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            guard fields.count > 5 else { return nil }
            return Mount(mountPoint: String(fields[4]), options: fields[5].split(separator: ",").map(String.init))
        }
    }

    /// Waits for the supervisor to end and returns how it ended.
    func termination(timeoutMilliseconds: Int = 10_000) -> ProcessCall.Termination? {
        _ = eventually(timeoutMilliseconds: timeoutMilliseconds) { !process.isRunning }
        return process.waitStatus.flatMap { ProcessCall.Termination(waitStatus: $0) }
    }

    /// Sends `signal` to the supervisor only (not its group), as a service manager would.
    func signal(_ signal: CInt) { _ = kill(supervisorPID, signal) }

    /// Whether the socket file exists.
    var socketExists: Bool { access(socketPath, F_OK) == 0 }
}
