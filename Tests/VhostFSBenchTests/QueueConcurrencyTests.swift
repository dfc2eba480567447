import CLinux
import Foundation
import Glibc
import Testing
import VhostUserTestKit

/// Request queues sharing one guest RAM, each driven by its own thread with an in-process device: the queues share
/// only read-only state, so many requests in flight on each must all come back with their own replies.
@Suite(.timeLimit(.minutes(1)))
struct QueueConcurrencyTests {
    @Test func queuesOnSharedRAMRunIndependentlyOnTheirThreads() throws {
        let ram = try GuestRAM(size: 8 << 20)
        let queues = try (1...4).map { i in
            try FUSEClient.Queue(testingIndex: i, ram: ram, queueSize: 64, slotCount: 8, timeoutMilliseconds: 5_000)
        }
        let failures = Failures()
        let threads = queues.map { q in
            Thread {
                var device = FUSETestDevice(queue: q)
                var seen = Set<UInt64>()
                do {
                    for round in 0..<2_000 {
                        for lane in 0..<8 {
                            try q.submitRead(UInt64(q.index), handle: UInt64(round), offset: UInt64(lane) * 4096,
                                             size: 64, tag: UInt64(lane))
                        }
                        q.kick()
                        while let chain = device.pop() {
                            // Echo the node, handle and offset back as the data.
                            guard let header = chain.header else { continue }
                            let body = chain.readable[40...].withUnsafeBytes {
                                $0.loadUnaligned(as: fuse_read_in.self)
                            }
                            var payload: [UInt8] = []
                            withUnsafeBytes(of: header.nodeid) { payload += $0 }
                            withUnsafeBytes(of: body.fh) { payload += $0 }
                            withUnsafeBytes(of: body.offset) { payload += $0 }
                            device.reply(chain, payload: payload)
                        }
                        try q.reap(minimum: 8) { (c) throws(FUSEClient.Failure) in
                            let bytes = try FUSEClient.Queue.decodeBytes(c)
                            let words = bytes.withUnsafeBytes { b in
                                (0..<3).map { b.loadUnaligned(fromByteOffset: 8 * $0, as: UInt64.self) }
                            }
                            if words != [UInt64(q.index), UInt64(round), c.tag * 4096] {
                                failures.add("queue \(q.index) round \(round): \(words)")
                            }
                            if !seen.insert(c.unique).inserted { failures.add("queue \(q.index): unique reused") }
                        }
                    }
                } catch {
                    failures.add("queue \(q.index): \(error)")
                }
            }
        }
        threads.forEach { $0.start() }
        let deadline = Date().addingTimeInterval(50)
        while threads.contains(where: { !$0.isFinished }) && Date() < deadline { usleep(5_000) }
        #expect(threads.allSatisfy { $0.isFinished })
        #expect(failures.all.isEmpty, "\(failures.all.prefix(5))")
        #expect(queues.allSatisfy { $0.completed == 16_000 && $0.inFlightCount == 0 })
    }
}
