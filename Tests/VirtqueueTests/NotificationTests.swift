import GuestMemory
import LinuxSystem
import Testing
import VhostUserTestKit
import Virtqueue

@Suite("Notifications")
struct NotificationTests {
    @Test("vring_need_event: notify when the event index lies in [old, new), wrapping")
    func needEvent() {
        #expect(SplitRingLayout.needsEvent(eventIndex: 0, new: 1, old: 0))
        #expect(!SplitRingLayout.needsEvent(eventIndex: 1, new: 1, old: 0))
        #expect(SplitRingLayout.needsEvent(eventIndex: 4, new: 8, old: 3))
        #expect(!SplitRingLayout.needsEvent(eventIndex: 2, new: 8, old: 3))
        #expect(!SplitRingLayout.needsEvent(eventIndex: 8, new: 8, old: 3))
        #expect(SplitRingLayout.needsEvent(eventIndex: 0xFFFF, new: 2, old: 0xFFFE))
        #expect(SplitRingLayout.needsEvent(eventIndex: 1, new: 2, old: 0xFFFE))
        #expect(!SplitRingLayout.needsEvent(eventIndex: 5, new: 5, old: 5))
    }

    func pushOne(_ f: RingFixture) throws {
        f.offerRaw([Descriptor(address: f.buffer, length: 8, flags: .write, next: 0)])
        let chain = try #require(try f.pop())
        try f.queue.pushUsed(chain, length: 0, memory: f.memory)
    }

    @Test("EVENT_IDX: the device interrupts only when used.idx passes used_event")
    func usedEvent() throws {
        let f = try RingFixture(features: [.eventIndex])
        // Nothing pushed: nothing to notify.
        #expect(try !f.queue.needsNotification(memory: f.memory))
        // The driver asks for an interrupt after the third used entry (used_event = 2).
        let usedEvent = offset(f.driver.availRingAddress, SplitRingLayout.usedEventOffset(queueSize: 8))
        f.ram.store(UInt16(2), at: usedEvent)
        try pushOne(f)
        #expect(try !f.queue.needsNotification(memory: f.memory))
        try pushOne(f)
        #expect(try !f.queue.needsNotification(memory: f.memory))
        try pushOne(f)
        #expect(try f.queue.needsNotification(memory: f.memory))
        #expect(try !f.queue.needsNotification(memory: f.memory))  // nothing new since
        try pushOne(f)
        #expect(try !f.queue.needsNotification(memory: f.memory))
        // A batch that crosses used_event notifies once for the batch.
        f.ram.store(UInt16(5), at: usedEvent)
        try pushOne(f)
        try pushOne(f)
        try pushOne(f)
        #expect(try f.queue.needsNotification(memory: f.memory))
    }

    @Test("no EVENT_IDX: the device interrupts unless the driver set NO_INTERRUPT")
    func noInterruptFlag() throws {
        let f = try RingFixture(features: [])
        try pushOne(f)
        #expect(try f.queue.needsNotification(memory: f.memory))
        f.driver.disableInterrupts()
        try pushOne(f)
        #expect(try !f.queue.needsNotification(memory: f.memory))
        f.driver.enableInterrupts()
        try pushOne(f)
        #expect(try f.queue.needsNotification(memory: f.memory))
    }

    @Test("EVENT_IDX: enableNotification publishes avail_event and reports pending chains", arguments: [true, false])
    func kickSuppression(eventIndex: Bool) throws {
        let f = try RingFixture(features: eventIndex ? [.eventIndex] : [])
        let d = Descriptor(address: f.buffer, length: 8, flags: .write, next: 0)
        f.driver.writeDescriptor(d, at: 0)
        // Fresh ring: the driver kicks for its first chain.
        f.driver.appendRawAvail(0)
        #expect(f.driver.publish())
        // The device polls: no kick for the next chain.
        try f.queue.disableNotification(memory: f.memory)
        #expect(try f.pop()?.headIndex == 0)
        f.driver.appendRawAvail(0)
        #expect(!f.driver.publish())
        // The device is about to sleep but a chain is pending: enableNotification says so.
        #expect(try f.queue.enableNotification(memory: f.memory))
        #expect(try f.pop()?.headIndex == 0)
        #expect(try !f.queue.enableNotification(memory: f.memory))
        if eventIndex {
            #expect(f.driver.deviceAvailEvent == 2)
        } else {
            #expect(f.driver.deviceUsedFlags == 0)
        }
        // Sleeping device: the next chain kicks.
        f.driver.appendRawAvail(0)
        #expect(f.driver.publish())
        #expect(try f.pop()?.headIndex == 0)
    }

    @Test("a memory-map swap re-translates the rings; a map without them breaks the queue")
    func memorySwap() throws {
        let f = try RingFixture()
        f.ram.fill(0x42, at: f.buffer, count: 16)
        f.offerRaw([Descriptor(address: f.buffer, length: 16, flags: [], next: 0)])
        // Pop with a fresh map of the same RAM (SET_MEM_TABLE with the same layout).
        var newMemory: GuestMemoryMap? = try f.ram.makeMemoryMap()
        let swapped = try #require(newMemory)
        let chain = try #require(try f.queue.pop(memory: swapped, into: f.storage))
        // The caller drops its reference to the map; the chain's storage keeps the mapping alive.
        newMemory = nil
        var reader = chain.makeReader()
        #expect(try reader.readValue(UInt64.self) == 0x4242_4242_4242_4242)

        // A map without region 0 (REM_MEM_REG of the rings' region): the queue is broken.
        let r0 = f.memory.regions[0]
        let smaller = try f.memory.removing(
            guestPhysicalAddress: r0.guestPhysicalAddress, size: r0.size, userAddress: r0.userAddress)
        #expect(throws: VirtqueueError.ringOutsideMemory(.descriptorTable, f.driver.descriptorTableAddress)) {
            try f.queue.pop(memory: smaller, into: f.storage)
        }
        #expect(f.queue.isBroken)
        #expect(throws: VirtqueueError.queueBroken) { try f.pop() }
    }
}
