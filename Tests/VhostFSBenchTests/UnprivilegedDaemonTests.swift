import Foundation
import Glibc
import LinuxSystem
import Testing
import VhostUserTestKit

/// vhostfsd started as an ordinary user (uid/gid 65534 through util-linux's setpriv, with no capabilities) serves the
/// share with that user's rights: whatever uid the guest caller has, files are created as 65534, and the start-up
/// log names the root-only features that are off. CI runs as root, which this test needs to switch users.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct UnprivilegedDaemonTests {
    static let nobody: uid_t = 65534

    @Test func servesWithItsOwnRightsAndSaysWhatIsOff() throws {
        try #require(geteuid() == 0, "the test switches to uid 65534 with setpriv: run it as root (CI does)")
        try #require(access("/usr/bin/setpriv", X_OK) == 0, "setpriv (util-linux) is needed")
        let root = NSTemporaryDirectory() + "vhostfsd-unprivileged-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let share = root + "/share"
        let run = root + "/run"
        try FileManager.default.createDirectory(atPath: share, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: run, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(chmod(root, 0o755) == 0)
        for directory in [share, run] { #expect(chown(directory, Self.nobody, Self.nobody) == 0) }
        // A root-owned file the user may read but does not own (O_NOATIME on it would be EPERM).
        try Data("roots\n".utf8).write(to: URL(fileURLWithPath: share + "/roots.txt"))
        #expect(chmod(share + "/roots.txt", 0o644) == 0)
        // A copy of the binary the user can run wherever the checkout is.
        let binary = root + "/vhostfsd"
        try FUSEBackendProcess.copyExecutable(".build/debug/vhostfsd", to: binary)

        let process = try FUSEBackendProcess(
            template: "/usr/bin/setpriv --reuid=65534 --regid=65534 --clear-groups \(binary) "
                + "--socket-path={socket} --shared-dir={dir} --sandbox=none",
            socketPath: run + "/vhost.sock", sharedDirectory: share, logPath: root + "/log")
        defer { process.stop() }
        try process.waitForSocket()
        var statusText = try String(contentsOfFile: "/proc/\(process.processID)/status", encoding: .utf8)
        #expect(statusText.contains("Uid:\t65534\t65534\t65534\t65534"), "\(statusText)")
        #expect(statusText.contains("CapEff:\t0000000000000000"), "\(statusText)")

        // Guest callers root and 1000 both create files; the host owner is the daemon's user.
        for (uid, name) in [(UInt32(0), "by-root"), (UInt32(1000), "by-1000")] {
            var configuration = FUSEClient.Configuration()
            configuration.uid = uid
            configuration.gid = uid
            let client = try FUSEClient(socketPath: run + "/vhost.sock", configuration: configuration)
            defer { client.shutdown() }
            let (entry, opened) = try client.create(
                parent: FUSEClient.rootNodeID, name: name + ".txt", flags: O_RDWR, mode: 0o644)
            #expect(try client.write(entry.nodeID, handle: opened.handle, offset: 0, data: Array(name.utf8))
                        == name.utf8.count)
            try client.release(entry.nodeID, handle: opened.handle)
            let directory = try client.mkdir(parent: FUSEClient.rootNodeID, name: name + "-dir", mode: 0o755)
            #expect(entry.attributes.uid == Self.nobody && directory.attributes.uid == Self.nobody)
            // Reading a file the user does not own, asked with O_NOATIME: stripped, as virtiofsd does.
            let file = try client.lookup(parent: FUSEClient.rootNodeID, name: "roots.txt")
            let handle = try client.open(file.nodeID, flags: O_RDONLY | O_NOATIME)
            #expect(try client.read(file.nodeID, handle: handle.handle, offset: 0, size: 100) == Array("roots\n".utf8))
            try client.release(file.nodeID, handle: handle.handle)
            // What the user may not do on the host fails with the host's errno.
            #expect(throws: FUSEClient.Failure.errno(EPERM)) {
                try client.setattr(entry.nodeID, FUSEClient.SetAttributes(uid: 0))
            }
        }
        for name in ["by-root.txt", "by-1000.txt", "by-root-dir", "by-1000-dir"] {
            var st = stat()
            #expect(lstat(share + "/" + name, &st) == 0, "\(name)")
            #expect(st.st_uid == Self.nobody && st.st_gid == Self.nobody, "\(name): \(st.st_uid):\(st.st_gid)")
        }
        #expect(try String(contentsOfFile: share + "/by-1000.txt", encoding: .utf8) == "by-1000")
        statusText = process.logTail(bytes: 8_000)
        #expect(statusText.contains("running as uid 65534 gid 65534"), "\(statusText)")
        #expect(statusText.contains("credential switching"), "\(statusText)")
        #expect(statusText.contains("file handles"), "\(statusText)")
        #expect(process.isRunning, "the daemon died: \(statusText)")
    }
}
