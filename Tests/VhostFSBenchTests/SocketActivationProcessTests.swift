import Foundation
import Glibc
import LinuxSystem
import Testing
import VhostUserTestKit

/// vhostfsd under systemd's socket activation, driven by `systemd-socket-activate` (the systemd package's tool that
/// does what a .socket unit does): it listens, and on the first connection starts the daemon with the listening
/// socket as descriptor 3, LISTEN_PID and LISTEN_FDS=1. No --socket-path or --fd is given.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct SocketActivationProcessTests {
    @Test func servesTheSocketSystemdPassesAndExitsZeroOnSIGTERM() throws {
        let tool = "/usr/bin/systemd-socket-activate"
        try #require(access(tool, X_OK) == 0, "systemd-socket-activate (package systemd) is needed")
        let root = NSTemporaryDirectory() + "vhostfsd-activated-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let share = root + "/share"
        try FileManager.default.createDirectory(atPath: share, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let executable = try #require(
            FileManager.default.isExecutableFile(atPath: ".build/debug/vhostfsd") ? ".build/debug/vhostfsd" : nil,
            "build vhostfsd first")
        let process = try FUSEBackendProcess(
            template: "\(tool) --listen={socket} \(executable) --shared-dir={dir} --log-level=info",
            socketPath: root + "/activated.sock", sharedDirectory: share, logPath: root + "/log")
        defer { process.stop() }
        try process.waitForSocket()

        let client = try FUSEClient(socketPath: root + "/activated.sock")
        let (entry, opened) = try client.create(
            parent: FUSEClient.rootNodeID, name: "activated", flags: O_RDWR, mode: 0o644)
        _ = try client.write(entry.nodeID, handle: opened.handle, offset: 0, data: Array("by socket".utf8))
        try client.release(entry.nodeID, handle: opened.handle)
        client.shutdown()
        #expect(FileManager.default.contents(atPath: share + "/activated") == Data("by socket".utf8))

        // The tool exec'ed the daemon in its own process: same pid, now vhostfsd, with the socket as fd 3.
        let command = try String(contentsOfFile: "/proc/\(process.processID)/comm", encoding: .utf8)
        #expect(command.hasPrefix("vhostfsd"), "\(command)")
        let log = process.logTail(bytes: 8_000)
        #expect(log.contains("on inherited socket fd 3"), "\(log)")
        let status = process.stop(graceMilliseconds: 10_000)
        #expect(status.map { $0 & 0x7f == 0 && ($0 >> 8) & 0xff == 0 } == true,
                "wait status \(String(describing: status))")
    }
}
