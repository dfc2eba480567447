import CLinux
import FSDevAIO
import Foundation
import Glibc
import LinuxSystem
import Testing
import VhostUserTestKit

@Suite(.serialized, .timeLimit(.minutes(1)))
struct RingStopTests {
    /// GET_VRING_BASE waits for in-flight requests; a blocking lock wait that would never end is aborted
    /// (EINTR to the guest) so that the ring stops.
    @Test func getVringBaseEndsABlockedLockWait() throws {
        let d = try InProcessDaemon(options: AIOFSOptions(posixLocks: true))
        defer { d.stop() }
        let c = try d.client()
        let (e, o) = try c.create(parent: FUSEClient.rootNodeID, name: "locked", flags: O_RDWR, mode: 0o644)
        // The host holds a write lock on the whole file (an OFD lock of another open file description).
        let hostFD = open(d.share + "/locked", O_RDWR)
        #expect(hostFD >= 0)
        defer { close(hostFD) }
        var lock = flock()
        lock.l_type = Int16(F_WRLCK)
        lock.l_whence = Int16(SEEK_SET)
        #expect(fcntl(hostFD, F_OFD_SETLK, &lock) == 0)

        var lk = fuse_lk_in()
        lk.fh = o.handle
        lk.owner = 1
        lk.lk = fuse_file_lock(start: 0, end: UInt64.max, type: UInt32(F_WRLCK), pid: 1)
        let body = withUnsafeBytes(of: lk) { Array($0) }
        let q = c.queue
        try q.submit(opcode: UInt32(FUSE_SETLKW.rawValue), nodeID: e.nodeID, replyCapacity: 0) {
            (w) throws(FUSEClient.Failure) in try w.append(bytes: body)
        }
        q.kick()
        usleep(50_000)  // the request is now waiting for the lock
        let start = Date()
        _ = try c.frontend.getVringBase(1)
        #expect(Date().timeIntervalSince(start) < 5, "the ring must stop without the lock being released")
        var error: Int32 = 0
        try q.reap { (completion) throws(FUSEClient.Failure) in error = completion.error }
        #expect(error == EINTR)
        c.shutdown()
    }
}

extension RingStopTests {
    /// A read stuck in a hung file system under the share (here a FUSE mount whose server never answers READ) can
    /// be aborted by nothing: GET_VRING_BASE still answers, after the stop timeout, without it; the read finishes
    /// later without touching the ring, and the next front-end is served.
    @Test(arguments: AIOFSOptions.Engine.allCases)
    func getVringBaseAnswersWhileAReadIsStuckInAHungFileSystem(engine: AIOFSOptions.Engine) throws {
        var options = AIOFSOptions(inlineCachedReads: true)
        options.engine = engine
        let d = try InProcessDaemon(options: options, stopTimeoutMilliseconds: 500)
        defer { d.stop() }
        let hung = try HungFileSystem(mountPoint: d.share + "/hung")
        defer { hung.close() }
        let c = try d.client()
        let directory = try c.lookup(parent: FUSEClient.rootNodeID, name: "hung")
        let file = try c.lookup(parent: directory.nodeID, name: "file")
        #expect(file.attributes.size == HungFileSystem.fileSize)
        let handle = try c.open(file.nodeID, flags: O_RDONLY).handle
        let q = c.queue
        try q.submitRead(file.nodeID, handle: handle, offset: 0, size: 4096)
        q.kick()
        #expect(eventually { hung.readsReceived > 0 }, "the read did not reach the hung file system")
        let usedBefore = q.driver.deviceUsedIndex
        let start = Date()
        let base = try c.frontend.getVringBase(1)
        let waited = Date().timeIntervalSince(start)
        #expect(waited < 3, "GET_VRING_BASE took \(waited) s")
        #expect(waited >= 0.5, "answered before the stop timeout: \(waited) s")
        #expect(base == UInt32(q.driver.publishedAvailIndex))
        c.shutdown()
        // The daemon serves the next front-end while the abandoned read is still stuck.
        let next = try d.client()
        #expect(try next.getattr(FUSEClient.rootNodeID).attributes.isDirectory)
        #expect(hung.readsReceived == 1)
        // The stuck read fails once the hung file system goes away; it finishes without touching the old ring.
        hung.close()
        usleep(200_000)
        #expect(q.driver.deviceUsedIndex == usedBefore)
        next.shutdown()
    }

    /// Shutting the daemon down (SIGTERM: the server stops, then the reactors) while a read is stuck in a hung
    /// file system ends within seconds: the helper thread holding the read is left behind, not waited for.
    ///
    /// Not with io_uring: Linux makes a thread that exits wait for its io_uring workers (io_wq_put_and_exit), and a
    /// worker stuck in the hung file system never ends, so the reactor thread cannot be joined (README, "I/O
    /// engines").
    @Test(arguments: [AIOFSOptions.Engine.libaio, .threads])
    func shutdownEndsWhileAReadIsStuckInAHungFileSystem(engine: AIOFSOptions.Engine) throws {
        var options = AIOFSOptions(inlineCachedReads: true)
        options.engine = engine
        let d = try InProcessDaemon(options: options, stopTimeoutMilliseconds: 200)
        let hung = try HungFileSystem(mountPoint: d.share + "/hung")
        defer { hung.close() }
        let c = try d.client()
        let directory = try c.lookup(parent: FUSEClient.rootNodeID, name: "hung")
        let file = try c.lookup(parent: directory.nodeID, name: "file")
        let handle = try c.open(file.nodeID, flags: O_RDONLY).handle
        try c.queue.submitRead(file.nodeID, handle: handle, offset: 0, size: 4096)
        c.queue.kick()
        #expect(eventually { hung.readsReceived > 0 }, "the read did not reach the hung file system")
        let start = Date()
        d.server.stopEvent.signal()
        #expect(c.frontend.isClosedByPeer(timeoutMilliseconds: 5_000))
        d.reactors.stop()
        let waited = Date().timeIntervalSince(start)
        #expect(waited < 5, "shutting down took \(waited) s")
        hung.close()
        c.shutdown()
        d.stop()
    }
}

@Suite(.serialized, .timeLimit(.minutes(1)))
struct PollingFrontEndTests {
    /// A front-end may ask for polling (SET_VRING_KICK with the no-fd flag): an interrupt-mode reactor then has no
    /// kick to wake on and must look at the ring by itself.
    @Test func ringWithoutKickIsServedByAnInterruptModeReactor() throws {
        let d = try InProcessDaemon(pollMode: .interrupt)
        defer { d.stop() }
        let c = try d.client()
        defer { c.shutdown() }
        #expect(try c.getattr(FUSEClient.rootNodeID).attributes.isDirectory)
        try c.frontend.setVringKick(1, nil)  // restarts queue 1 without a kick eventfd
        let start = Date()
        for _ in 0..<20 { #expect(try c.getattr(FUSEClient.rootNodeID).attributes.isDirectory) }
        #expect(Date().timeIntervalSince(start) < 5)
    }
}
