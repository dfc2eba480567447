import CLinux
import Foundation
import Glibc
import GuestMemory
import LinuxSystem
import Testing
import VhostUserTestKit
import Virtqueue

/// Hole 4 of issue 10, driven as the hostile front-end did, against the daemon binary: after SET_MEM_TABLE and
/// the rings are started, the front-end shrinks its memory file and kicks a request that lies in the lost part.
/// Before, the daemon died of SIGBUS; now the connection drops and the next front-end is served. Where the file can
/// be sealed, it cannot shrink at all.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct ShrunkGuestMemoryTests {
    @Test func aShrunkMemfdDropsTheConnectionAndTheDaemonServesTheNext() throws {
        var configuration = FUSEClient.Configuration()
        configuration.spareGuestMemory = 1 << 20  // the tail the front-end will take away
        let f = try BackendFixture(configuration: configuration)
        defer { f.stop() }
        let c = f.client
        let root = FUSEClient.rootNodeID
        #expect(try c.getattr(root).attributes.isDirectory)
        // The memfd is born with F_SEAL_SEAL (as with QEMU's seal=off): it cannot be sealed, so it can shrink.
        #expect((try? c.ram.descriptor.seals()) == F_SEAL_SEAL)

        // A GETATTR in the last 8 KiB of guest RAM: request in the first page, reply room in the second.
        let ram = c.ram
        let driver = c.queue.driver
        guard let request = ram.allocateAtEnd(size: 8192) else {
            Issue.record("no room at the end of guest RAM")
            return
        }
        let header = fuse_in_header(len: 56, opcode: 3, unique: 77, nodeid: root, uid: 0, gid: 0, pid: 1,
                                    total_extlen: 0, padding: 0)
        #expect(ram.write(withUnsafeBytes(of: header) { Array($0) } + [UInt8](repeating: 0, count: 16), at: request))
        let reply = GuestAddress(request.rawValue + 4096)
        let head = driver.size - 1
        driver.writeDescriptor(Descriptor(address: request, length: 56, flags: [.next], next: UInt16(head - 1)),
                               at: head)
        driver.writeDescriptor(Descriptor(address: reply, length: 120, flags: [.write], next: 0), at: head - 1)

        // The front-end shrinks its memory by 512 KiB (the request's pages go), then kicks.
        let size = ram.regions[0].size
        try ram.descriptor.truncate(to: Int64(size - (512 << 10)))
        driver.appendRawAvail(UInt16(head))
        c.queue.kick()

        #expect(c.frontend.isClosedByPeer(timeoutMilliseconds: 10_000), "the connection was not dropped")
        #expect(kill(f.process.processID, 0) == 0, "the daemon died")
        let next = try FUSEClient(socketPath: f.root + "/vhost.sock", configuration: FUSEClient.Configuration())
        defer { next.shutdown() }
        #expect(try next.getattr(root).attributes.isDirectory)
        #expect(f.process.logTail().contains("memory shrank"), "\(f.process.logTail())")
    }

    /// A memfd that accepts seals gets F_SEAL_SHRINK from the daemon at SET_MEM_TABLE: the front-end can no longer
    /// shrink it, and the daemon serves on.
    @Test func aSealableMemfdIsSealedAgainstShrinking() throws {
        var configuration = FUSEClient.Configuration()
        configuration.sealableGuestMemory = true
        let f = try BackendFixture(configuration: configuration)
        defer { f.stop() }
        let c = f.client
        let seals = try c.ram.descriptor.seals()
        #expect(seals & F_SEAL_SHRINK != 0)
        #expect(throws: Errno.notPermitted) { try c.ram.descriptor.truncate(to: 4096) }
        #expect(try c.getattr(FUSEClient.rootNodeID).attributes.isDirectory)
    }
}
