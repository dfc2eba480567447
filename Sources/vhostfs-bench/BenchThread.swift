import Glibc

/// Runs a closure on its own pthread and hands back its result at `join()`.
final class BenchThread<Result: Sendable>: @unchecked Sendable {
    private var thread = pthread_t()
    private var started = false
    private let slot = ResultSlot()

    private final class ResultSlot: @unchecked Sendable {
        var value: Result?
    }

    /// Starts `body` on a new thread (or runs it here if no thread can be made).
    init(_ body: @escaping @Sendable () -> Result) {
        let slot = self.slot
        let work = ThreadWork { slot.value = body() }
        started = work.start(&thread)
        if !started { work.run() }
    }

    /// Waits for the thread and returns what the closure returned.
    func join() -> Result? {
        if started { pthread_join(thread, nil) }
        return slot.value
    }
}

/// A closure handed to a new pthread (non-generic, so the entry point can be a plain C function).
private final class ThreadWork: @unchecked Sendable {
    let run: () -> Void

    init(_ run: @escaping () -> Void) { self.run = run }

    /// Starts a pthread running `run`; false if it could not be created.
    func start(_ thread: inout pthread_t) -> Bool {
        // SAFETY: the retain is handed to the new thread, which takes it back in threadWorkEntry; if no thread
        // starts, it is released here.
        let context = Unmanaged.passRetained(self).toOpaque()
        let r = pthread_create(&thread, nil, threadWorkEntry, context)
        if r != 0 { Unmanaged<ThreadWork>.fromOpaque(context).release() }
        return r == 0
    }
}

private func threadWorkEntry(_ context: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    guard let context else { return nil }
    // SAFETY: `context` is the ThreadWork retained by `start`; this takes that retain back exactly once.
    Unmanaged<ThreadWork>.fromOpaque(context).takeRetainedValue().run()
    return nil
}
