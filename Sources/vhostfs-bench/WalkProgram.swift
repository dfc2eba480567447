import CLinux
import VhostUserTestKit

/// One pass of LOOKUPs over the files of some directories of the tree, each file looked up once (a first lookup:
/// the backend forgets the tree between runs). Lookup counts are returned with BATCH_FORGET at the end.
struct WalkProgram: LaneProgram, @unchecked Sendable {
    let client: FUSEClient
    /// The directories this queue walks, by node, with their file names.
    let directories: [UInt64]
    let fileNames: [String]
    private var nextDirectory = 0
    private var nextFile = 0
    private var looked: [(node: UInt64, lookups: UInt64)] = []

    var requestsPerOperation: Int { 1 }

    /// Files this program looks up in one pass.
    var operations: Int { directories.count * fileNames.count }

    init(client: FUSEClient, directories: [UInt64], fileNames: [String]) {
        self.client = client
        self.directories = directories
        self.fileNames = fileNames
        looked.reserveCapacity(directories.count * fileNames.count)
    }

    mutating func start(lane: Int, queue: FUSEClient.Queue) throws(FUSEClient.Failure) {
        guard nextDirectory < directories.count, !fileNames.isEmpty else {
            throw .invalidArgument("the walk is over (more operations than files)")
        }
        try queue.submitLookup(parent: directories[nextDirectory], name: fileNames[nextFile], tag: UInt64(lane))
        nextFile += 1
        if nextFile == fileNames.count {
            nextFile = 0
            nextDirectory += 1
        }
    }

    mutating func complete(_ c: FUSEClient.Completion, lane: Int, queue: FUSEClient.Queue)
        throws(FUSEClient.Failure) -> Bool
    {
        let entry = try c.exactly(fuse_entry_out.self)
        looked.append((entry.nodeid, 1))
        return true
    }

    mutating func finish(queue: FUSEClient.Queue) throws(FUSEClient.Failure) {
        try client.batchForget(looked)
        looked.removeAll(keepingCapacity: true)
    }
}
