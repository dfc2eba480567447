import FSDevAIO
import Foundation
import Glibc
import Testing
import VhostUserTestKit

/// Every resource of a front-end connection is released when it ends: its queues (and their eventfds), the
/// channel's AIO context, eventfd and helper threads, and the guest-memory mapping.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct ReconnectLeakTests {
    /// 200 connections, each starting two queues (hiprio and one request queue) and serving requests, half of them
    /// ending with GET_VRING_BASE first (as QEMU stops a device), half by dropping the socket (a killed QEMU). The
    /// census by kind after the last equals the one after the first.
    ///
    /// In a child process of its own (an exit test): other tests running in parallel would change the counts.
    @Test func twoHundredConnectionsLeaveNothingBehindWithLibaio() async {
        await #expect(processExitsWith: .success) { try Self.twoHundredConnections(engine: .libaio) }
        if let note = ExitTestNote.take(test: "reconnect") { Issue.record(Comment(rawValue: note)) }
    }

    @Test func twoHundredConnectionsLeaveNothingBehindWithThreads() async {
        await #expect(processExitsWith: .success) { try Self.twoHundredConnections(engine: .threads) }
        if let note = ExitTestNote.take(test: "reconnect") { Issue.record(Comment(rawValue: note)) }
    }

    @Test func twoHundredConnectionsLeaveNothingBehindWithIOUring() async {
        await #expect(processExitsWith: .success) { try Self.twoHundredConnections(engine: .ioUring) }
        if let note = ExitTestNote.take(test: "reconnect") { Issue.record(Comment(rawValue: note)) }
    }

    /// The body of the tests above, run in the exit test's child: exits with a status other than 0, and a note,
    /// when something of a connection is left.
    static func twoHundredConnections(engine: AIOFSOptions.Engine) throws {
        // Helper threads (cold reads, and every I/O with the threads engine) are on, as in the daemon: they must
        // end with their channel. io_uring's kernel workers are the kernel's, not counted.
        let d = try InProcessDaemon(options: AIOFSOptions(inlineCachedReads: true, engine: engine))
        let helpersIdle = ProcessResources.current().threads(named: "io-helper")
        var first: ProcessResources?
        for cycle in 0..<200 {
            do {
                let c = try d.client(queues: 1)
                try Self.serveSomeRequests(c, cycle: cycle)
                // The census sees the helpers while a connection is served (else the check below proves nothing).
                if cycle == 0, engine != .ioUring,
                   ProcessResources.current().threads(named: "io-helper") <= helpersIdle {
                    ExitTestNote.write(test: "reconnect", "no io-helper thread seen while a connection is served")
                    exit(6)
                }
                if cycle % 2 == 0 {
                    c.shutdown()
                } else {
                    c.frontend.connection.socket.shutdown()
                }
            }
            // Released: every node and handle of the mount, and the channel's helper threads ended.
            guard d.eventually(10_000, {
                d.server.endedConnections == cycle + 1 && d.fsdev.nodeCount == 1 && d.fsdev.handleCount == 0
                    && ProcessResources.current().threads(named: "io-helper") == helpersIdle
            }) else {
                ExitTestNote.write(
                    test: "reconnect",
                    "cycle \(cycle): not released: nodes \(d.fsdev.nodeCount), handles \(d.fsdev.handleCount), "
                        + "helper threads when idle \(helpersIdle), now \(ProcessResources.current())")
                exit(2)
            }
            if first == nil { first = ProcessResources.current().connectionKinds }
        }
        guard let first else { exit(3) }
        // Give the server the time to finish its last release, then compare kind by kind.
        let settled = d.eventually(10_000) { ProcessResources.current().connectionKinds == first }
        let last = ProcessResources.current().connectionKinds
        if !settled {
            ExitTestNote.write(test: "reconnect", "after the first connection: \(first)\nafter the last: \(last)")
            exit(4)
        }
        // Nothing of a connection is left: no memfd mapping, no AIO ring.
        guard last.mappings("memfd") == 0, last.mappings("aio") == 0 else {
            ExitTestNote.write(test: "reconnect", "mappings left: \(last)")
            exit(5)
        }
        d.stop()
    }

    /// Creates, writes, reads, looks up and removes a file, and lists the root (READDIRPLUS).
    static func serveSomeRequests(_ c: FUSEClient, cycle: Int) throws {
        let root = FUSEClient.rootNodeID
        let name = "f\(cycle)"
        let payload = [UInt8](repeating: UInt8(truncatingIfNeeded: cycle), count: 8192)
        let (e, o) = try c.create(parent: root, name: name, flags: O_RDWR, mode: 0o644)
        guard try c.write(e.nodeID, handle: o.handle, offset: 0, data: payload) == payload.count,
              try c.read(e.nodeID, handle: o.handle, offset: 0, size: 8192) == payload
        else { exit(6) }
        try c.release(e.nodeID, handle: o.handle)
        _ = try c.getattr(try c.lookup(parent: root, name: name).nodeID)
        let h = try c.opendir(root)
        _ = try c.readdirplus(root, handle: h.handle)
        try c.releasedir(root, handle: h.handle)
        try c.unlink(parent: root, name: name)
    }
}
