import Synchronization

/// Operations finished so far by one worker thread, read by the progress line from another thread.
final class ProgressCounter: Sendable {
    private let value = Atomic<Int>(0)

    /// Adds `n` finished operations.
    func add(_ n: Int) { value.add(n, ordering: .relaxed) }

    /// The count so far.
    var current: Int { value.load(ordering: .relaxed) }
}
