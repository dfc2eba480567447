import FSDevAIO
import Foundation
import Glibc
import LinuxSystem

/// The helper process that writes a new user namespace's `--uid-map`/`--gid-map` with newuidmap and newgidmap.
///
/// Those setuid programs check the ranges against /etc/subuid and /etc/subgid and must run outside the namespace
/// (inside it their set-user-ID bit means nothing), so the helper is forked before the daemon unshares
/// CLONE_NEWUSER and waits on a pipe; once the namespace exists the daemon lets it go, and it runs the programs on
/// the daemon's pid, sends back what failed (the command line, then the program's own message) and exits. An end
/// of the pipe closing early (the daemon gave up) makes it exit without running anything.
final class IDMapHelper {
    /// The helper's pid.
    private let pid: pid_t
    /// The daemon's end of the pipe that lets the helper go (one byte) or stop (closed).
    private var go: FileDescriptor?
    /// The daemon's end of the pipe on which the helper reports.
    private let report: FileDescriptor

    private init(pid: pid_t, go: FileDescriptor, report: FileDescriptor) {
        self.pid = pid
        self.go = go
        self.report = report
    }

    /// The programs to run for `target`: newuidmap when `uidMap` is given, newgidmap when `gidMap` is.
    static func commands(target: pid_t, uidMap: [NamespaceIDRange], gidMap: [NamespaceIDRange])
        -> [(program: String, arguments: [String])]
    {
        func arguments(_ ranges: [NamespaceIDRange]) -> [String] {
            [String(target)] + ranges.flatMap { [String($0.inside), String($0.outside), String($0.count)] }
        }
        var commands: [(String, [String])] = []
        if !uidMap.isEmpty { commands.append(("newuidmap", arguments(uidMap))) }
        if !gidMap.isEmpty { commands.append(("newgidmap", arguments(gidMap))) }
        return commands
    }

    /// Forks the helper for the maps of `target`'s future user namespace; nil when neither map is given.
    static func start(mapping target: pid_t, uidMap: [NamespaceIDRange], gidMap: [NamespaceIDRange])
        throws(DaemonSandbox.Failure) -> IDMapHelper?
    {
        let commands = commands(target: target, uidMap: uidMap, gidMap: gidMap)
        guard !commands.isEmpty else { return nil }
        let step = "start the helper that runs \(commands.map(\.program).joined(separator: " and "))"
        do throws(Errno) {
            let go = try ProcessCall.pipe()
            let report = try ProcessCall.pipe()
            let pid = try ProcessCall.fork()
            if pid == 0 {
                // The helper: the daemon's ends stay referenced until _exit, so that nothing closes them twice.
                withExtendedLifetime((go.write, report.read)) {
                    _ = Glibc.close(go.write.rawValue)
                    _ = Glibc.close(report.read.rawValue)
                    serve(commands, go: go.read, report: report.write)
                }
            }
            // The helper's ends close when `go` and `report` go, so that a helper that ends is seen as EOF.
            return IDMapHelper(pid: pid, go: go.write, report: report.read)
        } catch {
            throw DaemonSandbox.Failure(.namespace, step, error, hint: DaemonSandbox.Failure.rootlessHint)
        }
    }

    /// Lets the helper run the programs and waits for it.
    ///
    /// - Throws: `DaemonSandbox.Failure` with the failing command line and the program's message, on one line.
    func run() throws(DaemonSandbox.Failure) {
        var byte: UInt8 = 1
        _ = try? withUnsafeBytes(of: &byte) { (raw: UnsafeRawBufferPointer) throws(Errno) in try go?.write(raw) }
        go = nil
        let text = Self.readAll(report)
        let termination = (try? ProcessCall.waitForExit(pid)) ?? .exited(-1)
        guard termination != .exited(0) || !text.isEmpty else { return }
        let lines = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let step = lines.first ?? "newuidmap/newgidmap"
        let reason =
            lines.count > 1 ? lines.dropFirst().joined(separator: "; ") : "the helper ended with \(termination)"
        throw DaemonSandbox.Failure(.namespace, step, reason: reason, hint: Self.mapHint)
    }

    /// Stops the helper without running anything, and reaps it.
    func cancel() {
        go = nil
        _ = try? ProcessCall.waitForExit(pid)
    }

    /// What to check when newuidmap or newgidmap refuses or is missing.
    static let mapHint =
        "each --uid-map/--gid-map range must be the user's own id with count 1 or lie within the user's "
        + "/etc/subuid or /etc/subgid entries; newuidmap and newgidmap come with Debian's uidmap package"

    /// The helper's body: waits for the daemon's go, runs `commands` one after the other, stops at the first that
    /// fails and reports it.
    private static func serve(_ commands: [(program: String, arguments: [String])], go: FileDescriptor,
                              report: FileDescriptor) -> Never
    {
        var byte: UInt8 = 0
        let got = try? withUnsafeMutableBytes(of: &byte) { (raw: UnsafeMutableRawBufferPointer) throws(Errno) in
            try go.read(into: raw)
        }
        guard got == 1 else { _exit(0) }  // the daemon gave up
        for (program, arguments) in commands {
            let line = ([program] + arguments).joined(separator: " ")
            let output: FileDescriptor
            let child: pid_t
            do throws(Errno) {
                let pipe = try ProcessCall.pipe()
                child = try ProcessCall.spawn(program, arguments: arguments, output: pipe.write)
                output = pipe.read
            } catch {
                send("\(line)\ncannot run \(program): \(error)", to: report)
                _exit(1)
            }
            let message = readAll(output)
            let termination = (try? ProcessCall.waitForExit(child)) ?? .exited(-1)
            if termination != .exited(0) {
                send("\(line)\n\(message.isEmpty ? "\(program) ended with \(termination)" : message)", to: report)
                _exit(1)
            }
        }
        _exit(0)
    }

    /// Everything `descriptor` delivers until EOF, at most 4 KiB of it, as text.
    private static func readAll(_ descriptor: FileDescriptor) -> String {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1024)
        while bytes.count < 4096 {
            let count = (try? chunk.withUnsafeMutableBytes { (raw) throws(Errno) in try descriptor.read(into: raw) })
            guard let count, count > 0 else { break }
            bytes += chunk[..<count]
        }
        return String(decoding: bytes.prefix(4096), as: UTF8.self)
    }

    /// Writes `text` to `descriptor`, ignoring failures (the daemon may be gone).
    private static func send(_ text: String, to descriptor: FileDescriptor) {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = try? bytes.withUnsafeBytes { (raw) throws(Errno) in try descriptor.write(raw) }
            guard let written, written > 0 else { return }
            bytes = bytes.dropFirst(written)
        }
    }
}
