import GuestMemory
import LinuxSystem
import Testing
import VhostUserTestKit
import Virtqueue

@Suite("SplitQueue configuration")
struct SplitQueueConfigurationTests {
    struct Shape: Sendable, CustomTestStringConvertible {
        let name: String
        let size: Int
        let table: UInt64
        let avail: UInt64
        let used: UInt64
        let expected: VirtqueueError
        var testDescription: String { name }
    }

    // Region 0 is [0x10000, 0x20000), region 1 [0x20000, 0x21000) adjacent to it, region 2 [0x100000, 0x140000).
    static let shapes: [Shape] = [
        Shape(name: "size 0", size: 0, table: 0x10000, avail: 0x11000, used: 0x12000,
              expected: .invalidQueueSize(0)),
        Shape(name: "size 3 (not a power of two)", size: 3, table: 0x10000, avail: 0x11000, used: 0x12000,
              expected: .invalidQueueSize(3)),
        Shape(name: "size 24", size: 24, table: 0x10000, avail: 0x11000, used: 0x12000,
              expected: .invalidQueueSize(24)),
        Shape(name: "size 65536", size: 65536, table: 0x10000, avail: 0x11000, used: 0x12000,
              expected: .invalidQueueSize(65536)),
        Shape(name: "negative size", size: -8, table: 0x10000, avail: 0x11000, used: 0x12000,
              expected: .invalidQueueSize(-8)),
        Shape(name: "descriptor table misaligned", size: 8, table: 0x10008, avail: 0x11000, used: 0x12000,
              expected: .misalignedRing(.descriptorTable, GuestAddress(0x10008))),
        Shape(name: "avail ring misaligned", size: 8, table: 0x10000, avail: 0x11001, used: 0x12000,
              expected: .misalignedRing(.availRing, GuestAddress(0x11001))),
        Shape(name: "used ring misaligned", size: 8, table: 0x10000, avail: 0x11000, used: 0x12002,
              expected: .misalignedRing(.usedRing, GuestAddress(0x12002))),
        Shape(name: "descriptor table outside memory", size: 8, table: 0x9000_0000, avail: 0x11000, used: 0x12000,
              expected: .ringOutsideMemory(.descriptorTable, GuestAddress(0x9000_0000))),
        Shape(name: "descriptor table runs past its region", size: 512, table: 0x13_F000, avail: 0x11000,
              used: 0x12000, expected: .ringOutsideMemory(.descriptorTable, GuestAddress(0x13_F000))),
        Shape(name: "descriptor table straddles two regions", size: 16, table: 0x1_FF80, avail: 0x11000,
              used: 0x12000, expected: .ringOutsideMemory(.descriptorTable, GuestAddress(0x1_FF80))),
        Shape(name: "avail ring outside memory", size: 8, table: 0x10000, avail: 0xFFFF_FFFF_FFFF_FFF0,
              used: 0x12000, expected: .ringOutsideMemory(.availRing, GuestAddress(0xFFFF_FFFF_FFFF_FFF0))),
        Shape(name: "avail ring's used_event past the region", size: 8, table: 0x10000, avail: 0x20FEC,
              used: 0x12000, expected: .ringOutsideMemory(.availRing, GuestAddress(0x20FEC))),
        Shape(name: "used ring straddles two regions", size: 8, table: 0x10000, avail: 0x11000, used: 0x1_FFC0,
              expected: .ringOutsideMemory(.usedRing, GuestAddress(0x1_FFC0))),
        Shape(name: "used ring in a hole", size: 8, table: 0x10000, avail: 0x11000, used: 0x50000,
              expected: .ringOutsideMemory(.usedRing, GuestAddress(0x50000))),
    ]

    @Test("hostile queue configurations are refused", arguments: shapes)
    func refused(_ shape: Shape) throws {
        let ram = try GuestRAM(layout: RingFixture.layout)
        let memory = try ram.makeMemoryMap()
        #expect(throws: shape.expected) {
            try SplitQueue(
                size: shape.size, descriptorTable: GuestAddress(shape.table), availRing: GuestAddress(shape.avail),
                usedRing: GuestAddress(shape.used), features: [.eventIndex], memory: memory)
        }
    }

    @Test("the largest queue (32768) and rings ending exactly at a region end are accepted")
    func limits() throws {
        let ram = try GuestRAM(layout: [(0x0, 0x100000)])
        let memory = try ram.makeMemoryMap()
        let size = 32768
        let tableEnd: UInt64 = 0x80000  // 16 * 32768
        let usedStart: UInt64 = (0x100000 - UInt64(SplitRingLayout.usedRingSize(queueSize: size))) & ~3
        let queue = try SplitQueue(
            size: size, descriptorTable: GuestAddress(0), availRing: GuestAddress(tableEnd),
            usedRing: GuestAddress(usedStart), features: [], memory: memory)
        #expect(queue.size == 32768)
        #expect(throws: VirtqueueError.ringOutsideMemory(.usedRing, GuestAddress(usedStart + 4))) {
            try SplitQueue(
                size: size, descriptorTable: GuestAddress(0), availRing: GuestAddress(tableEnd),
                usedRing: GuestAddress(usedStart + 4), features: [], memory: memory)
        }
    }

    @Test("vhost-user base indices are settable and readable")
    func baseIndices() throws {
        let f = try RingFixture()
        f.queue.nextAvailIndex = 0xFFFE
        f.queue.nextUsedIndex = 0xFFFE
        #expect(f.queue.nextAvailIndex == 0xFFFE)
        // The driver's shadow starts at 0: give it the same base by publishing raw indices.
        f.driver.writeDescriptor(Descriptor(address: f.buffer, length: 8, flags: [], next: 0), at: 0)
        f.driver.setRawAvailIndex(0xFFFE)
        f.driver.appendRawAvail(0)
        f.driver.appendRawAvail(0)
        _ = f.driver.publish()  // avail.idx wraps to 0
        #expect(try f.pop()?.headIndex == 0)
        try f.queue.pushUsed(head: 0, length: 0, memory: f.memory)
        #expect(try f.pop()?.headIndex == 0)
        try f.queue.pushUsed(head: 0, length: 0, memory: f.memory)
        #expect(try f.pop()?.headIndex == nil)
        #expect(f.queue.nextAvailIndex == 0)
        #expect(f.queue.nextUsedIndex == 0)
        #expect(try f.queue.ringUsedIndex(memory: f.memory) == 0)
    }

    @Test("RingFeatures picks the ring bits out of a feature word")
    func features() {
        let word: UInt64 = (1 << 32) | (1 << 29) | (1 << 28) | 1
        #expect(RingFeatures(negotiated: word) == [.eventIndex, .indirectDescriptors])
        #expect(RingFeatures(negotiated: 1 << 29) == .eventIndex)
    }
}
