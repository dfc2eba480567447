import Foundation
import Glibc
import LinuxSystem
import Synchronization
import VhostUser
import VhostUserTestKit

/// Runs a real `VhostUserServer` on a real Unix socket in a temporary directory, on its own thread.
final class ServerHarness: Sendable {
    let directory: String
    let socketPath: String
    let server: VhostUserServer
    let backend: RecordingBackend
    let finished = Mutex(false)
    let connections = Mutex(0)

    init(backend: RecordingBackend = RecordingBackend()) throws {
        directory = NSTemporaryDirectory() + "vhu-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        socketPath = directory + "/sock"
        server = try VhostUserServer(listener: try VhostUserServer.bind(path: socketPath))
        self.backend = backend
        let t = Thread { [self] in
            server.serve(backend: backend) { _ in self.connections.withLock { $0 += 1 } }
            finished.withLock { $0 = true }
        }
        t.start()
    }

    func frontend() throws -> VhostUserFrontend { try VhostUserFrontend(socketPath: socketPath) }

    /// Waits until `condition` holds (the server reacts to a disconnect asynchronously).
    func eventually(_ timeoutMilliseconds: Int = 5_000, _ condition: () -> Bool) -> Bool {
        VhostUserTestKit.eventually(timeoutMilliseconds: timeoutMilliseconds, condition)
    }

    func stop() {
        server.stopEvent.signal()
        _ = eventually { finished.withLock { $0 } }
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// Guest RAM for protocol tests: a memfd per region, with QEMU-like user addresses.
struct TestMemory: Sendable {
    var regions: [(MemoryRegionPayload, FileDescriptor)] = []

    init(sizes: [UInt64] = [1 << 20, 1 << 20]) throws {
        var gpa: UInt64 = 0
        var uva: UInt64 = 0x7f00_0000_0000
        for (i, size) in sizes.enumerated() {
            let fd = try MemFD.create(name: "guest-ram-\(i)", size: size)
            regions.append((MemoryRegionPayload(guestPhysicalAddress: gpa, size: size, userAddress: uva, mmapOffset: 0), fd))
            gpa += size + 0x10_0000
            uva += size + 0x100_0000
        }
    }

    var table: [(MemoryRegionPayload, CInt)] { regions.map { ($0.0, $0.1.rawValue) } }
}
