import CLinux
import VhostUserTestKit

/// LOOKUP of an existing name, then GETATTR of the node it returns (what `stat` does with a cold dentry cache).
/// Lookup counts are returned with BATCH_FORGET at the end.
struct LookupGetattrProgram: LaneProgram, @unchecked Sendable {
    let client: FUSEClient
    let parent: UInt64
    let names: [String]
    private var next: Int
    private var laneFile: [Int]
    private var laneLooked: [Bool]
    private var nodeOfFile: [UInt64]
    private var lookupsOfFile: [UInt64]

    var requestsPerOperation: Int { 2 }

    init(client: FUSEClient, parent: UInt64, names: [String], depth: Int, seed: Int) {
        self.client = client
        self.parent = parent
        self.names = names
        self.next = names.isEmpty ? 0 : seed % names.count
        self.laneFile = [Int](repeating: 0, count: depth)
        self.laneLooked = [Bool](repeating: false, count: depth)
        self.nodeOfFile = [UInt64](repeating: 0, count: names.count)
        self.lookupsOfFile = [UInt64](repeating: 0, count: names.count)
    }

    mutating func start(lane: Int, queue: FUSEClient.Queue) throws(FUSEClient.Failure) {
        guard !names.isEmpty else { throw .invalidArgument("no names to LOOKUP") }
        let file = next
        next = next + 1 == names.count ? 0 : next + 1
        laneFile[lane] = file
        laneLooked[lane] = false
        try queue.submitLookup(parent: parent, name: names[file], tag: UInt64(lane))
    }

    mutating func complete(_ c: FUSEClient.Completion, lane: Int, queue: FUSEClient.Queue)
        throws(FUSEClient.Failure) -> Bool
    {
        if laneLooked[lane] {
            _ = try c.exactly(fuse_attr_out.self)
            return true
        }
        let entry = try c.exactly(fuse_entry_out.self)
        let file = laneFile[lane]
        nodeOfFile[file] = entry.nodeid
        lookupsOfFile[file] += 1
        laneLooked[lane] = true
        try queue.submitGetattr(entry.nodeid, tag: UInt64(lane))
        return false
    }

    mutating func finish(queue: FUSEClient.Queue) throws(FUSEClient.Failure) {
        var forgets: [(node: UInt64, lookups: UInt64)] = []
        for (node, lookups) in zip(nodeOfFile, lookupsOfFile) where lookups > 0 && node != 0 {
            forgets.append((node, lookups))
        }
        try client.batchForget(forgets)
    }
}
