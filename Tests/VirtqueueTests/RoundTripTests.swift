import Glibc
import GuestMemory
import LinuxSystem
import Testing
import VhostUserTestKit
import Virtqueue

/// A small deterministic generator (splitmix64), so a failure replays.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Byte `index` of the request of chain `id`.
@inline(__always)
func requestByte(chain id: Int, at index: Int) -> UInt8 {
    UInt8(truncatingIfNeeded: index &* 131 &+ id &* 7 &+ (index >> 8))
}

/// Byte `index` of the reply to `request` (what the backend echoes).
@inline(__always)
func replyByte(request: (Int) -> UInt8, requestLength: Int, at index: Int) -> UInt8 {
    request(index % requestLength) ^ UInt8(truncatingIfNeeded: index &* 31) ^ 0xA5
}

/// The device side of the round trip: reads each request through ChainReader with a random mix of straddling value
/// reads, byte reads and iovec transfers, and writes the transformed reply through ChainWriter, sometimes reserving a
/// 16-byte header with split(at:) and writing it last.
final class EchoBackend {
    let queue: SplitQueue
    let memory: GuestMemoryMap
    let storage = DescriptorChainStorage()
    var rng: SplitMix64
    let request = UnsafeMutableRawBufferPointer.allocate(byteCount: 4 << 20, alignment: 16)
    let reply = UnsafeMutableRawBufferPointer.allocate(byteCount: 4 << 20, alignment: 16)
    let vectors = UnsafeMutableBufferPointer<iovec>.allocate(capacity: 64)

    init(queue: SplitQueue, memory: GuestMemoryMap, seed: UInt64) {
        self.queue = queue
        self.memory = memory
        self.rng = SplitMix64(state: seed)
    }

    deinit {
        request.deallocate()
        reply.deallocate()
        vectors.deallocate()
    }

    /// Serves one chain; returns the used length.
    func serve(_ chain: DescriptorChain) throws -> UInt32 {
        var reader = chain.makeReader()
        let requestLength = reader.remaining
        var position = 0
        while reader.remaining > 0 {
            let remaining = reader.remaining
            switch rng.next() % 4 {
            case 0 where remaining >= 4:
                request.storeBytes(of: try reader.readValue(UInt32.self), toByteOffset: position, as: UInt32.self)
                position += 4
            case 1 where remaining >= 8:
                request.storeBytes(of: try reader.readValue(UInt64.self), toByteOffset: position, as: UInt64.self)
                position += 8
            case 2:
                let n = Int.random(in: 1...min(remaining, 4096), using: &rng)
                try reader.read(into: UnsafeMutableRawBufferPointer(rebasing: request[position..<position + n]))
                position += n
            default:
                let n = Int.random(in: 1...remaining, using: &rng)
                let count = try reader.iovecs(count: n, into: vectors)
                for v in vectors.prefix(count) {
                    (request.baseAddress! + position).copyMemory(from: v.iov_base!, byteCount: v.iov_len)
                    position += v.iov_len
                }
                try reader.skip(n)
            }
        }
        #expect(position == requestLength)

        var writer = chain.makeWriter()
        let n = min(writer.remaining, requestLength + 7)
        let source = UnsafeRawBufferPointer(request)
        for j in 0..<n {
            reply[j] = replyByte(request: { source[$0] }, requestLength: requestLength, at: j)
        }
        if n >= 16 && rng.next() % 2 == 0 {
            var body = try writer.split(at: 16)
            try writeMixed(&body, UnsafeRawBufferPointer(rebasing: reply[16..<n]))
            try writer.write(UnsafeRawBufferPointer(rebasing: reply[0..<16]))
            return UInt32(writer.bytesWritten + body.bytesWritten)
        }
        try writeMixed(&writer, UnsafeRawBufferPointer(rebasing: reply[0..<n]))
        return UInt32(writer.bytesWritten)
    }

    func writeMixed(_ writer: inout ChainWriter, _ bytes: UnsafeRawBufferPointer) throws {
        var position = 0
        while position < bytes.count {
            let left = bytes.count - position
            switch rng.next() % 3 {
            case 0 where left >= 8:
                try writer.writeValue(bytes.loadUnaligned(fromByteOffset: position, as: UInt64.self))
                position += 8
            case 1:
                let n = Int.random(in: 1...min(left, 4096), using: &rng)
                try writer.write(UnsafeRawBufferPointer(rebasing: bytes[position..<position + n]))
                position += n
            default:
                let n = Int.random(in: 1...left, using: &rng)
                let count = try writer.iovecs(count: n, into: vectors)
                var copied = 0
                for v in vectors.prefix(count) {
                    v.iov_base!.copyMemory(from: bytes.baseAddress! + position + copied, byteCount: v.iov_len)
                    copied += v.iov_len
                }
                try writer.advance(by: n)
                position += n
            }
        }
    }
}

@Suite("Round trip between DriverQueue and SplitQueue")
struct RoundTripTests {
    /// Rings and indirect tables in region 0; buffers in regions 1 and 2 (not adjacent).
    static let layout: [(guestPhysicalAddress: UInt64, size: UInt64)] = [
        (0x10000, 1 << 20), (0x1000_0000, 16 << 20), (0x4000_0000, 16 << 20),
    ]

    /// A buffer size: mostly small, sometimes up to 64 KiB.
    static func bufferSize(_ rng: inout SplitMix64) -> Int {
        switch rng.next() % 100 {
        case 0..<60: Int.random(in: 1...64, using: &rng)
        case 60..<90: Int.random(in: 65...2048, using: &rng)
        case 90..<98: Int.random(in: 2049...16384, using: &rng)
        default: Int.random(in: 16385...65536, using: &rng)
        }
    }

    struct InFlight {
        var chain: Int
        var requestLength: Int
        var writable: [DriverQueue.Buffer]
        var writableLength: Int
    }

    @Test("10,000 chains of mixed shapes, every reply byte checked", arguments: [true, false])
    func roundTrip(eventIndex: Bool) throws {
        let features: RingFeatures = eventIndex ? [.eventIndex, .indirectDescriptors] : [.indirectDescriptors]
        let ram = try GuestRAM(layout: Self.layout)
        let memory = try ram.makeMemoryMap()
        let size = 256
        let driver = try DriverQueue(ram: ram, size: size, features: features)
        let queue = try SplitQueue(
            size: size, descriptorTable: driver.descriptorTableAddress, availRing: driver.availRingAddress,
            usedRing: driver.usedRingAddress, features: features, memory: memory)
        let backend = EchoBackend(queue: queue, memory: memory, seed: eventIndex ? 1 : 2)
        var rng = SplitMix64(state: eventIndex ? 11 : 12)

        let total = 10_000
        var nextChain = 0
        var batches = 0
        var kicks = 0
        var notifications = 0
        var sleepingDriverBatches = 0
        var inFlight: [Int: InFlight] = [:]
        var indirectChains = 0
        var bytesChecked = 0

        while nextChain < total {
            batches += 1
            // The device either sleeps on the kick eventfd (and asks for kicks) or polls.
            let deviceSleeps = rng.next() % 4 != 0
            if deviceSleeps {
                #expect(try !queue.enableNotification(memory: memory))
            } else {
                try queue.disableNotification(memory: memory)
            }
            // The driver either waits for an interrupt or polls the used ring.
            let driverSleeps = rng.next() % 4 != 0
            if driverSleeps {
                #expect(!driver.enableInterrupts())
                sleepingDriverBatches += 1
            } else {
                driver.disableInterrupts()
            }

            // Post a batch of chains.
            var arena = [UInt64](repeating: 0, count: 3)
            func allocate(_ length: Int) -> GuestAddress? {
                let region = 1 + Int(rng.next() % 2)
                let start = arena[region]
                guard start + UInt64(length) <= Self.layout[region].size else { return nil }
                arena[region] = (start + UInt64(length) + 7) & ~7
                return GuestAddress(Self.layout[region].guestPhysicalAddress + start)
            }
            let batchSize = min(Int.random(in: 1...32, using: &rng), total - nextChain)
            var posted = 0
            batch: for _ in 0..<batchSize {
                let long = rng.next() % 10 == 0
                let maximum = long ? 40 : 6
                let readableCount = Int.random(in: 1...maximum, using: &rng)
                let writableCount = Int.random(in: 0...maximum, using: &rng)
                let indirect = readableCount + writableCount <= 64 && rng.next() % 5 < 2
                let id = nextChain
                var readable: [DriverQueue.Buffer] = []
                var requestLength = 0
                for _ in 0..<readableCount {
                    let length = long ? Int.random(in: 1...64, using: &rng) : Self.bufferSize(&rng)
                    guard let address = allocate(length), let p = ram.pointer(at: address, length: length) else {
                        break batch
                    }
                    for i in 0..<length {
                        p.storeBytes(of: requestByte(chain: id, at: requestLength + i), toByteOffset: i, as: UInt8.self)
                    }
                    requestLength += length
                    readable.append(DriverQueue.Buffer(address, length: UInt32(length)))
                }
                var writable: [DriverQueue.Buffer] = []
                var writableLength = 0
                for _ in 0..<writableCount {
                    let length = long ? Int.random(in: 1...64, using: &rng) : Self.bufferSize(&rng)
                    guard let address = allocate(length) else { break batch }
                    ram.fill(0xEE, at: address, count: length)
                    writableLength += length
                    writable.append(DriverQueue.Buffer(address, length: UInt32(length)))
                }
                let head: UInt16
                do {
                    head = try driver.post(readable: readable, writable: writable, indirect: indirect)
                } catch DriverError.notEnoughDescriptors {
                    break batch
                }
                if indirect { indirectChains += 1 }
                inFlight[Int(head)] = InFlight(
                    chain: id, requestLength: requestLength, writable: writable, writableLength: writableLength)
                nextChain += 1
                posted += 1
            }
            try #require(posted > 0)
            let kick = driver.publish()
            #expect(kick == deviceSleeps, "a sleeping device must be kicked, a polling one not")
            if kick { kicks += 1 }

            // The device serves everything available.
            var served = 0
            var batchNotifications = 0
            while let chain = try queue.pop(memory: memory, into: backend.storage) {
                let length = try backend.serve(chain)
                try queue.pushUsed(chain, length: length, memory: memory)
                if try queue.needsNotification(memory: memory) { batchNotifications += 1 }
                served += 1
            }
            #expect(served == posted)
            if !driverSleeps {
                #expect(batchNotifications == 0, "a polling driver asked for no interrupts")
            } else if eventIndex {
                #expect(batchNotifications == 1, "EVENT_IDX: one interrupt per batch")
            } else {
                #expect(batchNotifications == posted, "no EVENT_IDX: one interrupt per used entry")
            }
            notifications += batchNotifications

            // The driver collects and checks every reply byte.
            var collected = 0
            while let used = try driver.popUsed() {
                collected += 1
                guard let record = inFlight.removeValue(forKey: Int(used.head)) else {
                    Issue.record("unknown head \(used.head)")
                    continue
                }
                let expectedLength = min(record.writableLength, record.requestLength + 7)
                #expect(Int(used.length) == expectedLength)
                var j = 0
                var mismatches = 0
                for buffer in record.writable {
                    let p = try #require(ram.pointer(at: buffer.address, length: Int(buffer.length)))
                    for i in 0..<Int(buffer.length) {
                        let actual = p.load(fromByteOffset: i, as: UInt8.self)
                        let expected = j < expectedLength
                            ? replyByte(request: { requestByte(chain: record.chain, at: $0) },
                                        requestLength: record.requestLength, at: j)
                            : 0xEE
                        if actual != expected { mismatches += 1 }
                        j += 1
                    }
                }
                bytesChecked += j
                #expect(mismatches == 0, "chain \(record.chain): \(mismatches) wrong reply bytes")
            }
            #expect(collected == posted)
            #expect(driver.freeDescriptorCount == size)
        }

        #expect(nextChain == total)
        #expect(inFlight.isEmpty)
        #expect(indirectChains > 0)
        #expect(notifications <= total)
        if eventIndex {
            #expect(notifications == sleepingDriverBatches)
            #expect(notifications < total / 4, "EVENT_IDX batches interrupts")
        }
        #expect(kicks < batches)
        print("round trip (EVENT_IDX \(eventIndex ? "on" : "off")): \(total) chains in \(batches) batches, "
              + "\(indirectChains) indirect, \(kicks) kicks, \(notifications) interrupts, \(bytesChecked) reply bytes")
    }
}
