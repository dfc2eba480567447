import LinuxSystem
import Reactor

/// A device's per-reactor channel (SPDK's `spdk_io_channel` of an fsdev): all requests of one reactor go through
/// it, and it is used only on that reactor.
///
/// The contract of `submit` (as SPDK states it for every fsdev call): it either throws, and then the completion is
/// never called, or it returns and the completion is called exactly once, on the channel's reactor. Metadata
/// operations complete inline, before `submit` returns; reads and writes complete later, from the channel's
/// poller. Errors of the operation itself (ENOENT, EACCES, a stale id...) arrive through the completion; `submit`
/// throws only when it cannot take the request: EAGAIN when all request slots are in use (an ordinary result:
/// retry after a completion; `freeRequestSlots` tells beforehand), EBADF when the channel has been destroyed.
///
/// Because a completion may run inside `submit`, a completion handler that submits again (a retry, a chained
/// request) must not recurse without bound: queue the follow-up and submit it after `submit` returns.
///
/// Completions are identified by a caller-supplied token and delivered to a target object, not to a closure per
/// request: the FUSE layer passes its request-table index as the token and its queue poller as the target, so the
/// data path allocates nothing (measured by fsdev-microbench: a closure per request costs about 30 ns more per
/// getattr). `submit(_:context:completion:)` wraps a closure for the control plane and tests.
public protocol FSChannel: AnyObject {
    /// The reactor this channel belongs to.
    var reactor: Reactor { get }

    /// Request slots free for asynchronous operations (reads and writes, blocking locks).
    var freeRequestSlots: Int { get }

    /// Submits `operation` for the caller `context`; `target` receives `token` and the result.
    /// Must be called on the channel's reactor.
    func submit<Target: FSCompletionTarget>(
        _ operation: FSOperation, context: RequestContext, token: UInt64, target: Target
    ) throws(Errno)
}

extension FSChannel {
    /// Submits with a closure completion (one allocation; control plane and tests).
    public func submit(
        _ operation: FSOperation, context: RequestContext = .root,
        completion: @escaping (Result<FSReply, Errno>) -> Void
    ) throws(Errno) {
        try submit(operation, context: context, token: 0, target: FSClosureCompletion(completion))
    }
}
