import Foundation
import QEMUTestKit
import Testing
import VhostUser

/// A real QEMU (TCG) with a real Debian kernel attaches to the back-end over its socket.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct QEMUAttachTests {
    @Test func qemuCompletesTheHandshakeAndTheGuestBindsVirtiofs() async throws {
        let availability = QEMUGuest.checkAvailability()
        try #require(availability.isAvailable, "guest tests need: \(availability) (run ./contrib/install-deps.sh)")
        let h = try ServerHarness(backend: RecordingBackend(queueCount: 2, tag: "attach"))
        defer { h.stop() }
        var guest = QEMUGuest(devices: [VhostUserFSDevice(socketPath: h.socketPath, tag: "attach", queueSize: 128)])
        guest.timeout = .seconds(90)
        let result = try await guest.run()
        #expect(result.poweredOffCleanly, "\(result.summary())")
        #expect(h.connections.withLock { $0 } == 1)
        // The guest driver probed the device: virtio id 26 bound to virtiofs.
        let fs = result.virtioDevices.filter { $0.deviceID == GuestVirtioDevice.fileSystemDeviceID }
        #expect(fs.count == 1, "\(result.summary())")
        #expect(fs.first?.driver == "virtiofs", "\(result.summary())")
        // QEMU set up guest memory and started both rings (hiprio + one request queue) when the driver was ready.
        let s = h.backend.state.withLock { ($0.startCount, $0.features, $0.resets) }
        #expect(s.0 >= 2, "rings started: \(s.0)")
        #expect(s.1.contains(.version1))
        // Powering off disconnected QEMU; the back-end released everything and waits for the next front-end.
        #expect(h.eventually { h.backend.state.withLock { $0.resets >= 1 && $0.mappings.isEmpty } })
        let next = try h.frontend()
        #expect(try next.getFeatures().contains(.version1))
    }
}
