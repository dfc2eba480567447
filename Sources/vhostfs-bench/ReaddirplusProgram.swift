import CLinux
import VhostUserTestKit

/// One full listing of a directory: OPENDIR, READDIRPLUS until an empty reply, RELEASEDIR, then BATCH_FORGET of
/// every entry's lookup. Entries are counted, not decoded into values (no allocation per entry), with the same
/// record checks the kernel makes.
struct ReaddirplusProgram: LaneProgram, @unchecked Sendable {
    let client: FUSEClient
    let directory: UInt64
    let bufferSize: Int
    let expectedEntries: Int
    private var laneHandle: [UInt64]
    private var laneOffset: [UInt64]
    private var laneEntries: [Int]
    private var laneStep: [UInt8]
    private var laneNodes: [[(node: UInt64, lookups: UInt64)]]

    var requestsPerOperation: Int { 2 + (expectedEntries * 160 + bufferSize - 1) / max(bufferSize, 1) + 1 }

    init(client: FUSEClient, directory: UInt64, bufferSize: Int, expectedEntries: Int, depth: Int) {
        self.client = client
        self.directory = directory
        self.bufferSize = bufferSize
        self.expectedEntries = expectedEntries
        laneHandle = [UInt64](repeating: 0, count: depth)
        laneOffset = [UInt64](repeating: 0, count: depth)
        laneEntries = [Int](repeating: 0, count: depth)
        laneStep = [UInt8](repeating: 0, count: depth)
        laneNodes = (0..<depth).map { _ in
            var a: [(node: UInt64, lookups: UInt64)] = []
            a.reserveCapacity(expectedEntries + 16)
            return a
        }
    }

    mutating func start(lane: Int, queue: FUSEClient.Queue) throws(FUSEClient.Failure) {
        laneStep[lane] = 0
        laneOffset[lane] = 0
        laneEntries[lane] = 0
        laneNodes[lane].removeAll(keepingCapacity: true)
        try queue.submitOpendir(directory, tag: UInt64(lane))
    }

    mutating func complete(_ c: FUSEClient.Completion, lane: Int, queue: FUSEClient.Queue)
        throws(FUSEClient.Failure) -> Bool
    {
        switch laneStep[lane] {
        case 0:
            laneHandle[lane] = try FUSEClient.Queue.decodeOpen(c).handle
            laneStep[lane] = 1
            try queue.submitReaddir(directory, handle: laneHandle[lane], offset: 0, size: bufferSize, plus: true,
                                    tag: UInt64(lane))
            return false
        case 1:
            try c.check()
            if c.reply.isEmpty {
                laneStep[lane] = 2
                try queue.submitRelease(directory, handle: laneHandle[lane], directory: true, tag: UInt64(lane))
                return false
            }
            try walk(c, lane: lane)
            try queue.submitReaddir(directory, handle: laneHandle[lane], offset: laneOffset[lane], size: bufferSize,
                                    plus: true, tag: UInt64(lane))
            return false
        default:
            try FUSEClient.Queue.decodeEmpty(c)
            try client.batchForget(laneNodes[lane])
            guard laneEntries[lane] >= expectedEntries else {
                throw .badReply(.malformed(opcode: FUSEClient.Opcode.readdirplus.rawValue,
                                           "listed \(laneEntries[lane]) entries, expected \(expectedEntries)"))
            }
            return true
        }
    }

    private mutating func walk(_ c: FUSEClient.Completion, lane: Int) throws(FUSEClient.Failure) {
        let entrySize = MemoryLayout<fuse_entry_out>.size
        let header = entrySize + 24
        guard let base = c.reply.baseAddress else { return }
        var offset = 0
        while offset < c.reply.count {
            let remaining = c.reply.count - offset
            guard remaining >= header else {
                throw .badReply(.malformed(opcode: c.opcode, "\(remaining) trailing bytes"))
            }
            // SAFETY: `header` bytes remain at base + offset; unaligned loads of trivial values.
            let node = (base + offset).loadUnaligned(as: UInt64.self)
            let next = (base + offset).loadUnaligned(fromByteOffset: entrySize + 8, as: UInt64.self)
            let nameLength = Int((base + offset).loadUnaligned(fromByteOffset: entrySize + 16, as: UInt32.self))
            guard nameLength >= 1, nameLength <= 1024, header + nameLength <= remaining else {
                throw .badReply(.malformed(opcode: c.opcode, "bad name length \(nameLength)"))
            }
            if node != 0 { laneNodes[lane].append((node, 1)) }
            laneEntries[lane] += 1
            laneOffset[lane] = next
            offset += min((header + nameLength + 7) & ~7, remaining)
        }
    }

    mutating func finish(queue: FUSEClient.Queue) throws(FUSEClient.Failure) {}
}
