import GuestMemory
import LinuxSystem
import Synchronization
import Testing
import VhostUserTestKit
import Virtqueue

/// The guest can rewrite descriptors at any time; what was validated must be what is used.
@Suite("Descriptors are read once")
struct DescriptorReadOnceTests {
    @Test("rewriting a descriptor after the pop does not change the validated chain")
    func rewriteAfterPop() throws {
        let f = try RingFixture()
        defer { withExtendedLifetime(f) {} }  // owns the storage the chain's segments live in
        f.ram.fill(0x11, at: f.buffer, count: 64)
        f.offerRaw([
            Descriptor(address: f.buffer, length: 64, flags: .next, next: 1),
            Descriptor(address: offset(f.buffer, 64), length: 32, flags: .write, next: 0),
        ])
        let chain = try #require(try f.pop())
        let validatedBase = chain.readableSegments[0].base

        // The guest now turns the chain hostile: a huge length, an address outside memory, a loop, a flag flip.
        f.driver.writeDescriptor(
            Descriptor(address: GuestAddress(0xDEAD_0000), length: 0xFFFF_FFFF, flags: [.next, .write], next: 0),
            at: 0)
        f.driver.writeDescriptor(
            Descriptor(address: GuestAddress(0), length: 0xFFFF_FFFF, flags: .indirect, next: 1), at: 1)

        #expect(chain.readableLength == 64)
        #expect(chain.writableLength == 32)
        #expect(chain.readableSegments.count == 1)
        #expect(chain.readableSegments[0].base == validatedBase)
        #expect(chain.readableSegments[0].length == 64)
        var reader = chain.makeReader()
        var bytes = [UInt8](repeating: 0, count: 64)
        try bytes.withUnsafeMutableBytes { (b) in try reader.read(into: b) }
        #expect(bytes == [UInt8](repeating: 0x11, count: 64))
        #expect(throws: VirtqueueError.endOfChain(requested: 1, remaining: 0)) { try reader.skip(1) }
        var writer = chain.makeWriter()
        #expect(writer.remaining == 32)
        #expect(throws: VirtqueueError.endOfChain(requested: 33, remaining: 32)) {
            try [UInt8](repeating: 0, count: 33).withUnsafeBytes { (b) in try writer.write(b) }
        }
    }

    /// A pointer and a flag shared with the flipping thread.
    final class Shared: @unchecked Sendable {
        // SAFETY (Sendable): `slot` points into guest RAM, which is shared memory by design; `stop` is atomic.
        let slot: UnsafeMutableRawPointer
        let stop = Atomic<Bool>(false)
        let good: Descriptor
        let bad: [Descriptor]
        init(slot: UnsafeMutableRawPointer, good: Descriptor, bad: [Descriptor]) {
            self.slot = slot
            self.good = good
            self.bad = bad
        }
    }

    @Test("a descriptor flipped concurrently is either refused or served exactly as validated")
    func concurrentFlips() throws {
        let f = try RingFixture(size: 8)
        let good = Descriptor(address: f.buffer, length: 64, flags: .write, next: 0)
        // Bad shapes share fields with the good one, so a torn read (fields from two versions) is plausible.
        let bad = [
            Descriptor(address: GuestAddress(0xDEAD_0000_0000), length: 64, flags: .write, next: 0),
            Descriptor(address: f.buffer, length: 0xFFFF_0000, flags: .write, next: 0),
            Descriptor(address: f.buffer, length: 64, flags: [.write, .next], next: 0),
            Descriptor(address: f.buffer, length: 64, flags: [.write, .next], next: 200),
            Descriptor(address: f.buffer, length: 64, flags: .indirect, next: 0),
        ]
        // Read as an indirect table, the buffer holds descriptors with every flag set: a nested indirect table.
        f.ram.fill(0xFF, at: f.buffer, count: 64)
        let slot = try #require(f.ram.pointer(at: f.driver.descriptorTableAddress, length: 16))
        let shared = Shared(slot: slot, good: good, bad: bad)
        good.write(to: slot)

        let flipper = ThreadRunner {
            var i = 0
            while !shared.stop.load(ordering: .relaxed) {
                // Descriptor.write stores the four fields one by one, so the device can see a mix of two versions.
                let next = i & 1 == 0 ? shared.good : shared.bad[(i >> 1) % shared.bad.count]
                next.write(to: shared.slot)
                i &+= 1
            }
        }
        defer {
            shared.stop.store(true, ordering: .relaxed)
            flipper.join()
        }

        var served = 0
        var refused = 0
        let expectedBase = try #require(f.memory.translate(f.buffer, length: 64))
        for _ in 0..<20_000 {
            f.driver.appendRawAvail(0)
            _ = f.driver.publish()
            do {
                guard let chain = try f.pop() else {
                    Issue.record("the avail entry vanished")
                    return
                }
                served += 1
                // Whatever the guest did, a served chain consists of the good descriptor, as validated (several
                // times when the self-linked version was seen before the good one: each step reads the slot anew).
                #expect(chain.readableSegmentCount == 0)
                #expect(chain.writableSegmentCount >= 1 && chain.writableSegmentCount <= 8)
                #expect(Int(chain.writableLength) == 64 * chain.writableSegmentCount)
                for segment in chain.writableSegments {
                    #expect(segment.base == expectedBase && segment.length == 64)
                }
                try f.queue.pushUsed(chain, length: 0, memory: f.memory)
            } catch {
                refused += 1
                #expect(!error.isQueueFatal)
                #expect(error.chainHead == 0)
                try f.queue.pushUsed(head: 0, length: 0, memory: f.memory)
            }
        }
        #expect(served + refused == 20_000)
        #expect(served > 0)
    }
}
