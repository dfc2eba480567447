import GuestMemory
import LinuxSystem
import Testing
import VhostUserTestKit
import Virtqueue

/// `address` moved by `offset` bytes (test inputs only).
func offset(_ address: GuestAddress, _ offset: Int) -> GuestAddress {
    GuestAddress(UInt64(Int64(address.rawValue) + Int64(offset)))
}

/// A queue over real memfd memory: guest RAM with three regions, the driver side laid out in region 0, the device
/// side (`SplitQueue`) over a separate mapping of the same memory.
///
/// Regions: 0 = [0x10000, 0x20000) (rings, indirect tables, `buffer`), 1 = [0x20000, 0x21000) (adjacent to 0),
/// 2 = [0x100000, 0x140000) (far away).
final class RingFixture {
    static let layout: [(guestPhysicalAddress: UInt64, size: UInt64)] = [
        (0x10000, 0x10000), (0x20000, 0x1000), (0x100000, 0x40000),
    ]

    let ram: GuestRAM
    let memory: GuestMemoryMap
    let driver: DriverQueue
    let queue: SplitQueue
    let storage: DescriptorChainStorage
    /// A valid 4 KiB buffer in region 0.
    let buffer: GuestAddress
    /// Scratch space in region 0 for indirect tables written by tests.
    let scratch: GuestAddress

    init(
        size: Int = 8, features: RingFeatures = [.indirectDescriptors, .eventIndex], storageCapacity: Int = 512,
        layout: [(guestPhysicalAddress: UInt64, size: UInt64)] = RingFixture.layout
    ) throws {
        ram = try GuestRAM(layout: layout)
        memory = try ram.makeMemoryMap()
        driver = try DriverQueue(ram: ram, size: size, features: features)
        queue = try SplitQueue(
            size: size, descriptorTable: driver.descriptorTableAddress, availRing: driver.availRingAddress,
            usedRing: driver.usedRingAddress, features: features, memory: memory)
        storage = DescriptorChainStorage(capacity: storageCapacity)
        buffer = try #require(ram.allocate(size: 4096, alignment: 4096))
        scratch = try #require(ram.allocate(size: 4096, alignment: 4096))
    }

    /// Pops into the fixture's storage.
    func pop() throws(VirtqueueError) -> DescriptorChain? {
        try queue.pop(memory: memory, into: storage)
    }

    /// Puts `descriptors` in table slots 0, 1, ... and makes `head` available (published).
    func offerRaw(_ descriptors: [Descriptor], head: UInt16 = 0) {
        for (i, d) in descriptors.enumerated() { driver.writeDescriptor(d, at: i) }
        driver.appendRawAvail(head)
        _ = driver.publish()
    }

    /// Offers a valid one-buffer chain at the last table slot and checks the device pops it: the queue still works.
    func expectStillServing() throws {
        let last = queue.size - 1
        driver.writeDescriptor(Descriptor(address: buffer, length: 16, flags: [], next: 0), at: last)
        driver.appendRawAvail(UInt16(last))
        _ = driver.publish()
        let chain = try #require(try pop())
        #expect(chain.headIndex == UInt16(last))
        #expect(chain.readableLength == 16)
        #expect(chain.writableLength == 0)
    }
}
