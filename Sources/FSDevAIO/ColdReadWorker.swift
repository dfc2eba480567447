import Foundation
import Glibc
import LinuxSystem
import Reactor
import Synchronization

/// Reads the page cache could not serve (preadv2 with RWF_NOWAIT answered EAGAIN), done by helper threads so that
/// the reactor never blocks on the disk; each completion is handed back to the channel's reactor (DESIGN.md, "I/O
/// engines": libaio's io_submit on a buffered file does the whole read inside the submit call).
///
/// The jobs' iovecs point into guest memory that the requester keeps mapped until its completion has run.
final class ColdReadWorker: @unchecked Sendable {
    // SAFETY (Sendable): the job queue is behind `state`; a job is taken by exactly one thread; the completion
    // closure runs only on the owning reactor (through `Reactor.send`).

    /// One read to do.
    struct Job: @unchecked Sendable {
        // SAFETY (Sendable): handed from the reactor to exactly one helper thread and back; `deliver` runs only on
        // the reactor, and the memory behind `vectors` stays mapped until it has run.
        /// Keeps the file open until the read is done.
        let descriptor: FileDescriptor
        /// Where the bytes go (guest memory), copied from the channel's per-request scratch vectors.
        let vectors: [iovec]
        /// File offset.
        let offset: Int64
        /// Runs on the reactor with the byte count or the error.
        let deliver: (Result<Int, Errno>) -> Void
    }

    private struct State {
        var jobs: [Job] = []
        var head = 0
        var stopping = false
        var running = 0
    }

    private let state = Mutex(State())
    private let wake: EventFD
    private let reactor: Reactor

    /// Starts `threads` helper threads for `reactor`'s channel.
    init(reactor: Reactor, threads: Int = 2) throws(Errno) {
        self.reactor = reactor
        wake = try EventFD(semaphore: true)
        state.withLock { $0.running = threads }
        for i in 0..<threads {
            let t = Thread { [self] in run() }
            t.name = "cold-read-\(reactor.index)-\(i)"
            t.start()
        }
    }

    /// Queues `job`. Called on the reactor.
    func enqueue(_ job: Job) {
        state.withLock { $0.jobs.append(job) }
        wake.signal()
    }

    /// Lets the threads finish the queued jobs, then end; returns when they have. Their completions may still be
    /// waiting in the reactor's mailbox: they run after this returns.
    ///
    /// Returns anyway after `timeoutNanoseconds`: a read stuck in a hung file system under the share can hold its
    /// thread forever, and must not hold the reactor's shutdown (the daemon's exit) with it. Such a thread ends
    /// when its read returns; its completion is dropped then, because the reactor has stopped. (Channels are only
    /// shut down with reads in flight when their reactor stops: a queue abandoned with stuck reads keeps its
    /// channel until they finish.)
    func stop(timeoutNanoseconds: UInt64 = 2_000_000_000) {
        let threads = state.withLock { s -> Int in
            s.stopping = true
            return s.running
        }
        wake.signal(UInt64(max(threads, 1)))
        let deadline = SystemClock.monotonicNanoseconds() &+ timeoutNanoseconds
        while state.withLock({ $0.running }) > 0 && SystemClock.monotonicNanoseconds() < deadline { usleep(1000) }
    }

    private func take() -> Job? {
        state.withLock { s -> Job? in
            guard s.head < s.jobs.count else {
                s.jobs.removeAll(keepingCapacity: true)
                s.head = 0
                return nil
            }
            defer { s.head += 1 }
            return s.jobs[s.head]
        }
    }

    private func run() {
        while true {
            guard let job = take() else {
                if state.withLock({ $0.stopping }) { break }
                _ = wake.wait()  // `enqueue` and `stop` signal it: an idle helper uses no CPU
                continue
            }
            let result = job.vectors.withUnsafeBufferPointer { v -> Result<Int, Errno> in
                guard let base = v.baseAddress else { return .success(0) }
                // SAFETY: the iovecs describe guest memory the requester keeps mapped until `deliver` has run.
                return Result { () throws(Errno) -> Int in
                    try job.descriptor.use { (fd) throws(Errno) in
                        try FileSystemCall.readVectors(fd, base, count: v.count, offset: job.offset, flags: 0)
                    }
                }
            }
            let completion = Completion(job: job, result: result)
            if !reactor.send({ completion.run() }) {
                // The reactor stopped: nothing can receive the completion any more.
                break
            }
        }
        state.withLock { $0.running -= 1 }
    }

    /// A finished job on its way back to the reactor.
    private struct Completion: Sendable {
        let job: Job
        let result: Result<Int, Errno>
        func run() { job.deliver(result) }
    }
}
