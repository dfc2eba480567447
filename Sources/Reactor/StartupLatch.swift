import Dispatch
import LinuxSystem
import Synchronization

/// A one-shot handoff of a value from one thread to one waiting thread.
final class OneShotLatch<Value: Sendable>: Sendable {
    private let value = Mutex<Value?>(nil)
    private let semaphore = DispatchSemaphore(value: 0)

    /// Stores `v` and wakes the waiter. Call once.
    func signal(_ v: Value) {
        value.withLock { $0 = v }
        semaphore.signal()
    }

    /// Blocks until `signal` and returns its value.
    func wait() -> Value {
        semaphore.wait()
        // The mutex orders the store before this load; signal() ran before the semaphore was signalled.
        guard let v = value.withLock({ $0 }) else { preconditionFailure("OneShotLatch woke without a value") }
        return v
    }
}

/// Reports a reactor thread's start-up outcome (nil: running) to the thread that created it.
final class StartupLatch: Sendable {
    private let latch = OneShotLatch<Errno?>()
    func signal(_ error: Errno?) { latch.signal(error) }
    func wait() -> Errno? { latch.wait() }
}
