import FSDevAIO
import Foundation
import QEMUTestKit
import Reactor
import Testing
import VhostUser
import VirtioFS

/// The whole stack in one process: vhost-user server, virtio-fs device, FUSE dispatcher, aio fsdev on a reactor,
/// and a real Linux guest under QEMU mounting the share.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct GuestMountSmokeTests {
    @Test func guestMountsWritesAndReads() async throws {
        let availability = QEMUGuest.checkAvailability()
        try #require(availability.isAvailable, "guest tests need: \(availability) (run ./contrib/install-deps.sh)")
        let dir = NSTemporaryDirectory() + "vfs-smoke-\(getpid())"
        let share = dir + "/share"
        try FileManager.default.createDirectory(atPath: share, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "from the host\n".write(toFile: share + "/from-host.txt", atomically: true, encoding: .utf8)
        let script = """
            #!/bin/sh
            set -e
            cat /mnt/from-host.txt
            echo "from the guest" > /mnt/from-guest.txt
            mkdir /mnt/d && echo x > /mnt/d/f && mv /mnt/d/f /mnt/d/g && ls /mnt/d
            rm /mnt/d/g && rmdir /mnt/d
            sync
            """
        try script.write(toFile: share + "/smoke.sh", atomically: true, encoding: .utf8)
        chmod(share + "/smoke.sh", 0o755)

        let reactors = try ReactorGroup(count: 1)
        defer { reactors.stop() }
        let fsdev = try AIOFSDevice(rootPath: share)
        let device = VirtioFSDevice(fsdev: fsdev, reactors: reactors,
                                    configuration: VirtioFSConfiguration(tag: "smoke"))
        let server = try VhostUserServer(listener: try VhostUserServer.bind(path: dir + "/sock"))
        let thread = Thread { server.serve(backend: device) }
        thread.start()
        defer { server.stopEvent.signal() }

        var guest = QEMUGuest(devices: [VhostUserFSDevice(socketPath: dir + "/sock", tag: "smoke")],
                              mountTag: "smoke", script: "smoke.sh")
        guest.timeout = .seconds(120)
        let result = try await guest.run()
        #expect(result.mountSucceeded == true, "\(result.summary())")
        #expect(result.scriptExitStatus == 0, "\(result.summary())")
        #expect(result.consoleLog.contains("from the host"), "\(result.summary())")
        #expect(result.unmountSucceeded == true, "\(result.summary())")
        let written = try? String(contentsOfFile: share + "/from-guest.txt", encoding: .utf8)
        #expect(written == "from the guest\n")
        #expect(!FileManager.default.fileExists(atPath: share + "/d"))
    }
}
