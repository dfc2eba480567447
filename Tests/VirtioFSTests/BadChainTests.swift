import Foundation
import GuestMemory
import Testing
import VhostUserTestKit
import Virtqueue

/// A malformed descriptor chain reaching the device through a real vhost-user connection: it is returned unused
/// (used length 0) and the queue keeps serving (the chain shapes themselves are covered by the Virtqueue tests).
@Suite(.serialized, .timeLimit(.minutes(1)))
struct BadChainTests {
    @Test func chainOutsideGuestMemoryIsReturnedUnusedAndTheQueueGoesOn() throws {
        let d = try InProcessDaemon()
        defer { d.stop() }
        let c = try d.client()
        defer { c.shutdown() }
        let driver = c.queue.driver
        let used = driver.usedRingAddress
        for round in 0..<3 {
            let start = driver.deviceUsedIndex
            // A descriptor pointing far outside every memory region, on an index the client does not use now.
            let index = driver.size - 1 - round
            driver.writeDescriptor(Descriptor(address: GuestAddress(0xdead_0000_0000), length: 64, flags: [], next: 0),
                                   at: index)
            driver.appendRawAvail(UInt16(index))
            c.queue.kick()
            #expect(eventually { driver.deviceUsedIndex == start &+ 1 }, "the bad chain was not returned")
            // used.ring[start % size] = { id, len }.
            let slot = UInt64(Int(start) % driver.size)
            let id = driver.ram.load(UInt32.self, at: GuestAddress(used.rawValue + 4 + 8 * slot))
            let length = driver.ram.load(UInt32.self, at: GuestAddress(used.rawValue + 8 + 8 * slot))
            #expect(id == UInt32(index))
            #expect(length == 0)
        }
        #expect(d.fsdev.nodeCount == 1)
    }
}
