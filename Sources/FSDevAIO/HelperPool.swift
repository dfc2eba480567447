import DequeModule
import FSDev
import Foundation
import Glibc
import LinuxSystem
import Reactor
import Synchronization

/// A channel's helper threads for file I/O that would block the reactor or keep it to one core:
///
/// - reads the page cache could not serve (preadv2 with RWF_NOWAIT answered EAGAIN): always a helper, so that the
///   reactor never waits for the disk (libaio's io_submit on a buffered file does the whole read inside the call);
/// - buffered writes (pwritev): the kernel copies into the page cache on the calling thread, about 3-5 us of CPU
///   per 4 KiB here, so one reactor writing alone has one core. A write is queued, and at the end of the pass the
///   reactor wakes helpers only when the waiting writes go to more than one file (one helper per other file); it
///   runs writes itself too. One write at a time
///   (queue depth 1) is therefore done on the reactor, with no thread hand-off, and a burst is spread over the
///   helpers and the reactor.
///
/// Jobs live in fixed slots with their own iovec arrays (no allocation per request); queues of slot indexes are
/// behind one mutex. Completions come back through the `done` list, reaped by the channel's poller; a helper
/// signals `doneEvent` only when the reactor said it is about to sleep.
///
/// Threading: `enqueue`, `poll`, `prepareToSleep`, `drain` and `stop` run on the channel's reactor; helpers touch
/// a slot only between taking its index from a queue and putting it on `done` (the mutex orders both hand-offs).
final class HelperPool: @unchecked Sendable {
    // SAFETY (Sendable): `shared` is behind a mutex; a slot is owned by exactly one thread at a time, handed over
    // under that mutex; the reactor-confined fields (free list, counters) are touched only on the reactor.

    /// What a job does.
    enum Kind: Sendable {
        case read
        case write
    }

    /// One request in a slot: what the thread that runs it reads, and the result it writes.
    struct Job {
        var kind: Kind = .read
        /// Keeps the file open until the job is done.
        var descriptor: FileDescriptor?
        var vectorCount = 0
        var offset: Int64 = 0
        /// Bytes transferred, or -errno.
        var result = 0
    }

    /// Who waits for a slot's job: touched only on the reactor, never by a helper.
    private struct Owner {
        var token: UInt64 = 0
        var target: (any FSCompletionTarget)?
    }

    private struct Shared {
        /// Slot indexes of queued jobs, oldest first (a ring buffer: no allocation once grown to the depth).
        var reads = Deque<Int>()
        var writes = Deque<Int>()
        var done: [Int] = []
        var idleHelpers = 0
        var reactorSleeping = false
        var stopping = false
    }

    /// Most iovecs per job; a request with more is not taken (`enqueue` returns false).
    let vectorCapacity: Int
    /// 1 MiB (the daemon's default max_write) in 4 KiB guest pages, plus unaligned ends.
    static let defaultVectorCapacity = 260
    /// Helper threads.
    let helperCount: Int
    /// Signalled by a helper when it finishes a job while the reactor sleeps; the reactor wakes on it.
    let doneEvent: EventFD

    private let shared = Mutex(Shared())
    /// Wakes idle helpers (semaphore: one read per wake-up).
    private let wake: EventFD
    /// Each helper writes it once when it exits.
    private let exited: EventFD
    private let jobs: UnsafeMutablePointer<Job>
    private let vectors: UnsafeMutablePointer<iovec>
    private let depth: Int
    // Confined to the reactor. Exclusivity: read before every chain is popped (`inFlight`, through the channel's
    // free slots) and on every poll; unchecked as the other per-reactor request tables (AIOManager's).
    @exclusivity(unchecked) private var owners: [Owner]
    @exclusivity(unchecked) private var freeSlots: [Int]
    /// Finished jobs swapped out of `Shared.done`.
    @exclusivity(unchecked) private var incoming: [Int] = []
    /// Finished jobs to complete, oldest first.
    @exclusivity(unchecked) private var ready = Deque<Int>()
    private var started = 0
    private var isStopped = false
    /// Jobs queued and not yet completed.
    @exclusivity(unchecked) private(set) var inFlight = 0
    /// Jobs by kind since the start (diagnostics and tests).
    private(set) var readJobs: UInt64 = 0
    private(set) var writeJobs: UInt64 = 0
    /// Writes the reactor ran itself, and writes a helper ran.
    private(set) var writesOnReactor: UInt64 = 0
    /// Helpers woken for queued writes (diagnostics and tests).
    private(set) var writeWakeups: UInt64 = 0
    /// The distinct files of the queued writes, while `poll` counts them (reactor only; no allocation per pass).
    private var fileScratch: [CInt] = []

    /// Starts `helpers` threads named `io-helper-<reactor>-<i>` with `depth` job slots of `vectorCapacity` iovecs.
    init(reactorIndex: Int, depth: Int, vectorCapacity: Int, helpers: Int) throws(Errno) {
        precondition(depth > 0 && vectorCapacity > 0 && helpers > 0)
        self.depth = depth
        self.vectorCapacity = vectorCapacity
        helperCount = helpers
        doneEvent = try EventFD()
        wake = try EventFD(semaphore: true)
        exited = try EventFD(semaphore: true)
        // SAFETY: both are deinitialized and freed in deinit, after every helper has exited (stop()).
        jobs = .allocate(capacity: depth)
        jobs.initialize(repeating: Job(), count: depth)
        vectors = .allocate(capacity: depth * vectorCapacity)
        vectors.initialize(repeating: iovec(), count: depth * vectorCapacity)
        freeSlots = Array((0..<depth).reversed())
        fileScratch.reserveCapacity(depth + 1)
        owners = Array(repeating: Owner(), count: depth)
        incoming.reserveCapacity(depth)
        ready.reserveCapacity(depth)
        shared.withLock { s in
            s.reads.reserveCapacity(depth)
            s.writes.reserveCapacity(depth)
            s.done.reserveCapacity(depth)
        }
        for i in 0..<helpers {
            // Named from inside: Foundation's Thread.name does not reach the kernel's comm on Linux.
            let name = "io-helper-\(reactorIndex)-\(i)"
            let t = Thread { [self] in
                CPUAffinity.nameCurrentThread(name)
                helperMain()
            }
            t.start()
            started += 1
        }
    }

    deinit {
        jobs.deinitialize(count: depth)
        jobs.deallocate()
        vectors.deallocate()
    }

    /// Whether the job of `token` is in flight (it cannot be cancelled: it completes normally).
    func contains(token: UInt64) -> Bool {
        owners.contains { $0.target != nil && $0.token == token }
    }

    /// Free job slots.
    var freeSlotCount: Int { freeSlots.count }

    /// Queues a read or write of `count` vectors at `offset`; false (nothing queued) when no slot is free or the
    /// request has more than `vectorCapacity` vectors. A read wakes a helper at once; writes wait for `poll`.
    func enqueue<Target: FSCompletionTarget>(
        _ kind: Kind, descriptor: FileDescriptor, vectors source: UnsafePointer<iovec>, count: Int, offset: Int64,
        token: UInt64, target: Target
    ) -> Bool {
        guard count <= vectorCapacity, let slot = freeSlots.popLast() else { return false }
        (vectors + slot * vectorCapacity).update(from: source, count: count)
        jobs[slot] = Job(kind: kind, descriptor: descriptor, vectorCount: count, offset: offset, result: 0)
        owners[slot] = Owner(token: token, target: target)
        inFlight += 1
        switch kind {
        case .read:
            readJobs &+= 1
            let wakeOne = shared.withLock { s -> Bool in
                s.reads.append(slot)
                guard s.idleHelpers > 0 else { return false }
                s.idleHelpers -= 1
                return true
            }
            if wakeOne { wake.signal() }
        case .write:
            writeJobs &+= 1
            shared.withLock { $0.writes.append(slot) }
        }
        return true
    }

    /// The channel poller's part: wakes helpers for queued writes to more than one file, runs queued writes
    /// on the reactor, and completes finished jobs. Returns how many jobs completed.
    ///
    /// Re-entrant: a completion may destroy the channel, which drains the pool from inside this call; finished
    /// jobs are taken one at a time from `ready`, each removed before its completion runs, so none is lost or
    /// completed twice.
    func poll() -> Int {
        guard inFlight > 0 else { return 0 }
        let wakeups = shared.withLock { s -> Int in
            s.reactorSleeping = false
            swap(&s.done, &incoming)
            let free = min(s.writes.count - 1, s.idleHelpers)
            guard free > 0 else { return 0 }
            let n = min(otherFiles(in: s.writes, upTo: free), free)
            guard n > 0 else { return 0 }
            s.idleHelpers -= n
            return n
        }
        if wakeups > 0 {
            writeWakeups &+= UInt64(wakeups)
            wake.signal(UInt64(wakeups))
        }
        ready.append(contentsOf: incoming)
        incoming.removeAll(keepingCapacity: true)
        var completed = 0
        while let slot = shared.withLock({ $0.writes.popFirst() }) {
            Self.run(jobs + slot, vectors: vectors + slot * vectorCapacity)
            writesOnReactor &+= 1
            ready.append(slot)
        }
        while let slot = ready.popFirst() {
            complete(slot)
            completed += 1
        }
        return completed
    }

    /// How many files the queued writes go to besides the first, counting up to `limit`. Buffered writes to one
    /// file take its inode lock (i_rwsem) in turn, so a helper woken for another write to the same file only waits
    /// for the lock and takes a CPU from the guest: measured at QD32 on one file, the reactor alone did 1.02-1.52x
    /// the writes of the reactor and helpers together (BENCHMARKS.md, "Writes to one file"). Files are told apart
    /// by descriptor (two handles of one file count twice).
    private func otherFiles(in writes: Deque<Int>, upTo limit: Int) -> Int {
        fileScratch.removeAll(keepingCapacity: true)
        for slot in writes {
            guard let fd = jobs[slot].descriptor?.rawValue, !fileScratch.contains(fd) else { continue }
            fileScratch.append(fd)
            if fileScratch.count > limit { break }
        }
        return max(fileScratch.count - 1, 0)
    }

    /// Before the reactor sleeps: false (stay awake) when jobs are done or writes wait for the reactor; otherwise
    /// helpers will signal `doneEvent` on their next completion.
    func prepareToSleep() -> Bool {
        guard inFlight > 0 else { return true }
        return shared.withLock { s -> Bool in
            guard s.done.isEmpty && s.writes.count == 0 else { return false }
            s.reactorSleeping = true
            return true
        }
    }

    /// Completes the jobs in flight (channel shutdown), waiting at most `timeoutNanoseconds` for them.
    ///
    /// A read or write stuck in a hung file system under the share can hold its helper forever, and must not hold
    /// the reactor's shutdown (the daemon's exit) with it: after the timeout such jobs are left to their helpers.
    /// Their completions never run, so their owners (the FUSE request slots, which keep the guest memory the jobs
    /// point into mapped) stay referenced by the pool, which the helpers keep alive until they end.
    func drain(timeoutNanoseconds: UInt64 = 2_000_000_000) {
        let deadline = SystemClock.monotonicNanoseconds() &+ timeoutNanoseconds
        while inFlight > 0 {
            if poll() > 0 { continue }
            let now = SystemClock.monotonicNanoseconds()
            guard now < deadline else { return }
            if prepareToSleep() {
                _ = doneEvent.wait(timeoutMilliseconds: Int32(clamping: (deadline - now + 999_999) / 1_000_000))
            }
        }
    }

    /// Stops the helpers after the queued jobs; returns when every one has exited, or after `timeoutNanoseconds`
    /// (a helper stuck in a hung file system ends when its call returns). Call after `drain`.
    func stop(timeoutNanoseconds: UInt64 = 2_000_000_000) {
        guard !isStopped else { return }
        isStopped = true
        let idle = shared.withLock { s -> Int in
            s.stopping = true
            defer { s.idleHelpers = 0 }
            return s.idleHelpers
        }
        if idle > 0 { wake.signal(UInt64(idle)) }
        let deadline = SystemClock.monotonicNanoseconds() &+ timeoutNanoseconds
        var exitedCount = 0
        while exitedCount < started {
            let now = SystemClock.monotonicNanoseconds()
            guard now < deadline else { return }
            let milliseconds = Int32(clamping: (deadline - now + 999_999) / 1_000_000)
            exitedCount += Int(exited.wait(timeoutMilliseconds: milliseconds))
        }
    }

    private func complete(_ slot: Int) {
        let bytes = jobs[slot].result
        let owner = owners[slot]
        jobs[slot] = Job()
        owners[slot] = Owner()
        freeSlots.append(slot)
        inFlight -= 1
        let result: Result<FSReply, Errno> =
            bytes >= 0 ? .success(.count(bytes)) : .failure(Errno(rawValue: CInt(clamping: -bytes)))
        owner.target?.fsdevDidComplete(token: owner.token, result: result)
    }

    /// Does the I/O of one job (on a helper, or a write on the reactor).
    private static func run(_ job: UnsafeMutablePointer<Job>, vectors: UnsafeMutablePointer<iovec>) {
        guard let descriptor = job.pointee.descriptor else {
            job.pointee.result = -Int(EBADF)
            return
        }
        let count = job.pointee.vectorCount
        let offset = job.pointee.offset
        let outcome = Result { () throws(Errno) -> Int in
            try descriptor.use { (fd) throws(Errno) -> Int in
                switch job.pointee.kind {
                case .read: try FileSystemCall.readVectors(fd, vectors, count: count, offset: offset, flags: 0)
                case .write: try FileSystemCall.writeVectors(fd, vectors, count: count, offset: offset, flags: 0)
                }
            }
        }
        switch outcome {
        case .success(let n): job.pointee.result = n
        case .failure(let e): job.pointee.result = -Int(e.rawValue)
        }
    }

    private func helperMain() {
        while true {
            let next = shared.withLock { s -> Int?? in
                if let slot = s.reads.popFirst() ?? s.writes.popFirst() { return .some(slot) }
                if s.stopping { return .some(nil) }
                s.idleHelpers += 1
                return nil
            }
            guard let next else {
                _ = wake.wait()  // `enqueue`, `poll` and `stop` signal it: an idle helper uses no CPU
                continue
            }
            guard let slot = next else { break }
            Self.run(jobs + slot, vectors: vectors + slot * vectorCapacity)
            let signal = shared.withLock { s -> Bool in
                s.done.append(slot)
                defer { s.reactorSleeping = false }
                return s.reactorSleeping
            }
            if signal { doneEvent.signal() }
        }
        exited.signal()
    }
}
