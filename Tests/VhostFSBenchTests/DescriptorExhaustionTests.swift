import Foundation
import Glibc
import LinuxSystem
import Testing
import VhostUser
import VhostUserTestKit

/// A daemon whose descriptor table is full (its node cache took every free slot) keeps its vhost-user connection:
/// messages carrying descriptors still get them (no MSG_CTRUNC), and FUSE requests that need a descriptor succeed
/// after the cache gives some back.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct DescriptorExhaustionTests {
    /// Open descriptors of process `pid` numbered below `limit` (one inherited from the test runner may sit
    /// above: a table is full when every number below the limit is taken).
    static func descriptorCount(of pid: pid_t, below limit: Int) -> Int {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? []
        return names.compactMap { Int($0) }.filter { $0 < limit }.count
    }

    @Test func aFullDescriptorTableKeepsTheConnectionAndServesRequests() throws {
        let limit = 64
        let root = NSTemporaryDirectory() + "vhostfsd-exhaust-\(getpid())"
        let share = root + "/share"
        try FileManager.default.createDirectory(atPath: share, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        for i in 0..<400 {
            try #require(FileManager.default.createFile(atPath: share + "/f\(i)", contents: Data("f\(i)".utf8)))
        }
        // A cache far larger than the limit: only running out of descriptors makes it give any back.
        let template = ".build/debug/vhostfsd --socket-path={socket} --shared-dir={dir} "
            + "--rlimit-nofile=\(limit) --fd-cache=100000 --log-level=debug"
        let process = try FUSEBackendProcess(template: template, socketPath: root + "/s.sock", sharedDirectory: share,
                                             logPath: root + "/log")
        defer { process.stop() }
        try process.waitForSocket(timeoutMilliseconds: 10_000)
        let c = try FUSEClient(socketPath: root + "/s.sock")
        defer { c.shutdown() }
        // The sandboxed daemon (the default), not its supervisor.
        let pid = process.servingProcessID
        try #require(pid != process.processID, "no sandboxed daemon under the supervisor")

        // Look files up until the daemon's table is full.
        var nodes: [UInt64] = []
        var i = 0
        while Self.descriptorCount(of: pid, below: limit) < limit && i < 400 {
            nodes.append(try c.lookup(parent: FUSEClient.rootNodeID, name: "f\(i)").nodeID)
            i += 1
        }
        try #require(Self.descriptorCount(of: pid, below: limit) == limit, "the daemon's table did not fill up")

        // Messages with descriptors: a new call eventfd for the request queue (as QEMU sends when the guest
        // changes interrupt vectors) and a hot-plugged memory region.
        let queue = c.requestQueues[0]
        try c.frontend.setVringCall(queue.index, queue.callEvent.rawValue)
        let extra = try MemFD.create(name: "hotplug", size: 1 << 20)
        try c.frontend.addMemoryRegion(
            MemoryRegionPayload(guestPhysicalAddress: 1 << 40, size: 1 << 20, userAddress: 0x7000_0000_0000,
                                mmapOffset: 0), fd: extra.rawValue)

        // Requests still work: every node answers, and files open, write and read (OPEN needs a descriptor).
        for (n, node) in nodes.enumerated() {
            #expect(try c.getattr(node).attributes.size == UInt64("f\(n)".utf8.count))
        }
        let (e, o) = try c.create(parent: FUSEClient.rootNodeID, name: "new", flags: O_RDWR, mode: 0o644)
        #expect(try c.write(e.nodeID, handle: o.handle, offset: 0, data: Array("written".utf8)) == 7)
        #expect(try c.read(e.nodeID, handle: o.handle, offset: 0, size: 64) == Array("written".utf8))
        try c.release(e.nodeID, handle: o.handle)
        #expect(Self.descriptorCount(of: pid, below: limit) <= limit)
        let log = (try? String(contentsOfFile: root + "/log", encoding: .utf8)) ?? ""
        #expect(!log.contains("closing connection"), "\(log.suffix(2000))")
        #expect(!log.contains("front-end disconnected"), "\(log.suffix(2000))")
    }
}
