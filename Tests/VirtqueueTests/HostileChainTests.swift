import GuestMemory
import LinuxSystem
import Testing
import VhostUserTestKit
import Virtqueue

/// Every hostile ring shape gets an error for that chain (the queue keeps serving) or for the queue (broken from
/// then on); never a crash or a hang.
@Suite("Hostile chains")
struct HostileChainTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        var features: RingFeatures = [.indirectDescriptors, .eventIndex]
        var storageCapacity = 512
        /// Builds the hostile ring through the fixture's raw driver helpers.
        let build: @Sendable (RingFixture) -> Void
        /// The error pop must throw.
        let expected: @Sendable (RingFixture) -> VirtqueueError
        var testDescription: String { name }
    }

    static func d(_ address: GuestAddress, _ length: UInt32, _ flags: DescriptorFlags = [], next: UInt16 = 0)
        -> Descriptor
    {
        Descriptor(address: address, length: length, flags: flags, next: next)
    }

    static let cases: [Case] = [
        Case(name: "buffer outside every region",
             build: { $0.offerRaw([d(GuestAddress(0x9000_0000), 16)]) },
             expected: { _ in .descriptorOutsideMemory(head: 0, address: GuestAddress(0x9000_0000), length: 16) }),
        Case(name: "buffer in the hole between regions",
             build: { $0.offerRaw([d(GuestAddress(0x30000), 1)]) },
             expected: { _ in .descriptorOutsideMemory(head: 0, address: GuestAddress(0x30000), length: 1) }),
        Case(name: "buffer straddling two adjacent regions",
             build: { $0.offerRaw([d(GuestAddress(0x1FFF0), 32)]) },
             expected: { _ in .descriptorOutsideMemory(head: 0, address: GuestAddress(0x1FFF0), length: 32) }),
        Case(name: "buffer running past the last region's end",
             build: { $0.offerRaw([d(GuestAddress(0x13FFF0), 17, .write)]) },
             expected: { _ in .descriptorOutsideMemory(head: 0, address: GuestAddress(0x13FFF0), length: 17) }),
        Case(name: "address + length overflows 64 bits",
             build: { $0.offerRaw([d(GuestAddress(UInt64.max - 4), 16)]) },
             expected: { _ in
                 .descriptorOutsideMemory(head: 0, address: GuestAddress(UInt64.max - 4), length: 16)
             }),
        Case(name: "second buffer of a chain outside memory",
             build: { $0.offerRaw([d($0.buffer, 16, .next, next: 1), d(GuestAddress(0x5000), 16, .write)]) },
             expected: { _ in .descriptorOutsideMemory(head: 0, address: GuestAddress(0x5000), length: 16) }),
        Case(name: "total readable length past UInt32.max",
             build: { $0.offerRaw([d($0.buffer, 16, .next, next: 1), d($0.buffer, 0xFFFF_FFF0)]) },
             expected: { _ in .chainLengthOverflow(head: 0) }),
        Case(name: "total writable length past UInt32.max",
             build: {
                 $0.offerRaw([
                     d($0.buffer, 16, .next, next: 1), d($0.buffer, 16, [.write, .next], next: 2),
                     d($0.buffer, 0xFFFF_FFF0, .write),
                 ])
             },
             expected: { _ in .chainLengthOverflow(head: 0) }),
        Case(name: "next index >= queue size",
             build: { $0.offerRaw([d($0.buffer, 16, .next, next: 8)]) },
             expected: { _ in .descriptorIndexOutOfRange(head: 0, index: 8) }),
        Case(name: "next index 0xFFFF",
             build: { $0.offerRaw([d($0.buffer, 16, .next, next: 0xFFFF)]) },
             expected: { _ in .descriptorIndexOutOfRange(head: 0, index: 0xFFFF) }),
        Case(name: "a descriptor chained to itself",
             build: { $0.offerRaw([d($0.buffer, 16, .next, next: 0)]) },
             expected: { _ in .chainTooLong(head: 0) }),
        Case(name: "a loop of two descriptors",
             build: { $0.offerRaw([d($0.buffer, 16, .next, next: 1), d($0.buffer, 16, .next, next: 0)]) },
             expected: { _ in .chainTooLong(head: 0) }),
        Case(name: "a loop of empty descriptors",
             build: { $0.offerRaw([d(GuestAddress(0), 0, .next, next: 1), d(GuestAddress(0), 0, .next, next: 0)]) },
             expected: { _ in .chainTooLong(head: 0) }),
        Case(name: "readable after writable",
             build: { $0.offerRaw([d($0.buffer, 16, [.write, .next], next: 1), d($0.buffer, 16)]) },
             expected: { _ in .readableAfterWritable(head: 0) }),
        Case(name: "head index >= queue size",
             build: { $0.driver.appendRawAvail(8); _ = $0.driver.publish() },
             expected: { _ in .headIndexOutOfRange(8) }),
        Case(name: "head index 0xFFFF",
             build: { $0.driver.appendRawAvail(0xFFFF); _ = $0.driver.publish() },
             expected: { _ in .headIndexOutOfRange(0xFFFF) }),
        Case(name: "indirect descriptor without the feature",
             features: [.eventIndex],
             build: { $0.offerRaw([d($0.scratch, 32, .indirect)]) },
             expected: { _ in .indirectNotNegotiated(head: 0) }),
        Case(name: "indirect descriptor inside an indirect table",
             build: {
                 $0.driver.writeDescriptorTable([d($0.buffer, 16, .next, next: 1), d($0.scratch, 32, .indirect)],
                                                at: $0.scratch)
                 $0.offerRaw([d($0.scratch, 32, .indirect)])
             },
             expected: { _ in .nestedIndirectTable(head: 0) }),
        Case(name: "indirect table length not a multiple of 16",
             build: { $0.offerRaw([d($0.scratch, 24, .indirect)]) },
             expected: { _ in .invalidIndirectTableLength(head: 0, length: 24) }),
        Case(name: "empty indirect table",
             build: { $0.offerRaw([d($0.scratch, 0, .indirect)]) },
             expected: { _ in .invalidIndirectTableLength(head: 0, length: 0) }),
        Case(name: "indirect table of 65536 descriptors",
             build: { $0.offerRaw([d($0.scratch, 16 * 65536, .indirect)]) },
             expected: { _ in .invalidIndirectTableLength(head: 0, length: 16 * 65536) }),
        Case(name: "indirect table outside memory",
             build: { $0.offerRaw([d(GuestAddress(0x7000_0000), 32, .indirect)]) },
             expected: { _ in .descriptorOutsideMemory(head: 0, address: GuestAddress(0x7000_0000), length: 32) }),
        Case(name: "indirect table straddling two regions",
             build: { $0.offerRaw([d(GuestAddress(0x1FFF0), 32, .indirect)]) },
             expected: { _ in .descriptorOutsideMemory(head: 0, address: GuestAddress(0x1FFF0), length: 32) }),
        Case(name: "indirect flag together with next",
             build: { $0.offerRaw([d($0.scratch, 32, [.indirect, .next], next: 1), d($0.buffer, 16)]) },
             expected: { _ in .indirectWithNext(head: 0) }),
        Case(name: "loop inside an indirect table",
             build: {
                 $0.driver.writeDescriptorTable([d($0.buffer, 16, .next, next: 1), d($0.buffer, 16, .next, next: 0)],
                                                at: $0.scratch)
                 $0.offerRaw([d($0.scratch, 32, .indirect)])
             },
             expected: { _ in .chainTooLong(head: 0) }),
        Case(name: "next index past an indirect table's end",
             build: {
                 $0.driver.writeDescriptorTable([d($0.buffer, 16, .next, next: 2), d($0.buffer, 16)], at: $0.scratch)
                 $0.offerRaw([d($0.scratch, 32, .indirect)])
             },
             expected: { _ in .descriptorIndexOutOfRange(head: 0, index: 2) }),
        Case(name: "readable after writable inside an indirect table",
             build: {
                 $0.driver.writeDescriptorTable([d($0.buffer, 16, [.write, .next], next: 1), d($0.buffer, 16)],
                                                at: $0.scratch)
                 $0.offerRaw([d($0.scratch, 32, .indirect)])
             },
             expected: { _ in .readableAfterWritable(head: 0) }),
        Case(name: "readable in the table after a writable direct descriptor",
             build: {
                 $0.driver.writeDescriptorTable([d($0.buffer, 16)], at: $0.scratch)
                 $0.offerRaw([d($0.buffer, 16, [.write, .next], next: 1), d($0.scratch, 16, .indirect)])
             },
             expected: { _ in .readableAfterWritable(head: 0) }),
        Case(name: "more buffers than the storage holds",
             storageCapacity: 2,
             build: {
                 $0.offerRaw([d($0.buffer, 1, .next, next: 1), d($0.buffer, 1, .next, next: 2), d($0.buffer, 1)])
             },
             expected: { _ in .tooManySegments(head: 0, capacity: 2) }),
    ]

    @Test("a hostile chain is refused and the queue keeps serving", arguments: cases)
    func chainRefused(_ hostile: Case) throws {
        let f = try RingFixture(features: hostile.features, storageCapacity: hostile.storageCapacity)
        hostile.build(f)
        let expected = hostile.expected(f)
        #expect(throws: expected) { try f.pop() }
        #expect(!expected.isQueueFatal)
        #expect(!f.queue.isBroken)
        // Return the refused head (when there is one) so the driver gets its descriptors back.
        if let head = expected.chainHead {
            try f.queue.pushUsed(head: head, length: 0, memory: f.memory)
            #expect(f.driver.deviceUsedIndex == 1)
        }
        try f.expectStillServing()
    }

    struct QueueCase: Sendable, CustomTestStringConvertible {
        let name: String
        let availIndex: UInt16
        var testDescription: String { name }
    }

    static let queueCases: [QueueCase] = [
        QueueCase(name: "avail.idx one more than the queue size ahead", availIndex: 9),
        QueueCase(name: "avail.idx far ahead", availIndex: 0x7FFF),
        QueueCase(name: "avail.idx moved backwards", availIndex: 0xFFFF),
    ]

    @Test("avail.idx jumping more than the queue size ahead breaks the queue", arguments: queueCases)
    func availJump(_ hostile: QueueCase) throws {
        let f = try RingFixture()
        f.driver.writeDescriptor(Descriptor(address: f.buffer, length: 16, flags: [], next: 0), at: 0)
        f.driver.setRawAvailIndex(hostile.availIndex)
        #expect(throws: VirtqueueError.availIndexOutOfRange(availIndex: hostile.availIndex, nextAvailIndex: 0)) {
            try f.pop()
        }
        #expect(f.queue.isBroken)
        #expect(throws: VirtqueueError.queueBroken) { try f.pop() }
        #expect(throws: VirtqueueError.queueBroken) { try f.queue.pushUsed(head: 0, length: 0, memory: f.memory) }
        #expect(throws: VirtqueueError.queueBroken) { try f.queue.needsNotification(memory: f.memory) }
    }

    @Test("avail.idx exactly a full ring ahead is served")
    func fullRing() throws {
        let f = try RingFixture()
        f.driver.writeDescriptor(Descriptor(address: f.buffer, length: 16, flags: [], next: 0), at: 0)
        for _ in 0..<8 { f.driver.appendRawAvail(0) }
        _ = f.driver.publish()
        for _ in 0..<8 { #expect(try f.pop()?.headIndex == 0) }
        #expect(try f.pop()?.headIndex == nil)
    }

    @Test("pushUsed refuses a head index >= queue size")
    func usedHead() throws {
        let f = try RingFixture()
        #expect(throws: VirtqueueError.usedHeadOutOfRange(8)) {
            try f.queue.pushUsed(head: 8, length: 0, memory: f.memory)
        }
        #expect(f.driver.deviceUsedIndex == 0)
        #expect(!f.queue.isBroken)
    }

    @Test("each buffer valid but the total past UInt32.max (two 3 GiB buffers over a sparse memfd)")
    func hugeBuffers() throws {
        let threeGiB: UInt64 = 3 << 30
        let f = try RingFixture(layout: [(0x10000, 0x10000), (0x1_0000_0000, threeGiB)])
        let big = GuestAddress(0x1_0000_0000)
        // One 3 GiB buffer translates (nothing is touched, so the memfd stays sparse).
        f.offerRaw([Descriptor(address: big, length: UInt32(threeGiB), flags: .write, next: 0)])
        let chain = try #require(try f.pop())
        #expect(chain.writableLength == UInt32(threeGiB))
        #expect(chain.writableSegments.count == 1)
        f.offerRaw([
            Descriptor(address: big, length: UInt32(threeGiB), flags: [.write, .next], next: 1),
            Descriptor(address: big, length: UInt32(threeGiB), flags: .write, next: 0),
        ])
        #expect(throws: VirtqueueError.chainLengthOverflow(head: 0)) { try f.pop() }
    }

    @Test("empty buffers are walked but not stored; their addresses are not translated")
    func emptyBuffers() throws {
        let f = try RingFixture()
        f.offerRaw([
            Descriptor(address: GuestAddress(0xDEAD_0000_0000), length: 0, flags: .next, next: 1),
            Descriptor(address: f.buffer, length: 8, flags: .next, next: 2),
            Descriptor(address: GuestAddress(0xDEAD_0000_0000), length: 0, flags: .write, next: 0),
        ])
        let chain = try #require(try f.pop())
        #expect(chain.descriptorCount == 3)
        #expect(chain.readableSegmentCount == 1)
        #expect(chain.writableSegmentCount == 0)
        #expect(chain.readableLength == 8)
    }
}
