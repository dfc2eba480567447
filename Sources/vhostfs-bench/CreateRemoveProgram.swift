import Glibc
import VhostUserTestKit

/// CREATE + RELEASE + UNLINK of a fresh file, or MKDIR + RMDIR of a fresh directory (`directories`), in one
/// directory. The lookup each creation returns is given back with BATCH_FORGET once the name is gone (every 256
/// operations), as a guest's inode eviction would; forgetting earlier would let a backend drop the inode that the
/// UNLINK still needs.
struct CreateRemoveProgram: LaneProgram, @unchecked Sendable {
    let client: FUSEClient
    let parent: UInt64
    let directories: Bool
    let prefix: String
    private var counter = 0
    private var laneName: [String]
    private var laneNode: [UInt64]
    private var laneStep: [UInt8]
    private var pendingForgets: [(node: UInt64, lookups: UInt64)] = []

    var requestsPerOperation: Int { directories ? 2 : 3 }

    init(client: FUSEClient, parent: UInt64, directories: Bool, prefix: String, depth: Int) {
        self.client = client
        self.parent = parent
        self.directories = directories
        self.prefix = prefix
        self.laneName = [String](repeating: "", count: depth)
        self.laneNode = [UInt64](repeating: 0, count: depth)
        self.laneStep = [UInt8](repeating: 0, count: depth)
        pendingForgets.reserveCapacity(512)
    }

    mutating func start(lane: Int, queue: FUSEClient.Queue) throws(FUSEClient.Failure) {
        counter += 1
        let name = prefix + String(counter)
        laneName[lane] = name
        laneStep[lane] = 0
        if directories {
            try queue.submitMkdir(parent: parent, name: name, mode: 0o755, tag: UInt64(lane))
        } else {
            try queue.submitCreate(parent: parent, name: name, flags: O_WRONLY | O_CREAT | O_EXCL,
                                   mode: UInt32(S_IFREG) | 0o644, tag: UInt64(lane))
        }
    }

    mutating func complete(_ c: FUSEClient.Completion, lane: Int, queue: FUSEClient.Queue)
        throws(FUSEClient.Failure) -> Bool
    {
        switch (directories, laneStep[lane]) {
        case (true, 0):
            let entry = try FUSEClient.Queue.decodeEntry(c)
            laneNode[lane] = entry.nodeID
            laneStep[lane] = 2
            try queue.submitUnlink(parent: parent, name: laneName[lane], directory: true, tag: UInt64(lane))
            return false
        case (false, 0):
            let (entry, open) = try FUSEClient.Queue.decodeCreate(c)
            laneNode[lane] = entry.nodeID
            laneStep[lane] = 1
            try queue.submitRelease(entry.nodeID, handle: open.handle, flags: O_WRONLY, tag: UInt64(lane))
            return false
        case (false, 1):
            try FUSEClient.Queue.decodeEmpty(c)
            laneStep[lane] = 2
            try queue.submitUnlink(parent: parent, name: laneName[lane], tag: UInt64(lane))
            return false
        default:
            try FUSEClient.Queue.decodeEmpty(c)
            pendingForgets.append((laneNode[lane], 1))
            laneNode[lane] = 0
            if pendingForgets.count >= 256 {
                try client.batchForget(pendingForgets)
                pendingForgets.removeAll(keepingCapacity: true)
            }
            return true
        }
    }

    mutating func finish(queue: FUSEClient.Queue) throws(FUSEClient.Failure) {
        for node in laneNode where node != 0 { pendingForgets.append((node, 1)) }
        try client.batchForget(pendingForgets)
        pendingForgets.removeAll()
    }
}
