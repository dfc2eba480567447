import LinuxSystem

/// Receives completions. The FUSE layer makes its queue poller (or request table) a target and identifies the
/// request by the `token` it passed to `submit`: no closure, and no allocation, per request.
public protocol FSCompletionTarget: AnyObject {
    /// Called exactly once per accepted request, on the channel's reactor, possibly before `submit` returned.
    func fsdevDidComplete(token: UInt64, result: Result<FSReply, Errno>)
}

/// Adapts a closure to `FSCompletionTarget`: one allocation per request, for the control plane and tests. The
/// micro-benchmark measures what it costs against a token.
public final class FSClosureCompletion: FSCompletionTarget {
    private let body: (Result<FSReply, Errno>) -> Void

    /// Wraps `body`.
    public init(_ body: @escaping (Result<FSReply, Errno>) -> Void) {
        self.body = body
    }

    /// Calls the closure with `result` (the token is not needed: the closure is per request).
    public func fsdevDidComplete(token: UInt64, result: Result<FSReply, Errno>) {
        body(result)
    }
}
