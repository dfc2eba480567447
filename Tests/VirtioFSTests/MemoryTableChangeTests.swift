import FSDevAIO
import Foundation
import Glibc
import LinuxSystem
import Synchronization
import Testing
import VhostUser
import VhostUserTestKit

/// vhost-user memory-table changes while FUSE traffic flows: the device swaps in a new immutable map between
/// requests (DESIGN.md, "Guest memory updates") and no request fails or sees the wrong bytes.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct MemoryTableChangeTests {
    @Test(arguments: AIOFSOptions.Engine.allCases)
    func memoryTableChangesWhileRequestsFlow(engine: AIOFSOptions.Engine) throws {
        let d = try InProcessDaemon(options: InProcessDaemon.options(engine))
        defer { d.stop() }
        let c = try d.client()
        defer { c.shutdown() }
        let root = FUSEClient.rootNodeID
        let data = (0..<8192).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let (e, o) = try c.create(parent: root, name: "f", flags: O_RDWR, mode: 0o644)
        _ = try c.write(e.nodeID, handle: o.handle, offset: 0, data: data)

        let stop = Atomic<Bool>(false)
        let failures = Mutex<[String]>([])
        let served = Atomic<Int>(0)
        let q = c.queue
        let traffic = Thread {
            do throws(FUSEClient.Failure) {
                while !stop.load(ordering: .relaxed) {
                    let back = try q.read(e.nodeID, handle: o.handle, offset: 0, size: 8192)
                    if back != data { failures.withLock { $0.append("read returned other bytes") } }
                    // The same bytes again, through the write engine, from guest memory that may be remapped.
                    if try q.write(e.nodeID, handle: o.handle, offset: 0, data: data) != data.count {
                        failures.withLock { $0.append("short write") }
                    }
                    _ = try q.getattr(e.nodeID)
                    served.wrappingAdd(1, ordering: .relaxed)
                }
            } catch {
                failures.withLock { $0.append("\(error)") }
            }
        }
        traffic.start()
        defer { stop.store(true, ordering: .relaxed) }

        // The guest's own RAM, re-sent as a whole table, and an extra region added and removed, over and over.
        let table = c.ram.regions.map {
            (MemoryRegionPayload(guestPhysicalAddress: $0.guestPhysicalAddress.rawValue, size: $0.size,
                                 userAddress: $0.userAddress, mmapOffset: $0.mmapOffset), $0.descriptor.rawValue)
        }
        let extraFD = try MemFD.create(name: "hotplug", size: 1 << 20)
        let extra = MemoryRegionPayload(guestPhysicalAddress: 0x40_0000_0000, size: 1 << 20,
                                        userAddress: 0x7e00_0000_0000, mmapOffset: 0)
        let servedBefore = served.load(ordering: .relaxed)
        for round in 0..<200 {
            try c.frontend.addMemoryRegion(extra, fd: extraFD.rawValue)
            try c.frontend.removeMemoryRegion(extra)
            if round % 5 == 0 { try c.frontend.setMemTable(table) }
        }
        let servedDuring = served.load(ordering: .relaxed) - servedBefore
        stop.store(true, ordering: .relaxed)
        #expect(eventually { traffic.isFinished })
        // Requests really ran while the tables changed.
        #expect(servedDuring > 20, "requests served during the swaps: \(servedDuring)")
        #expect(failures.withLock { $0 } == [])
        // Still serving after the last swap.
        #expect(try c.read(e.nodeID, handle: o.handle, offset: 4096, size: 10) == Array(data[4096..<4106]))
    }
}
