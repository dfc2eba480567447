import FSDevAIO
import Foundation
import Glibc
import Synchronization
import Testing
import VhostUserTestKit

/// The Linux 6.1 guest driver uses one request queue; these drive four through the test kit, as a multi-queue
/// guest would, on two reactors.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct MultiQueueTests {
    @Test func fourRequestQueuesOnTwoReactors() throws {
        let d = try InProcessDaemon(requestQueues: 4, reactors: 2)
        defer { d.stop() }
        let c = try d.client(queues: 4)
        defer { c.shutdown() }
        #expect(c.requestQueues.count == 4)
        let failures = Mutex<[String]>([])
        let queues = c.requestQueues
        let before = d.reactors.reactors.map { $0.statistics.busyNanoseconds }
        DispatchQueue.concurrentPerform(iterations: 4) { lane in
            let q = queues[lane]
            do throws(FUSEClient.Failure) {
                for n in 0..<100 {
                    let name = "q\(lane)-\(n)"
                    let payload = [UInt8](repeating: UInt8(lane * 50 + n % 50), count: 4096 + n)
                    let (e, o) = try q.create(parent: FUSEClient.rootNodeID, name: name, flags: O_RDWR, mode: 0o644)
                    _ = try q.write(e.nodeID, handle: o.handle, offset: 0, data: payload)
                    let back = try q.read(e.nodeID, handle: o.handle, offset: 0, size: 8192)
                    if back != payload { failures.withLock { $0.append("\(name): data differs") } }
                    try q.release(e.nodeID, handle: o.handle)
                    try q.unlink(parent: FUSEClient.rootNodeID, name: name)
                }
            } catch {
                failures.withLock { $0.append("lane \(lane): \(error)") }
            }
        }
        #expect(failures.withLock { $0 } == [])
        let after = d.reactors.reactors.map { $0.statistics.busyNanoseconds }
        // Queues 1 and 3 live on reactor 1, queues 2 and 4 on reactor 0: both did work.
        #expect(zip(before, after).allSatisfy { $1 > $0 })
        #expect(try FileManager.default.contentsOfDirectory(atPath: d.share) == [])
    }

    @Test(arguments: AIOFSOptions.Engine.allCases)
    func sustainedMixedLoadLeavesNoLeaks(engine: AIOFSOptions.Engine) throws {
        let d = try InProcessDaemon(requestQueues: 4, reactors: 2, options: InProcessDaemon.options(engine))
        defer { d.stop() }
        let fdsBefore = openDescriptorsInto(d.share)
        let c = try d.client(queues: 4)
        let root = FUSEClient.rootNodeID
        // A shared data set: 16 files of 64 KiB.
        for i in 0..<16 {
            let (e, o) = try c.create(parent: root, name: "data\(i)", flags: O_RDWR, mode: 0o644)
            _ = try c.write(e.nodeID, handle: o.handle, offset: 0, data: [UInt8](repeating: UInt8(i), count: 65536))
            try c.release(e.nodeID, handle: o.handle)
        }
        let failures = Mutex<[String]>([])
        let ops = Mutex(0)
        let queues = c.requestQueues
        let deadline = Date().addingTimeInterval(3)
        DispatchQueue.concurrentPerform(iterations: 4) { lane in
            let q = queues[lane]
            var n = 0
            do throws(FUSEClient.Failure) {
                while Date() < deadline {
                    let i = (lane * 7 + n) % 16
                    let e = try q.lookup(parent: root, name: "data\(i)")
                    _ = try q.getattr(e.nodeID)
                    let o = try q.open(e.nodeID, flags: O_RDWR)
                    let block = try q.read(e.nodeID, handle: o.handle, offset: UInt64(n % 16) * 4096, size: 4096)
                    if block != [UInt8](repeating: UInt8(i), count: 4096) {
                        failures.withLock { $0.append("data\(i) block \(n % 16) differs") }
                    }
                    _ = try q.write(e.nodeID, handle: o.handle, offset: UInt64(n % 16) * 4096,
                                    data: [UInt8](repeating: UInt8(i), count: 4096))
                    try q.release(e.nodeID, handle: o.handle)
                    let scratch = "s\(lane)-\(n)"
                    _ = try q.mkdir(parent: root, name: scratch, mode: 0o755)
                    try q.rmdir(parent: root, name: scratch)
                    n += 1
                }
            } catch {
                failures.withLock { $0.append("lane \(lane): \(error)") }
            }
            ops.withLock { $0 += n }
        }
        #expect(failures.withLock { $0 } == [])
        #expect(ops.withLock { $0 } > 100)
        c.shutdown()
        // The front-end is gone: every node it looked up and every handle is released, no descriptor into the
        // share is left open (the descriptors close right after the nodes leave the table: wait for both).
        #expect(d.eventually { d.fsdev.nodeCount == 1 && d.fsdev.handleCount == 0 })
        #expect(d.eventually { openDescriptorsInto(d.share) == fdsBefore },
                "descriptors into the share: \(openDescriptorsInto(d.share)), before: \(fdsBefore)")
    }
}

/// Descriptors of this process that refer to something inside `directory` (other tests' descriptors do not count).
func openDescriptorsInto(_ directory: String) -> Int {
    guard let fds = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") else { return -1 }
    var n = 0
    for fd in fds {
        if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/" + fd),
           target.hasPrefix(directory) {
            n += 1
        }
    }
    return n
}
