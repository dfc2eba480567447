import FSDev
import FSDevAIO
import Foundation
import Glibc
import Testing
import VhostUserTestKit

@Suite(.serialized, .timeLimit(.minutes(2)))
struct FUSEOperationTests {
    @Test func commonOperationsRoundTrip() throws {
        let d = try InProcessDaemon()
        defer { d.stop() }
        let c = try d.client()
        defer { c.shutdown() }
        let root = FUSEClient.rootNodeID

        let (file, opened) = try c.create(parent: root, name: "a.txt", flags: O_RDWR, mode: 0o640)
        let data = (0..<10_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        #expect(try c.write(file.nodeID, handle: opened.handle, offset: 0, data: data) == data.count)
        #expect(try c.read(file.nodeID, handle: opened.handle, offset: 0, size: 20_000) == data)
        #expect(try c.read(file.nodeID, handle: opened.handle, offset: 9_990, size: 100) == Array(data[9_990...]))
        try c.fsync(file.nodeID, handle: opened.handle)
        try c.release(file.nodeID, handle: opened.handle)
        #expect(FileManager.default.contents(atPath: d.share + "/a.txt") == Data(data))
        #expect(try c.getattr(file.nodeID).attributes.size == 10_000)

        let dir = try c.mkdir(parent: root, name: "d", mode: 0o755)
        try c.rename(parent: root, name: "a.txt", newParent: dir.nodeID, newName: "b.txt")
        #expect(FileManager.default.fileExists(atPath: d.share + "/d/b.txt"))
        let link = try c.link(file.nodeID, newParent: root, newName: "hard")
        #expect(link.attributes.linkCount == 2)
        let sym = try c.symlink(parent: root, name: "s", target: "d/b.txt")
        #expect(try c.readlink(sym.nodeID) == Array("d/b.txt".utf8))

        let h = try c.opendir(dir.nodeID)
        let names = try c.readdir(dir.nodeID, handle: h.handle).map(\.nameString)
        #expect(Set(names) == [".", "..", "b.txt"])
        try c.releasedir(dir.nodeID, handle: h.handle)

        #expect(throws: FUSEClient.Failure.errno(ENOENT)) { _ = try c.lookup(parent: root, name: "missing") }
        #expect(throws: FUSEClient.Failure.errno(EEXIST)) { _ = try c.mkdir(parent: root, name: "d", mode: 0o755) }
        #expect(throws: FUSEClient.Failure.errno(ENOTEMPTY)) { try c.rmdir(parent: root, name: "d") }
        try c.unlink(parent: dir.nodeID, name: "b.txt")
        try c.rmdir(parent: root, name: "d")
        #expect(try c.statfs().blockSize > 0)
    }

    @Test(arguments: [(CachePolicy.never, UInt64(0), UInt32(1)), (.auto, 1, 0), (.always, 86_400, 2),
                      (.metadata, 86_400, 1)])
    func cachePolicySetsTimeoutsAndOpenFlags(_ c: (CachePolicy, UInt64, UInt32)) throws {
        let d = try InProcessDaemon(options: AIOFSOptions(cachePolicy: c.0))
        defer { d.stop() }
        let client = try d.client()
        defer { client.shutdown() }
        let (e, o) = try client.create(parent: FUSEClient.rootNodeID, name: "f", flags: O_RDWR, mode: 0o644)
        #expect(e.entryValid.seconds == c.1)
        #expect(e.attributesValid.seconds == c.1)
        // FOPEN_DIRECT_IO (1): the guest caches no file data; FOPEN_KEEP_CACHE (2): it keeps it across opens.
        #expect(o.openFlags & 3 == c.2)
    }

    @Test func requestsBeforeInitGetEIO() throws {
        let d = try InProcessDaemon()
        defer { d.stop() }
        let c = try d.client(sendsInit: false)
        defer { c.shutdown() }
        let r = try c.send(opcode: 3, body: [UInt8](repeating: 0, count: 16), replyCapacity: 256)  // GETATTR
        #expect(r.error == EIO)
        _ = try c.initialize()
        #expect(try c.getattr(FUSEClient.rootNodeID).attributes.isDirectory)
    }

    @Test func destroyReleasesEveryNodeAndHandle() throws {
        let d = try InProcessDaemon()
        defer { d.stop() }
        let c = try d.client()
        defer { c.shutdown() }
        for i in 0..<50 {
            let (e, o) = try c.create(parent: FUSEClient.rootNodeID, name: "f\(i)", flags: O_RDWR, mode: 0o644)
            _ = e
            _ = o  // handles left open on purpose
        }
        #expect(d.fsdev.nodeCount == 51)
        #expect(d.fsdev.handleCount == 50)
        let r = try c.send(opcode: 38, body: [], replyCapacity: 0)  // DESTROY
        #expect(r.error == 0)
        #expect(d.fsdev.nodeCount == 1)
        #expect(d.fsdev.handleCount == 0)
    }

    /// A second INIT without DESTROY (a guest rebooted under a running back-end) starts a new session: the old
    /// one's nodes and handles are dropped, and its node ids are stale.
    @Test func aNewInitWithoutDestroyReleasesTheOldSession() throws {
        let d = try InProcessDaemon()
        defer { d.stop() }
        let c = try d.client()
        defer { c.shutdown() }
        var old: [UInt64] = []
        for i in 0..<10 {
            let (e, _) = try c.create(parent: FUSEClient.rootNodeID, name: "r\(i)", flags: O_RDWR, mode: 0o644)
            old.append(e.nodeID)
        }
        #expect(d.fsdev.nodeCount == 11)
        #expect(d.fsdev.handleCount == 10)
        try c.initialize()
        #expect(d.fsdev.nodeCount == 1)
        #expect(d.fsdev.handleCount == 0)
        #expect(throws: FUSEClient.Failure.errno(EBADF)) { _ = try c.getattr(old[0]) }
        #expect(try c.lookup(parent: FUSEClient.rootNodeID, name: "r0").nodeID != 0)
    }

    /// A front-end that goes away with writes in flight: every engine finishes them from guest memory that stays
    /// mapped until then, releases every node, handle and descriptor, and serves the next front-end.
    @Test(arguments: AIOFSOptions.Engine.allCases)
    func disconnectWithWritesInFlightReleasesEverything(engine: AIOFSOptions.Engine) throws {
        let d = try InProcessDaemon(options: InProcessDaemon.options(engine))
        defer { d.stop() }
        let root = FUSEClient.rootNodeID
        let block = 65536
        let fdsBefore = openDescriptorsInto(d.share)
        do {
            let c = try d.client()
            let (e, o) = try c.create(parent: root, name: "w", flags: O_RDWR, mode: 0o644)
            let q = c.queue
            for i in 0..<32 {
                try q.submitWrite(e.nodeID, handle: o.handle, offset: UInt64(i * block), count: block) {
                    $0.initializeMemory(as: UInt8.self, repeating: UInt8(i + 1))
                }
            }
            q.kick()
            c.shutdown()
        }
        #expect(d.eventually { d.fsdev.nodeCount == 1 && d.fsdev.handleCount == 0 })
        #expect(d.eventually { openDescriptorsInto(d.share) == fdsBefore },
                "descriptors into the share: \(openDescriptorsInto(d.share)), before: \(fdsBefore)")
        // Each block was written whole from its own guest buffer, or not at all.
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: d.share + "/w")))
        #expect(bytes.count % block == 0 && bytes.count <= 32 * block)
        for i in 0..<(bytes.count / block) {
            let chunk = bytes[(i * block)..<((i + 1) * block)]
            #expect(chunk.allSatisfy { $0 == UInt8(i + 1) } || chunk.allSatisfy { $0 == 0 }, "block \(i)")
        }
        let c = try d.client()
        defer { c.shutdown() }
        #expect(try c.lookup(parent: root, name: "w").attributes.size == UInt64(bytes.count))
    }

    @Test func disconnectReleasesTheGuestsNodes() throws {
        let d = try InProcessDaemon()
        defer { d.stop() }
        do {
            let c = try d.client()
            for i in 0..<20 { _ = try c.mkdir(parent: FUSEClient.rootNodeID, name: "d\(i)", mode: 0o755) }
            #expect(d.fsdev.nodeCount == 21)
            c.shutdown()
        }
        #expect(d.eventually { d.fsdev.nodeCount == 1 })
        // A second front-end mounts again and sees what the first one made.
        let c = try d.client()
        defer { c.shutdown() }
        #expect(try c.lookup(parent: FUSEClient.rootNodeID, name: "d7").attributes.isDirectory)
    }
}
