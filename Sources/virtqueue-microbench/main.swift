// virtqueue-microbench: the device-side cost of the split ring, per chain.
//
//   swift run -c release virtqueue-microbench [chains-per-run [label-filter]]
//
// A 256-entry queue over memfd guest RAM holds 128 two-descriptor chains (64 readable + 64 writable bytes). Each
// round the driver side (untimed) makes all 128 available again; the timed part is what a reactor does per chain:
// pop (validate + translate), push the used element (release store of used.idx) and the notification check
// (seq-cst fence + used_event read). Variants add a FUSE-sized header read and reply write, and an indirect table.
import CLinux
import Glibc
import GuestMemory
import LinuxSystem
import VhostUserTestKit
import Virtqueue

/// Monotonic nanoseconds. The corresponding C function is `clock_gettime(CLOCK_MONOTONIC)`.
func now() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

enum Variant: CaseIterable {
    case pop
    case popPush
    case popPushNotify
    case popPushNotifyWithHeaders
    case indirectPopPushNotify

    var label: String {
        switch self {
        case .pop: "pop only (2 descriptors)"
        case .popPush: "pop + push used (2 descriptors)"
        case .popPushNotify: "pop + push used + notify check (2 descriptors)"
        case .popPushNotifyWithHeaders: "  + read 40-byte header, write 16-byte reply header"
        case .indirectPopPushNotify: "pop + push used + notify check (indirect table of 2)"
        }
    }
}

struct Bench {
    let ram: GuestRAM
    let memory: GuestMemoryMap
    let driver: DriverQueue
    let queue: SplitQueue
    let storage = DescriptorChainStorage()
    let size = 256
    var heads: [UInt16] = []

    init(variant: Variant) throws {
        ram = try GuestRAM(layout: [(0x10_0000, 4 << 20)])
        memory = try ram.makeMemoryMap()
        let features: RingFeatures = [.eventIndex, .indirectDescriptors]
        driver = try DriverQueue(ram: ram, size: size, features: features)
        queue = try SplitQueue(
            size: size, descriptorTable: driver.descriptorTableAddress, availRing: driver.availRingAddress,
            usedRing: driver.usedRingAddress, features: features, memory: memory)
        for i in 0..<(size / 2) {
            guard let buffer = ram.allocate(size: 128, alignment: 64),
                  let table = ram.allocate(size: 32, alignment: 16)
            else { fatalError("guest RAM too small") }
            let request = Descriptor(address: buffer, length: 64, flags: .next, next: UInt16(2 * i + 1))
            let reply = Descriptor(
                address: GuestAddress(buffer.rawValue + 64), length: 64, flags: .write, next: 0)
            if variant == .indirectPopPushNotify {
                driver.writeDescriptorTable([Descriptor(address: buffer, length: 64, flags: .next, next: 1), reply],
                                            at: table)
                driver.writeDescriptor(Descriptor(address: table, length: 32, flags: .indirect, next: 0), at: 2 * i)
            } else {
                driver.writeDescriptor(request, at: 2 * i)
                driver.writeDescriptor(reply, at: 2 * i + 1)
            }
            heads.append(UInt16(2 * i))
        }
    }

    /// Makes every chain available again (driver side, not timed).
    func refill() {
        for head in heads { driver.appendRawAvail(head) }
        _ = driver.publish()
    }

    /// Runs `chains` chains; returns nanoseconds spent in the timed device-side part.
    mutating func run(chains: Int, variant: Variant) throws -> UInt64 {
        var elapsed: UInt64 = 0
        var done = 0
        var notifications = 0
        var checksum: UInt64 = 0
        while done < chains {
            refill()
            let start = now()
            switch variant {
            case .pop:
                while let chain = try queue.pop(memory: memory, into: storage) {
                    checksum &+= UInt64(chain.headIndex)
                }
                queue.nextUsedIndex = queue.nextAvailIndex  // keep the indices consistent (untimed in effect)
            case .popPush:
                while let chain = try queue.pop(memory: memory, into: storage) {
                    try queue.pushUsed(chain, length: 0, memory: memory)
                }
            case .popPushNotify, .indirectPopPushNotify:
                while let chain = try queue.pop(memory: memory, into: storage) {
                    try queue.pushUsed(chain, length: 0, memory: memory)
                    if try queue.needsNotification(memory: memory) { notifications &+= 1 }
                }
            case .popPushNotifyWithHeaders:
                while let chain = try queue.pop(memory: memory, into: storage) {
                    var reader = chain.makeReader()
                    let header = try reader.readValue(fuse_in_header.self)
                    checksum &+= header.unique
                    var writer = chain.makeWriter()
                    var out = fuse_out_header()
                    out.len = 16
                    out.unique = header.unique
                    try writer.writeValue(out)
                    try queue.pushUsed(chain, length: UInt32(writer.bytesWritten), memory: memory)
                    if try queue.needsNotification(memory: memory) { notifications &+= 1 }
                }
            }
            elapsed &+= now() &- start
            done += heads.count
        }
        if checksum == 1 { print("") }  // keep the header reads alive
        _ = notifications
        return elapsed
    }
}

let arguments = CommandLine.arguments.dropFirst()
let chains = arguments.first.flatMap { Int($0) } ?? 2_000_000
let filter = arguments.dropFirst().first  // optional: run only variants whose label contains this
print("virtqueue-microbench: \(chains) chains per run, best of 5 runs, queue size 256, EVENT_IDX on")
for variant in Variant.allCases where filter.map({ variant.label.contains($0) }) ?? true {
    var bench = try Bench(variant: variant)
    _ = try bench.run(chains: chains / 10, variant: variant)  // warm up
    var best = Double.infinity
    for _ in 0..<5 {
        let ns = try bench.run(chains: chains, variant: variant)
        best = min(best, Double(ns) / Double(chains))
    }
    let formatted = (best * 100).rounded() / 100
    print("\(variant.label): \(formatted) ns/chain")
}
