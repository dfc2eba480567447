import FSDev
import Foundation
import Glibc
import LinuxSystem
import Reactor
import Testing

@testable import FSDevAIO

@Suite struct AIOTests {
    @Test(arguments: IOEngine.allCases)
    func largeAndVectoredReadsAndWrites(engine: IOEngine) throws {
        let h = try Harness(options: engine.options(AIOFSOptions(maxWrite: 1 << 20)))
        defer { h.close() }
        let (e, fh) = try h.create(.root, "big")
        // A 1 MiB write from 3 vectors of odd sizes.
        let data = pattern(1 << 20, seed: 9)
        var copy = data
        let written = try copy.withUnsafeMutableBytes { raw -> Int in
            let base = try #require(raw.baseAddress)
            let vectors = [iovec(iov_base: base, iov_len: 1000), iovec(iov_base: base + 1000, iov_len: 300_001),
                           iovec(iov_base: base + 301_001, iov_len: raw.count - 301_001)]
            return try vectors.withUnsafeBufferPointer {
                try h.count(h.call(.write(node: e.node, handle: fh, offset: 4096, size: UInt32(raw.count),
                                          buffers: $0)))
            }
        }
        #expect(written == 1 << 20)
        #expect(try Array(readHostFile(h.path("big"))[4096...]) == data)
        // A vectored read that is cut at `size` although the buffers are larger.
        var out = [UInt8](repeating: 0, count: 200_000)
        let n = try out.withUnsafeMutableBytes { raw -> Int in
            let base = try #require(raw.baseAddress)
            let vectors = [iovec(iov_base: base, iov_len: 7), iovec(iov_base: base + 7, iov_len: 150_000),
                           iovec(iov_base: base + 150_007, iov_len: 49_993)]
            return try vectors.withUnsafeBufferPointer {
                try h.count(h.call(.read(node: e.node, handle: fh, offset: 4096 + 10, size: 150_000, buffers: $0)))
            }
        }
        #expect(n == 150_000)
        #expect(Array(out[..<150_000]) == Array(data[10..<150_010]))
        #expect(out[150_000...].allSatisfy { $0 == 0 })
        // 4 MiB in one read.
        let four = try h.read(e.node, fh, size: 4 << 20, at: 0)
        #expect(four.count == (1 << 20) + 4096)
        try h.release(e.node, fh)
    }

    @Test(arguments: IOEngine.allCases)
    func shortReadsAndTransferErrors(engine: IOEngine) throws {
        let h = try Harness(options: engine.options())
        defer { h.close() }
        try writeHostFile(h.path("small"), pattern(1000))
        let e = try h.lookup(.root, "small")
        let fh = try h.open(e.node, flags: O_RDWR)
        #expect(try h.read(e.node, fh, size: 4096, at: 500) == Array(pattern(1000)[500...]))
        #expect(try h.read(e.node, fh, size: 4096, at: 1000).isEmpty)
        #expect(try h.read(e.node, fh, size: 4096, at: 1 << 40).isEmpty)
        #expect(try h.read(e.node, fh, size: 0, at: 0).isEmpty)
        // Writes above max_write, with fewer bytes than announced, at absurd offsets.
        #expect(throws: Errno.invalidArgument) { try h.write(e.node, fh, pattern(128 * 1024 + 1), at: 0) }
        var one: [UInt8] = [1]
        one.withUnsafeMutableBytes { raw in
            var v = iovec(iov_base: raw.baseAddress, iov_len: 1)
            withUnsafePointer(to: &v) { p in
                #expect(throws: Errno.invalidArgument) {
                    try h.call(.write(node: e.node, handle: fh, offset: 0, size: 2,
                                      buffers: UnsafeBufferPointer(start: p, count: 1))).get()
                }
                #expect(throws: Errno.invalidArgument) {
                    try h.call(.read(node: e.node, handle: fh, offset: UInt64.max - 1, size: 1,
                                     buffers: UnsafeBufferPointer(start: p, count: 1))).get()
                }
            }
        }
        // Too many vectors.
        let many = [iovec](repeating: iovec(iov_base: nil, iov_len: 0), count: 1025)
        _ = many.withUnsafeBufferPointer { v in
            #expect(throws: Errno.invalidArgument) {
                try h.call(.read(node: e.node, handle: fh, offset: 0, size: 1, buffers: v)).get()
            }
        }
        // An error from the kernel arrives through the completion: a buffer the kernel cannot write to.
        var v = iovec(iov_base: UnsafeMutableRawPointer(bitPattern: 0x10), iov_len: 100)
        _ = withUnsafePointer(to: &v) { p in
            #expect(throws: Errno.badAddress) {
                try h.call(.read(node: e.node, handle: fh, offset: 0, size: 100,
                                 buffers: UnsafeBufferPointer(start: p, count: 1))).get()
            }
        }
        // Writes the kernel refuses report its errno: a buffer it cannot read from, a read-only handle.
        _ = withUnsafePointer(to: &v) { p in
            #expect(throws: Errno.badAddress) {
                try h.call(.write(node: e.node, handle: fh, offset: 0, size: 100,
                                  buffers: UnsafeBufferPointer(start: p, count: 1))).get()
            }
        }
        let readOnly = try h.open(e.node, flags: O_RDONLY)
        #expect(throws: Errno.badFileDescriptor) { try h.write(e.node, readOnly, pattern(10), at: 0) }
        try h.release(e.node, readOnly)
        #expect(try readHostFile(h.path("small")) == pattern(1000), "no failed write changed the file")
        // Directory handles are not files.
        guard case .opened(let d) = try h.call(.opendir(node: .root, flags: O_RDONLY)).get() else { return }
        #expect(throws: Errno.isDirectory) { try h.read(.root, d.handle, size: 1, at: 0) }
        #expect(throws: Errno.isDirectory) { try h.write(.root, d.handle, [1], at: 0) }
        try h.release(e.node, fh)
    }

    /// With libaio, reads fill the slots; with the other engines, writes do (cached reads complete inside submit).
    @Test(arguments: [IOEngine.libaio, .threads, .ioUring])
    func queueDepthIsEnforcedAndEveryRequestCompletesOnce(engine: IOEngine) throws {
        let depth = 32
        let writes = engine != .libaio
        let h = try Harness(options: engine.options(AIOFSOptions(queueDepth: depth)))
        defer { h.close() }
        let data = pattern(depth * 4096, seed: 5)
        try writeHostFile(h.path("q"), writes ? [UInt8](repeating: 0, count: depth * 4096) : data)
        let e = try h.lookup(.root, "q")
        let fh = try h.open(e.node, flags: writes ? O_RDWR : O_RDONLY)
        let buffers = UnsafeMutableRawBufferPointer.allocate(byteCount: (depth + 1) * 4096, alignment: 4096)
        defer { buffers.deallocate() }
        if writes { buffers.copyBytes(from: data) }
        let vectors = UnsafeMutableBufferPointer<iovec>.allocate(capacity: depth + 1)
        defer { vectors.deallocate() }
        for i in 0...depth { vectors[i] = iovec(iov_base: buffers.baseAddress! + i * 4096, iov_len: 4096) }
        let completions = Completions(reactor: h.group.reactors[0])
        let channel = h.channels[0]
        let box = Unchecked(value: vectors)
        let node = e.node
        @Sendable func operation(_ i: Int, at offset: Int) -> FSOperation {
            let v = UnsafeBufferPointer(rebasing: box.value[i..<(i + 1)])
            return writes
                ? .write(node: node, handle: fh, offset: UInt64(offset), size: 4096, buffers: v)
                : .read(node: node, handle: fh, offset: UInt64(offset), size: 4096, buffers: v)
        }
        // All submissions happen in one reactor pass, so nothing is reaped in between: the last one finds no slot.
        let outcome = h.group.reactors[0].run { () -> (accepted: Int, refused: Errno?, free: Int) in
            var accepted = 0
            for i in 0..<depth {
                do throws(Errno) {
                    try channel.value.submit(operation(i, at: i * 4096), context: .root, token: UInt64(i),
                                             target: completions)
                    accepted += 1
                } catch { return (accepted, error, channel.value.freeRequestSlots) }
            }
            do throws(Errno) {
                try channel.value.submit(operation(depth, at: 0), context: .root, token: 999, target: completions)
                return (accepted, nil, channel.value.freeRequestSlots)
            } catch { return (accepted, error, channel.value.freeRequestSlots) }
        }
        #expect(outcome.accepted == depth)
        #expect(outcome.refused == .wouldBlock)
        #expect(outcome.free == 0)
        let done = completions.wait(count: depth)
        usleep(20_000)
        #expect(completions.count == depth, "exactly once each, and none for the refused one")
        #expect(Set(done.map(\.token)) == Set((0..<depth).map(UInt64.init)))
        for d in done {
            guard case .success(.count(let n)) = d.result else { Issue.record("\(d.result)"); continue }
            #expect(n == 4096)
            let i = Int(d.token)
            #expect(Array(UnsafeRawBufferPointer(rebasing: buffers[(i * 4096)..<((i + 1) * 4096)]))
                    == Array(data[(i * 4096)..<((i + 1) * 4096)]))
        }
        if writes { #expect(try readHostFile(h.path("q")) == data) }
        #expect(h.group.reactors[0].run { channel.value.freeRequestSlots } == depth)
        try h.release(e.node, fh)
    }

    @Test(arguments: [IOEngine.libaio, .threads, .ioUring])
    func channelDestroyedFromItsOwnCompletionStillCompletesEverythingOnce(engine: IOEngine) throws {
        let writes = engine != .libaio
        let h = try Harness(options: engine.options())
        defer { h.close() }
        try writeHostFile(h.path("r"), pattern(8 * 4096))
        let e = try h.lookup(.root, "r")
        let fh = try h.open(e.node, flags: O_RDWR)
        let buffers = UnsafeMutableRawBufferPointer.allocate(byteCount: 8 * 4096, alignment: 4096)
        buffers.initializeMemory(as: UInt8.self, repeating: 0x5c)
        defer { buffers.deallocate() }
        let vectors = UnsafeMutableBufferPointer<iovec>.allocate(capacity: 8)
        defer { vectors.deallocate() }
        for i in 0..<8 { vectors[i] = iovec(iov_base: buffers.baseAddress! + i * 4096, iov_len: 4096) }
        /// Drops the last channel reference on the first completion: the channel drains the other seven from
        /// inside this completion.
        final class Releasing: FSCompletionTarget, @unchecked Sendable {
            let inner: Completions
            let reactor: Reactor
            let device: AIOFSDevice
            var released = false
            init(_ inner: Completions, _ reactor: Reactor, _ device: AIOFSDevice) {
                self.inner = inner
                self.reactor = reactor
                self.device = device
            }
            func fsdevDidComplete(token: UInt64, result: Result<FSReply, Errno>) {
                inner.fsdevDidComplete(token: token, result: result)
                if !released {
                    released = true
                    reactor.releaseChannel(for: device)
                }
            }
        }
        let completions = Completions(reactor: h.group.reactors[0])
        let target = Releasing(completions, h.group.reactors[0], h.device)
        let channel = h.channels[0]
        let box = Unchecked(value: vectors)
        h.group.reactors[0].run {
            for i in 0..<8 {
                let v = UnsafeBufferPointer(rebasing: box.value[i..<(i + 1)])
                let offset = UInt64(i * 4096)
                let operation: FSOperation = writes
                    ? .write(node: e.node, handle: fh, offset: offset, size: 4096, buffers: v)
                    : .read(node: e.node, handle: fh, offset: offset, size: 4096, buffers: v)
                try? channel.value.submit(operation, context: .root, token: UInt64(i), target: target)
            }
        }
        let done = completions.wait(count: 8)
        usleep(10_000)
        #expect(completions.count == 8)
        #expect(Set(done.map(\.token)) == Set(0..<8))
        #expect(done.allSatisfy { if case .success(.count(4096)) = $0.result { true } else { false } })
        #expect(h.group.reactors[0].run { h.group.reactors[0].channelReferenceCount(for: h.device) } == 0)
        #expect(throws: Errno.badFileDescriptor) { try h.attributes(.root) }
    }

    @Test func directIOIsTrulyAsynchronous() throws {
        let h = try Harness(options: AIOFSOptions(directIO: true))
        defer { h.close() }
        let data = pattern(1 << 20, seed: 11)
        try writeHostFile(h.path("d"), data)
        let e = try h.lookup(.root, "d")
        let fh = try h.open(e.node, flags: O_RDONLY | O_DIRECT)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 4096)
        defer { buffer.deallocate() }
        var v = iovec(iov_base: buffer.baseAddress, iov_len: buffer.count)
        let n = try withUnsafePointer(to: &v) { p in
            try h.count(h.call(.read(node: e.node, handle: fh, offset: 0, size: UInt32(buffer.count),
                                     buffers: UnsafeBufferPointer(start: p, count: 1))))
        }
        #expect(n == 1 << 20)
        #expect(Array(buffer) == data)
        try h.release(e.node, fh)
    }

    @Test func abortCompletesTheVictimExactlyOnce() throws {
        let h = try Harness()
        defer { h.close() }
        try writeHostFile(h.path("a"), pattern(4096))
        let e = try h.lookup(.root, "a")
        let fh = try h.open(e.node, flags: O_RDONLY)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 4096)
        defer { buffer.deallocate() }
        let vector = UnsafeMutablePointer<iovec>.allocate(capacity: 1)
        defer { vector.deallocate() }
        vector.pointee = iovec(iov_base: buffer.baseAddress, iov_len: 4096)
        let completions = Completions(reactor: h.group.reactors[0])
        let channel = h.channels[0]
        let box = Unchecked(value: vector)
        h.group.reactors[0].run {
            try? channel.value.submit(.read(node: e.node, handle: fh, offset: 0, size: 4096,
                                            buffers: UnsafeBufferPointer(start: box.value, count: 1)),
                                      context: .root, token: 1, target: completions)
            try? channel.value.submit(.abort(token: 1), context: .root, token: 2, target: completions)
            try? channel.value.submit(.abort(token: 12345), context: .root, token: 3, target: completions)
        }
        let done = completions.wait(count: 3)
        usleep(20_000)
        #expect(completions.count == 3)
        let byToken = Dictionary(grouping: done, by: \.token)
        #expect(byToken[1]?.count == 1)
        if case .success(.count(let n)) = byToken[1]?.first?.result { #expect(n == 4096) } else {
            #expect(byToken[1]?.first.map { if case .failure(.canceled) = $0.result { true } else { false } } == true)
        }
        #expect(byToken[2]?.first.map { if case .success(.none) = $0.result { true } else { false } } == true)
        #expect(byToken[3]?.first.map { if case .failure(.noSuchFileOrDirectory) = $0.result { true } else { false } }
                == true)
        try h.release(e.node, fh)
    }

    @Test(arguments: [IOEngine.inlineReads, .threads, .ioUring])
    func inlineCachedReadsCompleteInsideSubmitAndMissesGoToHelperThreads(engine: IOEngine) throws {
        let h = try Harness(options: engine.options())
        defer { h.close() }
        let data = pattern(256 * 1024, seed: 21)
        try writeHostFile(h.path("c"), data)
        let e = try h.lookup(.root, "c")
        let fh = try h.open(e.node, flags: O_RDONLY)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 4096)
        defer { buffer.deallocate() }
        let vector = UnsafeMutablePointer<iovec>.allocate(capacity: 1)
        defer { vector.deallocate() }
        vector.pointee = iovec(iov_base: buffer.baseAddress, iov_len: buffer.count)
        let channel = h.channels[0]
        let box = Unchecked(value: vector)
        /// Submits a 64 KiB read at `offset`; returns whether it completed before submit returned, and the result.
        func read(at offset: UInt64) -> (inline: Bool, result: Result<FSReply, Errno>?) {
            let completions = Completions(reactor: h.group.reactors[0])
            let inline = h.group.reactors[0].run { () -> Bool in
                try? channel.value.submit(.read(node: e.node, handle: fh, offset: offset, size: 65536,
                                                buffers: UnsafeBufferPointer(start: box.value, count: 1)),
                                          context: .root, token: offset, target: completions)
                return completions.count == 1
            }
            let done = completions.wait(count: 1)
            #expect(done.count == 1)
            return (inline, done.first?.result)
        }
        // Just written: in the page cache, served inline.
        let cached = read(at: 65536)
        #expect(cached.inline)
        #expect(Array(buffer) == Array(data[65536..<131072]))
        // At end of file: 0, inline.
        let eof = read(at: UInt64(data.count))
        #expect(eof.inline)
        if case .success(.count(let n)) = eof.result { #expect(n == 0) } else { Issue.record("eof read") }
        // Evicted from the page cache: RWF_NOWAIT says EAGAIN and a helper thread serves it (asynchronously, the
        // reactor never blocks on the disk), same bytes.
        let fd = Glibc.open(h.path("c"), O_RDONLY)
        #expect(fdatasync(fd) == 0 && posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) == 0)
        Glibc.close(fd)
        buffer.initializeMemory(as: UInt8.self, repeating: 0)
        let evicted = read(at: 131072)
        #expect(Array(buffer) == Array(data[131072..<196608]))
        if case .success(.count(let n)) = evicted.result { #expect(n == 65536) } else { Issue.record("evicted") }
        #expect(!evicted.inline, "an evicted page must go to a helper thread, not block the reactor")
        // The helper threads, or with io_uring the kernel's workers.
        #expect(h.group.reactors[0].run { channel.value.coldReadCount } == (engine == .ioUring ? 0 : 1))
        try h.release(e.node, fh)
    }

    @Test func skipReadWriteCompletesWithoutTouchingTheFile() throws {
        let h = try Harness(options: AIOFSOptions(skipReadWrite: true))
        defer { h.close() }
        try writeHostFile(h.path("s"), [1, 2, 3])
        let e = try h.lookup(.root, "s")
        let fh = try h.open(e.node, flags: O_RDWR)
        let r = try h.read(e.node, fh, size: 100, at: 0)
        #expect(r.count == 100 && r.allSatisfy { $0 == 0xee })
        #expect(try h.write(e.node, fh, pattern(50), at: 0) == 50)
        #expect(try readHostFile(h.path("s")) == [1, 2, 3])
        try h.release(e.node, fh)
    }
}

/// The helper pool of the `threads` engine.
@Suite struct HelperPoolTests {
    /// Queue depth 1: the write runs on the reactor, with no hand-off to a helper (no wake-up latency), and the
    /// bytes land.
    @Test func aWriteAloneRunsOnTheReactor() throws {
        let h = try Harness(options: IOEngine.threads.options())
        defer { h.close() }
        let (e, fh) = try h.create(.root, "alone")
        for i in 0..<10 {
            #expect(try h.write(e.node, fh, pattern(4096, seed: UInt64(i)), at: UInt64(i * 4096)) == 4096)
        }
        let counts = h.group.reactors[0].run { h.channels[0].value.pooledWriteCount }
        #expect(counts.total == 10 && counts.onReactor == 10)
        #expect(try readHostFile(h.path("alone")) == (0..<10).flatMap { pattern(4096, seed: UInt64($0)) })
        try h.release(e.node, fh)
    }

    /// A burst of writes to one file stays on the reactor (they would take the file's inode lock in turn: a helper
    /// would only wait for it); a burst to several files wakes helpers. All the bytes land either way.
    @Test func helpersAreWokenOnlyForWritesToOtherFiles() throws {
        let h = try Harness(options: IOEngine.threads.options())
        defer { h.close() }
        let files = try (0..<4).map { i in try h.create(.root, FileName("burst\(i)")) }
        let wakeups = { h.group.reactors[0].run { h.channels[0].value.helperWakeupsForWrites } }
        // Sixteen writes submitted in one reactor pass, to `targets` files in turn; waits for all of them.
        func burst(_ targets: Int, round: Int) throws {
            // The bytes stay put until every write completed.
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 16 * 4096, alignment: 4096)
            defer { buffer.deallocate() }
            for i in 0..<16 {
                buffer[(i * 4096)..<((i + 1) * 4096)].copyBytes(from: pattern(4096, seed: UInt64(round * 16 + i)))
            }
            let completions = Completions(reactor: h.group.reactors[0])
            let channel = h.channels[0]
            let box = Unchecked(value: (files, buffer))
            let refused = h.group.reactors[0].run { () -> Int in
                var refused = 0
                for i in 0..<16 {
                    let (e, fh) = box.value.0[i % targets]
                    var v = iovec(iov_base: box.value.1.baseAddress! + i * 4096, iov_len: 4096)
                    withUnsafePointer(to: &v) { p in
                        do throws(Errno) {
                            try channel.value.submit(
                                .write(node: e.node, handle: fh, offset: UInt64(i / targets * 4096), size: 4096,
                                       buffers: UnsafeBufferPointer(start: p, count: 1)),
                                context: .root, token: UInt64(i), target: completions)
                        } catch { refused += 1 }
                    }
                }
                return refused
            }
            #expect(refused == 0)
            let done = completions.wait(count: 16)
            #expect(done.count == 16)
            #expect(done.allSatisfy { if case .success(.count(4096)) = $0.result { true } else { false } })
        }
        // One file: never a helper, however often the burst comes.
        for round in 0..<5 { try burst(1, round: round) }
        #expect(wakeups() == 0)
        #expect(try readHostFile(h.path("burst0")) == (0..<16).flatMap { pattern(4096, seed: UInt64(4 * 16 + $0)) })
        // Four files: helpers are woken (once they are idle: a few bursts give them the time to get there).
        var round = 5
        while wakeups() == 0 && round < 50 {
            try burst(4, round: round)
            round += 1
        }
        #expect(wakeups() > 0)
        for f in files { try h.release(f.0.node, f.1) }
    }

    /// A request with more iovecs than a job slot holds is still served (by libaio), not refused.
    @Test func aWriteWithMoreVectorsThanASlotHoldsFallsBackToLibaio() throws {
        let h = try Harness(options: IOEngine.threads.options(AIOFSOptions(maxWrite: 1 << 20)))
        defer { h.close() }
        let (e, fh) = try h.create(.root, "many")
        let count = HelperPool.defaultVectorCapacity + 1
        var data = pattern(count * 16, seed: 3)
        let n = try data.withUnsafeMutableBytes { raw -> Int in
            let base = try #require(raw.baseAddress)
            let vectors = (0..<count).map { iovec(iov_base: base + $0 * 16, iov_len: 16) }
            return try vectors.withUnsafeBufferPointer {
                try h.count(h.call(.write(node: e.node, handle: fh, offset: 0, size: UInt32(raw.count), buffers: $0)))
            }
        }
        #expect(n == count * 16)
        #expect(try readHostFile(h.path("many")) == data)
        #expect(h.group.reactors[0].run { h.channels[0].value.pooledWriteCount.total } == 0)
        try h.release(e.node, fh)
    }
}
