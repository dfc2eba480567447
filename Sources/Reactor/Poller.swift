/// What a poller says when its reactor is about to block.
public enum SleepPermission: Sendable, Equatable {
    /// Work is pending (or notifications could not be re-armed): keep polling.
    case stayAwake
    /// Blocking is fine: a registered wake descriptor will signal new work.
    case sleep
    /// Blocking is fine but wake up after at most this many nanoseconds (for work that must be retried, such as a
    /// blocking lock request, and has no descriptor to wake on).
    case sleepAtMost(nanoseconds: UInt64)
}

/// A unit of work a reactor calls on every pass of its loop (SPDK's poller).
///
/// Pollers run on the reactor's thread only. `poll()` must do a bounded amount of work and never block.
public protocol Poller: AnyObject {
    /// Does a bounded amount of work and says whether there was any.
    func poll() -> PollResult

    /// Called when the reactor has found no work and is about to block in epoll (interrupt and adaptive modes).
    /// A virtqueue poller re-enables guest notifications here and re-checks its ring (virtio 1.2 §2.7.10), so that
    /// a request that arrived while notifications were off is not left waiting. Default: `.sleep`.
    func prepareToSleep() -> SleepPermission
}

extension Poller {
    /// Pollers whose work always arrives with a wake descriptor need no preparation.
    public func prepareToSleep() -> SleepPermission { .sleep }
}

/// A poller made of closures, for code that does not want a type of its own.
public final class ClosurePoller: Poller {
    private let body: () -> PollResult
    private let beforeSleep: () -> SleepPermission

    /// Wraps `body` (and optionally a sleep hook).
    public init(_ body: @escaping () -> PollResult, prepareToSleep: @escaping () -> SleepPermission = { .sleep }) {
        self.body = body
        self.beforeSleep = prepareToSleep
    }

    /// Runs the body closure.
    public func poll() -> PollResult { body() }
    /// Runs the sleep hook closure.
    public func prepareToSleep() -> SleepPermission { beforeSleep() }
}
