import FSDev
import Foundation
import Glibc
import LinuxSystem
import Synchronization
import Testing

@testable import FSDevAIO

/// The node and handle tables in lock shards: ids stay generation-checked on every shard, an inode is one node
/// whatever thread looks it up, the descriptor cache is bounded in total and gives descriptors back from every
/// shard, and many threads looking up, opening, releasing and forgetting at once leave exact counts behind.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct ShardingTests {
    static let shards = 8

    /// A harness whose tables have `shards` shards, with `files` files `f<i>` in the share.
    static func harness(cache: Int = 10_000, files: Int, reactors: Int = 1) throws -> Harness {
        var options = AIOFSOptions()
        options.descriptorCacheSize = cache
        options.tableShards = shards
        let h = try Harness(options: options, reactors: reactors)
        try FileHandleTests.makeFiles(h.directory, count: files)
        return h
    }

    /// Runs `body(thread)` on `count` threads at once and waits for all of them.
    static func onThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
        let started = Atomic<Int>(0)
        let done = Atomic<Int>(0)
        let threads = (0..<count).map { index in
            Thread {
                started.add(1, ordering: .relaxed)
                while started.load(ordering: .relaxed) < count { sched_yield() }  // start together
                body(index)
                done.add(1, ordering: .releasing)
            }
        }
        for t in threads { t.start() }
        while done.load(ordering: .acquiring) < count { sched_yield() }
    }

    @Test func theDefaultIsAPowerOfTwoAtLeastEightTimesTheCPUs() throws {
        #expect(AIOFSDevice.defaultTableShards(onlineCPUs: 1) == 8)
        #expect(AIOFSDevice.defaultTableShards(onlineCPUs: 2) == 16)
        #expect(AIOFSDevice.defaultTableShards(onlineCPUs: 3) == 32)
        #expect(AIOFSDevice.defaultTableShards(onlineCPUs: 16) == 128)
        #expect(AIOFSDevice.defaultTableShards(onlineCPUs: 1000) == 256)
        for bad in [0, 3, 6, 512] {
            var options = AIOFSOptions()
            options.tableShards = bad
            #expect(throws: Errno.invalidArgument) { _ = try AIOFSDevice(rootPath: "/tmp", options: options) }
        }
        let d = try AIOFSDevice(rootPath: "/tmp")
        #expect(d.tableShards == AIOFSDevice.defaultTableShards())
    }

    @Test func idsSplitAndJoinOnEveryShardWithoutCollisions() {
        for count in [1, 2, 4, 8, 256] {
            let layout = ShardLayout(count: count)
            #expect(layout.split(0) == nil && layout.split(0xffff_ffff_0000_0000) == nil)
            for shard in 0..<count {
                for local: UInt64 in [1, 2, 7 << 32 | 3, UInt64(layout.slotsPerShard)] {
                    let id = layout.join(shard: shard, local: local)
                    #expect(UInt32(truncatingIfNeeded: id) != 0)
                    #expect(layout.split(id)?.shard == shard && layout.split(id)?.local == local)
                }
            }
            // The root: shard 0, local id 1, is FUSE_ROOT_ID.
            #expect(layout.join(shard: 0, local: 1) == 1)
        }
    }

    /// Every shard holds nodes; on each, a forgotten id, the same slot with another generation, and a slot never
    /// given out are EBADF, as is a handle moved to another shard or used with another shard's node.
    @Test func staleAndInventedIdsAreEBADFOnEveryShard() throws {
        let h = try Self.harness(files: 64)
        defer { h.close() }
        let layout = h.device.nodes.layout
        #expect(layout.count == Self.shards)
        var nodes: [NodeID] = []
        for i in 0..<64 { nodes.append(try h.lookup(.root, FileName("f\(i)")).node) }
        let byShard = Dictionary(grouping: nodes) { h.device.nodes.shard(of: $0)! }
        #expect(byShard.count == Self.shards, "64 inodes spread over all 8 shards: \(h.device.nodes.countsByShard)")
        for (shard, inShard) in byShard.sorted(by: { $0.key < $1.key }) {
            let node = inShard[0]
            let (_, local) = layout.split(node.rawValue)!
            // Generation off by one either way, a slot far beyond any given out, and the slot of the shard's
            // next node under another shard's bits.
            for invented in [layout.join(shard: shard, local: local &+ (1 << 32)),
                             layout.join(shard: shard, local: local &- (1 << 32)),
                             layout.join(shard: shard, local: 1 << 32 | 60_000)] {
                #expect(throws: Errno.badFileDescriptor) { try h.attributes(NodeID(rawValue: invented)) }
                #expect(throws: Errno.badFileDescriptor) { try h.forget(NodeID(rawValue: invented)) }
            }
            let handle = try h.open(node, flags: O_RDONLY)
            #expect(layout.split(handle.rawValue)?.shard == shard, "a handle lives in its node's shard")
            let (_, handleLocal) = layout.split(handle.rawValue)!
            let other = byShard[(shard + 1) % Self.shards]![0]
            for moved in (0..<Self.shards).filter({ $0 != shard }) {
                let wrong = HandleID(rawValue: layout.join(shard: moved, local: handleLocal))
                #expect(throws: Errno.badFileDescriptor) { try h.attributes(node, handle: wrong) }
                #expect(throws: Errno.badFileDescriptor) { try h.release(node, wrong) }
            }
            #expect(throws: Errno.badFileDescriptor) { try h.attributes(other, handle: handle) }
            #expect(throws: Errno.badFileDescriptor) { try h.release(other, handle) }
            _ = try h.attributes(node, handle: handle)
            try h.release(node, handle)
            #expect(throws: Errno.badFileDescriptor) { try h.release(node, handle) }
            // Forgotten: the id is stale, and the slot's next node gets another id.
            try h.forget(node)
            #expect(throws: Errno.badFileDescriptor) { try h.attributes(node) }
            #expect(throws: Errno.badFileDescriptor) { try h.forget(node) }
        }
        // Nodes of different shards share local slots; each id still names its own inode.
        let forgotten = Set(byShard.values.map { $0[0] })
        let live = nodes.enumerated().filter { !forgotten.contains($0.element) }
        #expect(Set(live.map { layout.split($0.element.rawValue)!.local }).count < live.count)
        for (i, node) in live {
            #expect(try h.attributes(node).inode == UInt64(try hostStat(h.path("f\(i)")).st_ino))
            #expect(h.device.lookupCount(of: node) == 1)
        }
        #expect(h.device.nodeCount == 1 + 64 - Self.shards)
        #expect(h.device.handleCount == 0)
    }

    /// Eight threads look the same names up at once, half through the reactors, half on their own threads, with
    /// a cache smaller than the names (so both the cached path and the file-handle path run): each name is one
    /// node, holding exactly the lookups made.
    @Test func oneInodeIsOneNodeWhateverThreadLooksItUp() throws {
        let h = try Self.harness(cache: 6, files: 16, reactors: 2)
        defer { h.close() }
        let rounds = 40
        let seen = Mutex<[Int: [NodeID: UInt64]]>([:])
        let failures = Atomic<Int>(0)
        Self.onThreads(8) { thread in
            var mine: [Int: [NodeID: UInt64]] = [:]
            for round in 0..<rounds {
                for step in 0..<16 {
                    let file = (step + thread + round) % 16
                    let result: Result<FSReply, Errno>
                    if thread < 4 {
                        result = h.call(.lookup(parent: .root, name: FileName("f\(file)")), reactor: thread % 2)
                    } else {
                        result = Result { () throws(Errno) -> FSReply in
                            try h.device.perform(.lookup(parent: .root, name: FileName("f\(file)")), context: .root)
                        }
                    }
                    guard case .success(.entry(let e)) = result else {
                        failures.add(1, ordering: .relaxed)
                        continue
                    }
                    mine[file, default: [:]][e.node, default: 0] += 1
                }
            }
            seen.withLock { all in
                for (file, nodes) in mine {
                    for (node, n) in nodes { all[file, default: [:]][node, default: 0] += n }
                }
            }
        }
        #expect(failures.load(ordering: .relaxed) == 0)
        let all = seen.withLock { $0 }
        #expect(all.count == 16)
        for (file, nodes) in all {
            #expect(nodes.count == 1, "f\(file) became \(nodes.count) nodes")
            for (node, n) in nodes {
                #expect(n == UInt64(8 * rounds))
                #expect(h.device.lookupCount(of: node) == n)
                try h.forget(node, n)
            }
        }
        #expect(h.device.nodeCount == 1)
        #expect(h.device.nodeDescriptorCounts.cached == 0)
        #expect(descriptors(under: h.directory) == 2, "the root's and the mount's")
    }

    /// The cache's bound is one for all shards: lookups and reopens from two reactors at once never leave more
    /// than its size open, and a node in a shard that holds no cached descriptor still gets one, from another
    /// shard's part of the cache.
    @Test func theCacheBoundHoldsInTotalAcrossShards() throws {
        let h = try Self.harness(cache: 10, files: 200, reactors: 2)
        defer { h.close() }
        let nodes = Mutex<[NodeID]>([])
        let highest = Atomic<Int>(0)
        let running = Atomic<Bool>(true)
        let watcher = Thread {
            while running.load(ordering: .relaxed) {
                let cached = h.device.nodes.cachedDescriptorBudgetInUse
                if cached > highest.load(ordering: .relaxed) { highest.store(cached, ordering: .relaxed) }
                usleep(200)  // a sampling period, not a wait for a condition
            }
        }
        watcher.start()
        Self.onThreads(2) { reactor in
            for i in stride(from: reactor, to: 200, by: 2) {
                if case .success(.entry(let e)) = h.call(.lookup(parent: .root, name: FileName("f\(i)")),
                                                         reactor: reactor) {
                    nodes.withLock { $0.append(e.node) }
                }
            }
        }
        let all = nodes.withLock { $0 }
        #expect(all.count == 200)
        #expect(h.device.nodeDescriptorCounts.cached == 10)
        #expect(descriptors(under: h.directory) == 2 + 10)
        // Every node reopens from its handle, on both reactors at once.
        Self.onThreads(2) { reactor in
            for node in all where (try? h.call(.getattr(node: node, handle: nil), reactor: reactor).get()) == nil {
                Issue.record("getattr of \(node) failed")
            }
        }
        running.store(false, ordering: .relaxed)
        while !watcher.isFinished { usleep(1000) }
        #expect(highest.load(ordering: .relaxed) <= 10)
        #expect(h.device.nodeDescriptorCounts.cached == 10)
        #expect(descriptors(under: h.directory) == 2 + 10)
        // Fill the cache from one shard's nodes, then use a node of another shard: it gets a descriptor.
        let shardOf = { (n: NodeID) in h.device.nodes.shard(of: n)! }
        let first = all.filter { shardOf($0) == shardOf(all[0]) }
        let stranger = try #require(all.first { shardOf($0) != shardOf(all[0]) })
        #expect(first.count >= 10)
        for _ in 0..<2 { for node in first.prefix(10) { _ = try h.attributes(node) } }
        for node in first.prefix(10) { #expect(h.device.nodes.hasOpenDescriptor(node) == true) }
        #expect(h.device.nodes.hasOpenDescriptor(stranger) == false)
        _ = try h.attributes(stranger)
        #expect(h.device.nodes.hasOpenDescriptor(stranger) == true)
        #expect(h.device.nodeDescriptorCounts.cached == 10)
        for node in all { try h.forget(node) }
        #expect(h.device.nodeDescriptorCounts.cached == 0 && descriptors(under: h.directory) == 2)
    }

    /// Out of descriptors, the cache gives back from every shard: asked for more than one shard holds, it drains
    /// them all.
    @Test func evictionFreesDescriptorsFromEveryShard() throws {
        let h = try Self.harness(files: 64)
        defer { h.close() }
        var nodes: [NodeID] = []
        for i in 0..<64 { nodes.append(try h.lookup(.root, FileName("f\(i)")).node) }
        #expect(h.device.nodeDescriptorCounts.cached == 64)
        let largestShard = Dictionary(grouping: nodes) { h.device.nodes.shard(of: $0)! }.values.map(\.count).max()!
        #expect(largestShard < 40)
        #expect(h.device.releaseCachedDescriptors(40) == 40)
        #expect(h.device.nodeDescriptorCounts.cached == 24)
        #expect(descriptors(under: h.directory) == 2 + 24)
        #expect(h.device.releaseCachedDescriptors(1000) == 24)
        #expect(h.device.nodeDescriptorCounts.cached == 0 && descriptors(under: h.directory) == 2)
        // Every node still answers, from its handle.
        for (i, node) in nodes.enumerated() { #expect(try h.attributes(node).size == UInt64("f\(i)".utf8.count)) }
    }

    /// Under a 128-descriptor limit with a cache far larger, 600 lookups and opens over 8 shards all succeed:
    /// each EMFILE evicts from whichever shards hold descriptors and the open is retried. In a child process: it
    /// lowers RLIMIT_NOFILE.
    @Test func emfileEvictionWorksAcrossShards() async {
        await #expect(processExitsWith: .success) {
            let fail = failing("emfile-shards")
            let h = try Self.harness(cache: 100_000, files: 600)
            defer { h.close() }
            let hard = try ResourceLimit.openDescriptors().hard
            try ResourceLimit.setOpenDescriptors(ResourceLimit(soft: 128, hard: hard))
            var nodes: [NodeID] = []
            for i in 0..<600 {
                do { nodes.append(try h.lookup(.root, FileName("f\(i)")).node) } catch { fail(2, "f\(i): \(error)") }
            }
            FileHandleTests.readBack(h, nodes, fail: fail)
            guard FileDescriptor.openCount() <= 128 else { fail(5, "\(FileDescriptor.openCount()) open") }
            let nonEmpty = h.device.nodes.countsByShard.filter { $0 > 0 }.count
            guard nonEmpty == Self.shards else { fail(6, "nodes by shard \(h.device.nodes.countsByShard)") }
        }
        recordNote("emfile-shards")
    }

    /// Eight threads for a second: lookups, GETATTR, OPEN + READ + RELEASE, FORGET, on two reactors and on their
    /// own threads, over 48 real files with a cache of 8 (evictions and reopens all the time). Each thread tallies
    /// what it holds; afterwards every node's lookup count is the sum of the threads' tallies, and once they are
    /// forgotten and released nothing is left: no node, handle, cached descriptor or descriptor into the share.
    @Test func manyThreadsLookingUpOpeningReleasingAndForgetting() throws {
        let h = try Self.harness(cache: 8, files: 48, reactors: 2)
        defer { h.close() }
        let held = Mutex<[NodeID: UInt64]>([:])
        let operations = Atomic<Int>(0)
        let failures = Mutex<[String]>([])
        let deadline = SystemClock.monotonicNanoseconds() + 1_000_000_000
        Self.onThreads(8) { thread in
            var rng = SystemRandomNumberGenerator()
            var mine: [(node: NodeID, file: Int)] = []
            func run(_ op: FSOperation) -> Result<FSReply, Errno> {
                if thread < 4 { return h.call(op, reactor: thread % 2) }
                return Result { () throws(Errno) -> FSReply in try h.device.perform(op, context: .root) }
            }
            func failed(_ what: String) { failures.withLock { $0.append("thread \(thread): \(what)") } }
            while SystemClock.monotonicNanoseconds() < deadline {
                switch Int.random(in: 0..<4, using: &rng) {
                case 0:
                    let file = Int.random(in: 0..<48, using: &rng)
                    guard case .success(.entry(let e)) = run(.lookup(parent: .root, name: FileName("f\(file)")))
                    else { failed("lookup f\(file)"); continue }
                    mine.append((e.node, file))
                case 1 where !mine.isEmpty:
                    let (node, file) = mine[Int.random(in: 0..<mine.count, using: &rng)]
                    guard case .success(.attributes(let a)) = run(.getattr(node: node, handle: nil)),
                          a.attributes.size == UInt64("f\(file)".utf8.count)
                    else { failed("getattr f\(file)"); continue }
                case 2 where !mine.isEmpty:
                    let (node, file) = mine[Int.random(in: 0..<mine.count, using: &rng)]
                    guard case .success(.opened(let o)) = run(.open(node: node, flags: O_RDONLY))
                    else { failed("open f\(file)"); continue }
                    // READ goes through a reactor's channel, whichever opened the handle.
                    let bytes = try? h.read(node, o.handle, size: 16, at: 0, reactor: Int.random(in: 0..<2))
                    if bytes != Array("f\(file)".utf8) { failed("read f\(file)") }
                    if case .failure = run(.release(node: node, handle: o.handle)) { failed("release f\(file)") }
                case 3 where mine.count > 4:
                    let (node, file) = mine.remove(at: Int.random(in: 0..<mine.count, using: &rng))
                    if case .failure = run(.forget(node: node, count: 1)) { failed("forget f\(file)") }
                default:
                    continue
                }
                operations.add(1, ordering: .relaxed)
            }
            held.withLock { all in for (node, _) in mine { all[node, default: 0] += 1 } }
        }
        #expect(failures.withLock { $0 } == [])
        #expect(operations.load(ordering: .relaxed) > 1000)
        let tally = held.withLock { $0 }
        #expect(h.device.nodeCount == 1 + tally.count)
        #expect(h.device.handleCount == 0)
        #expect(h.device.nodeDescriptorCounts.cached <= 8)
        for (node, n) in tally {
            #expect(h.device.lookupCount(of: node) == n)
            try h.forget(node, n)
        }
        #expect(h.device.nodeCount == 1)
        #expect(h.device.nodeDescriptorCounts.cached == 0)
        #expect(descriptors(under: h.directory) == 2, "the root's and the mount's")
        print("sharding stress: \(operations.load(ordering: .relaxed)) operations on 8 threads in 1 s")
    }
}
