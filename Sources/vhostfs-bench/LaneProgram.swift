import VhostUserTestKit

/// What a workload does on one queue: each of up to queue-depth lanes runs one operation at a time, made of one or
/// more FUSE requests in sequence (LOOKUP then GETATTR...). The runner calls `start` to begin an operation on a lane
/// and `complete` for each of the lane's completions; the completion's tag is the lane.
///
/// Implementations are generic parameters of the runner (no existentials on the hot path) and must not allocate per
/// request where they can avoid it.
protocol LaneProgram {
    /// Requests one operation issues (for the report).
    var requestsPerOperation: Int { get }

    /// Submits the first request of a new operation on `lane` (tag = lane).
    mutating func start(lane: Int, queue: FUSEClient.Queue) throws(FUSEClient.Failure)

    /// Handles a completion of `lane`: submits the operation's next request and returns false, or returns true when
    /// the operation is finished.
    mutating func complete(_ completion: FUSEClient.Completion, lane: Int, queue: FUSEClient.Queue)
        throws(FUSEClient.Failure) -> Bool

    /// Returns what the run borrowed from the backend (lookup counts...), after every lane has stopped.
    mutating func finish(queue: FUSEClient.Queue) throws(FUSEClient.Failure)
}
