/// Receives finished requests: the virtqueue poller that owns the chains pushes them to the used ring.
public protocol FUSERequestSink: AnyObject {
    /// The reply for the chain with head `head` is complete; `usedLength` bytes were written into it (0 when no
    /// reply fitted or none is due, as for FORGET).
    func fuseRequestFinished(head: UInt16, usedLength: UInt32)
}
