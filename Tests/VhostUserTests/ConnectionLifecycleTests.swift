import Foundation
import Glibc
import LinuxSystem
import Testing
import VhostUser
import VhostUserTestKit

@Suite(.serialized, .timeLimit(.minutes(2)))
struct ConnectionLifecycleTests {
    /// The steps of a QEMU handshake, each a closure on a fresh front-end.
    static let steps: [(String, @Sendable (VhostUserFrontend, TestMemory) throws -> Void)] = [
        ("connect", { _, _ in }),
        ("GET_FEATURES", { fe, _ in _ = try fe.getFeatures() }),
        ("negotiate", { fe, _ in _ = try fe.negotiate() }),
        ("SET_FEATURES", { fe, _ in _ = try fe.negotiate(); try fe.setFeatures([.version1, .protocolFeatures]) }),
        ("SET_MEM_TABLE", { fe, mem in
            _ = try fe.negotiate(); try fe.setFeatures([.version1, .protocolFeatures]); try fe.setMemTable(mem.table)
        }),
        ("rings", { fe, mem in try handshake(fe, mem) }),
    ]

    @Test func disconnectAtEveryHandshakeStepThenReconnect() throws {
        let h = try ServerHarness()
        defer { h.stop() }
        let mem = try TestMemory()
        for (i, (name, step)) in Self.steps.enumerated() {
            do {
                let fe = try h.frontend()
                try step(fe, mem)
            }  // the front-end is dropped here: its socket closes
            #expect(h.eventually { h.backend.state.withLock { $0.resets } >= i + 1 }, "no reset after \(name)")
            #expect(h.backend.state.withLock { $0.started.isEmpty && $0.mappings.isEmpty }, "state kept after \(name)")
        }
        // A full, working session after all of that.
        let fe = try h.frontend()
        let events = try handshake(fe, mem)
        #expect(events.count == 10)
        #expect(h.backend.state.withLock { $0.started.count } == 5)
    }

    /// Runs in a child process of its own (an exit test), so that other tests running in parallel cannot change
    /// the descriptor count while it is measured.
    @Test func noDescriptorLeakAfterManyConnections() async {
        await #expect(processExitsWith: .success) {
            let h = try ServerHarness()
            let mem = try TestMemory()
            // Warm up once so lazily opened descriptors (e.g. by the runtime) are counted in the baseline.
            do { let fe = try h.frontend(); try handshake(fe, mem) }
            guard h.eventually(5_000, { h.backend.state.withLock { $0.resets } == 1 }) else { exit(2) }
            let before = vhostUserDescriptorCount()
            for cycle in 0..<100 {
                do {
                    let fe = try h.frontend()
                    try handshake(fe, mem, queues: cycle % 5 + 1)
                }
                guard h.eventually(5_000, { h.backend.state.withLock { $0.resets } == cycle + 2 }) else { exit(3) }
            }
            let after = vhostUserDescriptorCount()
            if before != after {
                print("descriptors before \(before), after \(after)")
                exit(4)
            }
            h.stop()
        }
    }

    @Test func secondFrontendIsRefusedWhileOneIsServed() throws {
        let h = try ServerHarness()
        defer { h.stop() }
        let first = try h.frontend()
        _ = try first.negotiate()
        let second = try h.frontend()
        #expect(second.isClosedByPeer())
        // The first keeps working.
        try first.setFeatures([.version1, .protocolFeatures])
        #expect(try first.getFeatures().contains(.version1))
    }

    @Test func staleSocketFileIsReplacedButLiveOnesAndFilesAreNot() throws {
        let dir = NSTemporaryDirectory() + "vhu-stale-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/sock"
        // A socket file whose listener is gone.
        do { _ = try UnixSocket.listen(path: path) }
        #expect(FileManager.default.fileExists(atPath: path))
        let fresh = try VhostUserServer.bind(path: path)
        // Now it is live: binding again must refuse.
        #expect(throws: Errno.busy) { _ = try VhostUserServer.bind(path: path) }
        _ = fresh
        // A regular file is never removed.
        let file = dir + "/file"
        FileManager.default.createFile(atPath: file, contents: Data([1]))
        #expect(throws: Errno.fileExists) { _ = try VhostUserServer.bind(path: file) }
        #expect(FileManager.default.fileExists(atPath: file))
    }
}

/// Descriptors of the kinds a vhost-user connection brings in: sockets, memfds (guest RAM) and eventfds (kicks,
/// calls). Other descriptors the test runner may open and close meanwhile are not counted.
func vhostUserDescriptorCount() -> Int {
    guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") else { return -1 }
    return entries.filter { fd in
        guard let link = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/" + fd) else {
            return false
        }
        return link.hasPrefix("socket:") || link.hasPrefix("/memfd:") || link == "anon_inode:[eventfd]"
    }.count
}
