import Foundation
import Glibc
import LinuxSystem
import Testing
import VhostUserTestKit

/// libvirt starts the daemon with an already listening socket (`--fd=N`) instead of a path.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct InheritedSocketTests {
    @Test func servesAnInheritedListeningSocketAndExitsZeroOnSIGTERM() throws {
        let root = NSTemporaryDirectory() + "vhostfsd-fd-\(getpid())"
        let share = root + "/share"
        try FileManager.default.createDirectory(atPath: share, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let listener = try UnixSocket.listen(path: root + "/inherited.sock")
        // The child must inherit it: clear close-on-exec on this descriptor only.
        let flags = fcntl(listener.rawValue, F_GETFD)
        #expect(fcntl(listener.rawValue, F_SETFD, flags & ~FD_CLOEXEC) == 0)

        let executable = ".build/debug/vhostfsd"
        try #require(FileManager.default.isExecutableFile(atPath: executable), "build vhostfsd first")
        let argv = [executable, "--fd=\(listener.rawValue)", "--shared-dir=\(share)", "--log-level=error"]
        // SAFETY: the strdup'ed strings live until the defer frees them, after posix_spawn has copied them.
        let cArgs = argv.map { strdup($0) } + [nil]
        defer { for p in cArgs { free(p) } }
        var pid: pid_t = 0
        #expect(posix_spawn(&pid, executable, nil, nil, cArgs, environ) == 0)
        _ = fcntl(listener.rawValue, F_SETFD, flags)

        do {
            let client = try FUSEClient(socketPath: root + "/inherited.sock")
            let (e, o) = try client.create(parent: FUSEClient.rootNodeID, name: "via-fd", flags: O_RDWR, mode: 0o644)
            _ = try client.write(e.nodeID, handle: o.handle, offset: 0, data: Array("inherited".utf8))
            try client.release(e.nodeID, handle: o.handle)
            client.shutdown()
        }
        #expect(FileManager.default.contents(atPath: share + "/via-fd") == Data("inherited".utf8))
        kill(pid, SIGTERM)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        #expect(status & 0x7f == 0 && (status >> 8) & 0xff == 0, "wait status \(status)")
    }
}
