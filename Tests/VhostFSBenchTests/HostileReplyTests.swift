import CLinux
import Glibc
import LinuxSystem
import Testing
import VhostUserTestKit

/// The client against a device that breaks the rules: every malformed reply must come back as a `problem` or a
/// thrown `Failure`, never a trap or a silently trusted value. The device is played in-process by
/// `FUSETestDevice`, so these run without any backend.
@Suite(.timeLimit(.minutes(1)))
struct HostileReplyTests {
    private func makeQueue(timeoutMilliseconds: Int = 1_000) throws -> FUSEClient.Queue {
        let ram = try GuestRAM(size: 1 << 20)
        return try FUSEClient.Queue(testingIndex: 1, ram: ram, queueSize: 16, slotCount: 3,
                                    timeoutMilliseconds: timeoutMilliseconds)
    }

    /// Submits a GETATTR, lets `respond` answer it, and returns the completion's problem, errno and reply size.
    private func exchange(
        _ respond: (inout FUSETestDevice, FUSETestDevice.Chain) -> Void
    ) throws -> (problem: FUSEClient.ReplyProblem?, error: Int32, replyCount: Int, decoded: FUSEClient.Failure?) {
        let q = try makeQueue()
        var device = FUSETestDevice(queue: q)
        try q.submitGetattr(7)
        q.kick()
        let popped = device.pop()
        let chain = try #require(popped)
        #expect(chain.header?.opcode == FUSEClient.Opcode.getattr.rawValue)
        #expect(chain.header?.nodeid == 7)
        respond(&device, chain)
        var result: (FUSEClient.ReplyProblem?, Int32, Int, FUSEClient.Failure?) = (nil, 0, 0, nil)
        #expect(try q.reap(minimum: 1) { c in
            let decoded = Result { () throws(FUSEClient.Failure) in try FUSEClient.Queue.decodeAttributes(c) }
            var failure: FUSEClient.Failure?
            if case .failure(let f) = decoded { failure = f }
            result = (c.problem, c.error, c.reply.count, failure)
        } == 1)
        #expect(q.inFlightCount == 0)
        return result
    }

    private var attrBytes: [UInt8] {
        var attr = fuse_attr_out()
        attr.attr.ino = 99
        attr.attr.mode = UInt32(Glibc.S_IFREG) | 0o644
        return withUnsafeBytes(of: attr) { Array($0) }
    }

    @Test func aWellFormedReplyDecodes() throws {
        let q = try makeQueue()
        var device = FUSETestDevice(queue: q)
        try q.submitGetattr(7)
        q.kick()
        let popped = device.pop()
        let chain = try #require(popped)
        #expect(chain.writableLength == 16 + MemoryLayout<fuse_attr_out>.size)
        device.reply(chain, payload: attrBytes)
        var attributes: FUSEClient.AttributesReply?
        try q.reap { (c) throws(FUSEClient.Failure) in attributes = try FUSEClient.Queue.decodeAttributes(c) }
        #expect(attributes?.attributes.inode == 99)
        #expect(attributes?.attributes.isRegularFile == true)
    }

    @Test func aWrongUniqueIsReported() throws {
        let r = try exchange { d, chain in d.reply(chain, unique: 12345, payload: attrBytes) }
        guard case .uniqueMismatch(_, 12345) = r.problem else {
            Issue.record("problem \(String(describing: r.problem))")
            return
        }
        #expect(r.decoded == .badReply(try #require(r.problem)))
    }

    @Test func aUsedLengthBelowTheHeaderIsReported() throws {
        let r = try exchange { d, chain in d.reply(chain, payload: attrBytes, usedLength: 8) }
        #expect(r.problem == .shorterThanHeader(usedLength: 8))
    }

    @Test func aHeaderLengthAboveTheUsedLengthIsReported() throws {
        let r = try exchange { d, chain in d.reply(chain, declaredLength: 200, payload: attrBytes, usedLength: 120) }
        #expect(r.problem == .lengthMismatch(headerLength: 200, usedLength: 120))
        let r2 = try exchange { d, chain in d.reply(chain, declaredLength: 3, payload: attrBytes) }
        #expect(r2.problem == .lengthMismatch(headerLength: 3, usedLength: 16 + UInt32(attrBytes.count)))
    }

    @Test func errorsOutsideTheErrnoRangeAreReported() throws {
        #expect(try exchange { d, chain in d.reply(chain, error: 5) }.problem == .invalidError(5))
        #expect(try exchange { d, chain in d.reply(chain, error: -5000) }.problem == .invalidError(-5000))
        #expect(try exchange { d, chain in d.reply(chain, error: Int32.min) }.problem == .invalidError(Int32.min))
    }

    @Test func anErrorWithAPayloadIsReported() throws {
        let r = try exchange { d, chain in d.reply(chain, error: -ENOENT, payload: [1, 2, 3, 4]) }
        #expect(r.problem == .errorWithPayload(error: -ENOENT, length: 20))
    }

    @Test func anErrnoReplyIsAnErrnoNotAProblem() throws {
        let r = try exchange { d, chain in d.reply(chain, error: -ENOENT) }
        #expect(r.problem == nil)
        #expect(r.error == ENOENT)
        #expect(r.decoded == .errno(ENOENT))
    }

    @Test func aReplyOfTheWrongSizeIsNotDecoded() throws {
        let short = try exchange { d, chain in d.reply(chain, payload: Array(attrBytes.prefix(50))) }
        #expect(short.problem == nil)
        #expect(short.decoded == .badReply(.unexpectedLength(opcode: FUSEClient.Opcode.getattr.rawValue,
                                                             expected: attrBytes.count, actual: 50)))
        let empty = try exchange { d, chain in d.reply(chain) }
        #expect(empty.decoded == .badReply(.unexpectedLength(opcode: FUSEClient.Opcode.getattr.rawValue,
                                                             expected: attrBytes.count, actual: 0)))
    }

    @Test func aUsedLengthBeyondTheChainIsADriverError() throws {
        let q = try makeQueue()
        var device = FUSETestDevice(queue: q)
        try q.submitGetattr(7)
        q.kick()
        let popped = device.pop()
        let chain = try #require(popped)
        device.reply(chain, payload: attrBytes, usedLength: 100_000)
        #expect(throws: FUSEClient.Failure.self) { try q.reap { _ in } }
    }

    @Test func usedIdsThatAreNotInFlightAreDriverErrors() throws {
        for id: UInt32 in [9, 15, 16, 0xffff_ffff] {
            let q = try makeQueue()
            var device = FUSETestDevice(queue: q)
            try q.submitGetattr(7)
            q.kick()
            let popped = device.pop()
        #expect(popped != nil)
            device.pushUsed(id: id, length: 0)
            #expect(throws: FUSEClient.Failure.self, "id \(id)") { try q.reap { _ in } }
        }
    }

    @Test func aUsedIndexJumpIsADriverError() throws {
        let q = try makeQueue()
        var device = FUSETestDevice(queue: q)
        try q.submitGetattr(7)
        q.kick()
        let popped = device.pop()
        #expect(popped != nil)
        device.setUsedIndex(500)
        #expect(throws: FUSEClient.Failure.driver(.usedIndexOutOfRange(usedIndex: 500, lastUsed: 0))) {
            try q.reap { _ in }
        }
    }

    @Test func aDeviceThatNeverAnswersTimesOut() throws {
        let q = try makeQueue(timeoutMilliseconds: 100)
        try q.submitGetattr(7)
        q.kick()
        #expect(throws: FUSEClient.Failure.timeout(queue: 1, inFlight: 1)) { try q.reap { _ in } }
    }

    @Test func aFullQueueRefusesMoreRequests() throws {
        let q = try makeQueue()
        for _ in 0..<3 { try q.submitGetattr(1) }
        #expect(throws: FUSEClient.Failure.queueFull(queue: 1)) { try q.submitGetattr(1) }
        #expect(throws: FUSEClient.Failure.queueBusy(queue: 1)) { _ = try q.getattr(1) }
    }

    @Test func malformedDirectoryEntriesAreReported() throws {
        func dirent(_ name: [UInt8], declared: UInt32? = nil, pad: Bool = true) -> [UInt8] {
            var bytes: [UInt8] = []
            withUnsafeBytes(of: UInt64(5)) { bytes += $0 }
            withUnsafeBytes(of: UInt64(1)) { bytes += $0 }
            withUnsafeBytes(of: declared ?? UInt32(name.count)) { bytes += $0 }
            withUnsafeBytes(of: UInt32(8)) { bytes += $0 }
            bytes += name
            while pad && bytes.count % 8 != 0 { bytes.append(0) }
            return bytes
        }
        let cases: [(String, [UInt8], Bool)] = [
            ("good", dirent(Array("a".utf8)) + dirent(Array("bcd".utf8)), true),
            ("empty name", dirent([], declared: 0), false),
            ("name past the end", dirent(Array("abc".utf8), declared: 300), false),
            ("slash", dirent(Array("a/b".utf8)), false),
            ("nul", dirent([0x61, 0, 0x62]), false),
            ("trailing bytes", dirent(Array("a".utf8)) + [1, 2, 3], false),
            ("name too long", dirent(Array(repeating: 0x61, count: 2000)), false),
        ]
        for (what, payload, good) in cases {
            let q = try makeQueue()
            var device = FUSETestDevice(queue: q)
            try q.submitReaddir(1, handle: 1, offset: 0, size: 4096)
            q.kick()
            let popped = device.pop()
        let chain = try #require(popped)
            device.reply(chain, payload: payload)
            var outcome: Result<[FUSEClient.DirectoryEntry], FUSEClient.Failure> = .success([])
            try q.reap { c in outcome = Result { () throws(FUSEClient.Failure) in
                try FUSEClient.Queue.decodeDirectory(c, plus: false)
            } }
            switch outcome {
            case .success(let entries):
                #expect(good, "\(what) was accepted")
                if good { #expect(entries.map(\.nameString) == ["a", "bcd"]) }
            case .failure(let failure):
                #expect(!good, "\(what): \(failure)")
            }
        }
    }

    @Test func forgetChainsHaveNoWritablePart() throws {
        let q = try makeQueue()
        var device = FUSETestDevice(queue: q)
        let forget = FUSEClient.Opcode.forget.rawValue
        try q.submit(opcode: forget, nodeID: 5, replyCapacity: 0,
                     expectsReply: false) { (w) throws(FUSEClient.Failure) in
            try w.append(fuse_forget_in(nlookup: 3))
        }
        q.kick()
        let popped = device.pop()
        let chain = try #require(popped)
        #expect(chain.writable.isEmpty)
        #expect(chain.readable.count == 48)
        device.pushUsed(id: UInt32(chain.head), length: 0)
        var problem: FUSEClient.ReplyProblem?
        #expect(try q.reap { c in problem = c.problem } == 1)
        #expect(problem == nil)
    }

    @Test func requestsLargerThanTheirSlotAreRefused() throws {
        let q = try makeQueue()
        #expect(throws: FUSEClient.Failure.self) {
            try q.submitLookup(parent: 1, name: String(repeating: "n", count: 5000))
        }
        #expect(throws: FUSEClient.Failure.self) { try q.submitRead(1, handle: 1, offset: 0, size: 1 << 20) }
        #expect(q.inFlightCount == 0)
    }
}
