import VhostUserTestKit

/// READ and WRITE of one block size on one file: random or sequential offsets, a read percentage (100: reads only,
/// 0: writes only, 70: a 70/30 mix). Write payloads are not filled (whatever the slot holds is written): the
/// benchmark measures the backend, not the client's memset.
struct IOProgram: LaneProgram, Sendable {
    let node: UInt64
    let handle: UInt64
    let blockSize: Int
    let blocks: UInt64
    let readPercent: Int
    let sequential: Bool
    private var random: BenchRandom
    private var cursor: UInt64

    var requestsPerOperation: Int { 1 }

    /// - Parameters:
    ///   - fileSize: bytes of the file; offsets stay below it.
    ///   - seed: per-thread seed (also spreads sequential cursors over the file).
    init(node: UInt64, handle: UInt64, blockSize: Int, fileSize: UInt64, readPercent: Int, sequential: Bool,
         seed: UInt64) {
        self.node = node
        self.handle = handle
        self.blockSize = blockSize
        self.blocks = max(fileSize / UInt64(blockSize), 1)
        self.readPercent = readPercent
        self.sequential = sequential
        self.random = BenchRandom(seed: seed)
        self.cursor = seed % blocks
    }

    mutating func start(lane: Int, queue: FUSEClient.Queue) throws(FUSEClient.Failure) {
        let block: UInt64
        if sequential {
            block = cursor
            cursor = cursor + 1 == blocks ? 0 : cursor + 1
        } else {
            block = random.next() % blocks
        }
        let offset = block * UInt64(blockSize)
        let read = readPercent >= 100 || (readPercent > 0 && Int(random.next() % 100) < readPercent)
        if read {
            try queue.submitRead(node, handle: handle, offset: offset, size: blockSize, tag: UInt64(lane))
        } else {
            try queue.submitWrite(node, handle: handle, offset: offset, count: blockSize, tag: UInt64(lane)) { _ in }
        }
    }

    mutating func complete(_ c: FUSEClient.Completion, lane: Int, queue: FUSEClient.Queue)
        throws(FUSEClient.Failure) -> Bool
    {
        try c.check()
        let moved = c.opcode == FUSEClient.Opcode.read.rawValue ? c.reply.count : try FUSEClient.Queue.decodeWrite(c)
        guard moved == blockSize else {
            throw .badReply(.unexpectedLength(opcode: c.opcode, expected: blockSize, actual: moved))
        }
        return true
    }

    mutating func finish(queue: FUSEClient.Queue) throws(FUSEClient.Failure) {}
}
