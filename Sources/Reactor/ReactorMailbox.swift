import LinuxSystem
import Synchronization

/// The multi-producer, single-consumer message queue of a reactor: a mutex-protected array swapped out whole by the
/// consumer (lock-light: one uncontended lock per batch), a pending counter the loop reads without locking, and an
/// eventfd that wakes the reactor when it sleeps.
///
/// Messages are the control plane (start or stop a queue, swap a memory map, run a closure and wait): requests
/// never leave their reactor, so one lock per message is not on the data path.
final class ReactorMailbox: Sendable {
    typealias Message = @Sendable () -> Void

    private struct State: ~Copyable {
        var queue: [Message] = []
        var closed = false
    }

    private let state = Mutex(State())
    /// Messages queued and not yet taken. Read by the loop every pass (a plain load).
    let pendingCount = Atomic<Int>(0)
    /// Signalled when a message is queued for a sleeping reactor.
    let eventFD: EventFD

    init() throws(Errno) {
        eventFD = try EventFD()
    }

    /// Whether messages are waiting (relaxed: the loop re-checks with the sleep handshake before blocking).
    var hasPending: Bool { pendingCount.load(ordering: .relaxed) > 0 }

    /// Queues `message`. Returns false if the reactor has stopped accepting messages.
    func push(_ message: @escaping Message) -> Bool {
        state.withLock { s in
            if s.closed { return false }
            s.queue.append(message)
            // Counted under the lock, so that a consumer taking the batch never sees the count go negative.
            pendingCount.wrappingAdd(1, ordering: .sequentiallyConsistent)
            return true
        }
    }

    /// Moves every queued message into `batch` (which must be empty), keeping both arrays' storage.
    func takeAll(into batch: inout [Message]) {
        state.withLock { s in
            swap(&s.queue, &batch)
            if !batch.isEmpty { pendingCount.wrappingSubtract(batch.count, ordering: .relaxed) }
        }
    }

    /// Stops accepting messages.
    func close() {
        state.withLock { $0.closed = true }
    }
}
