import CLinux
import VhostUserTestKit

/// GETATTR of already looked-up nodes, round robin.
struct GetattrProgram: LaneProgram, Sendable {
    let nodes: [UInt64]
    private var next: Int

    var requestsPerOperation: Int { 1 }

    init(nodes: [UInt64], seed: Int) {
        self.nodes = nodes
        self.next = nodes.isEmpty ? 0 : seed % nodes.count
    }

    mutating func start(lane: Int, queue: FUSEClient.Queue) throws(FUSEClient.Failure) {
        guard !nodes.isEmpty else { throw .invalidArgument("no nodes to GETATTR") }
        let node = nodes[next]
        next = next + 1 == nodes.count ? 0 : next + 1
        try queue.submitGetattr(node, tag: UInt64(lane))
    }

    mutating func complete(_ c: FUSEClient.Completion, lane: Int, queue: FUSEClient.Queue)
        throws(FUSEClient.Failure) -> Bool
    {
        _ = try c.exactly(fuse_attr_out.self)
        return true
    }

    mutating func finish(queue: FUSEClient.Queue) throws(FUSEClient.Failure) {}
}
