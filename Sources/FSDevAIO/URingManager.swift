import FSDev
import Glibc
import LinuxSystem
import Reactor
import Synchronization

/// The io_uring state of one channel (`AIOFSOptions.Engine.ioUring`): a ring, request slots in the reactor's NUMA
/// memory, and completions read from the completion ring in user space by the channel's poller. Every request
/// runs on the kernel's worker threads (IOSQE_ASYNC), so that none blocks the reactor.
///
/// Used only on the owning reactor. A slot is taken at submission and given back right before its completion
/// runs, so the completion may submit again; completions are taken one at a time from the ring (its head moved
/// first), so a completion that destroys the channel (which drains) loses none.
final class URingManager {
    /// Per-request state, indexed by slot; the ring's user data carries slot + 1.
    struct Slot {
        var token: UInt64 = 0
        var target: (any FSCompletionTarget)?
        /// Keeps the file open until the completion.
        var descriptor: FileDescriptor?
        var inFlight = false
    }

    let ring: URing
    /// Signalled by the kernel on each completion; the reactor sleeps on it.
    let eventFD: EventFD
    let depth: Int
    private let slots: NodeLocalBuffer<Slot>
    // Exclusivity: confined to the channel's reactor, read before every chain is popped (as AIOManager's).
    @exclusivity(unchecked) private var freeSlots: [Int]
    /// Entries queued in the submission ring that the kernel has not taken yet (a submit that failed).
    @exclusivity(unchecked) private var unsubmitted = false
    /// Requests submitted and not yet completed.
    @exclusivity(unchecked) private(set) var inFlight = 0

    /// The user data of cancellation requests, whose own completions are ignored.
    private static let cancelUserData = UInt64.max

    init(depth: Int, reactor: Reactor) throws(Errno) {
        ring = try URing(entries: depth)
        eventFD = try EventFD()
        try ring.register(eventFD)
        self.depth = depth
        slots = try reactor.allocateNodeLocal(count: depth) { _ in Slot() }
        freeSlots = Array((0..<depth).reversed())
    }

    /// Free request slots.
    var freeSlotCount: Int { freeSlots.count }

    /// Whether completions are ready to be reaped without waiting, or queued entries wait for the kernel.
    var hasReadyCompletions: Bool { unsubmitted || (inFlight > 0 && ring.readyCount > 0) }

    /// Submits a read or write of `count` iovecs at `offset`. The iovec array is needed only until this returns
    /// (the kernel copies it during submission).
    /// - Throws: EAGAIN when no slot or submission entry is free: the request was not taken and its completion
    ///   will not run.
    func submit<Target: FSCompletionTarget>(
        write: Bool, descriptor: FileDescriptor, vectors: UnsafePointer<iovec>, count: Int, offset: Int64,
        token: UInt64, target: Target
    ) throws(Errno) {
        guard let slot = freeSlots.popLast() else { throw .wouldBlock }
        // The slot keeps the descriptor open until the completion; the kernel takes its own file reference.
        // IOSQE_ASYNC: straight to the kernel's workers. Without it io_uring first tries the request on the
        // submitting thread with IOCB_NOWAIT, which not every file system honours: a file on a hung FUSE mount
        // under the share blocked the reactor inside io_uring_enter (RingStopTests). Reads only come here after
        // RWF_NOWAIT said the page cache cannot serve them, and ext4 refuses NOWAIT buffered writes anyway.
        let prepared = ring.prepareVectored(write: write, descriptor: descriptor.rawValue, vectors: vectors,
                                            count: count, offset: offset, userData: UInt64(slot) + 1, async: true)
        guard prepared else {
            freeSlots.append(slot)
            throw .wouldBlock
        }
        slots.base[slot] = Slot(token: token, target: target, descriptor: descriptor, inFlight: true)
        inFlight += 1
        flush()
    }

    /// Hands queued entries to the kernel. A failure of io_uring_enter itself (EAGAIN, EBUSY: the kernel is short
    /// of resources) leaves them queued; the next poll tries again. Errors of a request arrive in its completion.
    private func flush() {
        do throws(Errno) {
            _ = try ring.submit()
            unsubmitted = false
        } catch {
            unsubmitted = true
        }
    }

    /// Reaps and completes what is ready (the channel's poller). Returns how many completed.
    func reap() -> Int {
        if unsubmitted { flush() }
        guard inFlight > 0 else { return 0 }
        var done = 0
        while let c = ring.nextCompletion() {
            guard c.userData != Self.cancelUserData else { continue }
            let slot = Int(truncatingIfNeeded: c.userData &- 1)
            guard slot >= 0, slot < depth, slots.base[slot].inFlight else { continue }
            let token = slots.base[slot].token
            let target = slots.base[slot].target
            slots.base[slot] = Slot()
            freeSlots.append(slot)
            inFlight -= 1
            let result: Result<FSReply, Errno> =
                c.result >= 0 ? .success(.count(Int(c.result))) : .failure(Errno(rawValue: 0 &- c.result))
            target?.fsdevDidComplete(token: token, result: result)
            done += 1
        }
        return done
    }

    /// Best-effort abort of the in-flight request `token` (IORING_OP_ASYNC_CANCEL); its completion arrives as
    /// usual, with ECANCELED if the kernel cancelled it. Returns whether such a request was in flight.
    func abort(token: UInt64) -> Bool {
        for slot in 0..<depth where slots.base[slot].inFlight && slots.base[slot].token == token {
            if ring.prepareCancel(target: UInt64(slot) + 1, userData: Self.cancelUserData) { flush() }
            return true
        }
        return false
    }

    /// Waits for and completes the in-flight requests (channel shutdown), for at most `timeoutNanoseconds`: a
    /// request stuck in a hung file system under the share must not hold the daemon's exit. What is still in
    /// flight then is abandoned: the manager is kept alive for good (`abandoned`), so that the ring stays open and
    /// the slots keep their owners, which keep the guest memory the kernel may still write mapped.
    func drain(timeoutNanoseconds: UInt64 = 2_000_000_000) {
        let deadline = SystemClock.monotonicNanoseconds() &+ timeoutNanoseconds
        while inFlight > 0 {
            if reap() > 0 { continue }
            let now = SystemClock.monotonicNanoseconds()
            guard now < deadline else {
                Self.abandoned.withLock { $0.append(Abandoned(manager: self)) }
                return
            }
            _ = ring.waitForCompletion(nanoseconds: Int(min(deadline - now, 100_000_000)))
        }
    }

    /// Managers whose shutdown left requests in the kernel (see `drain`).
    private static let abandoned = Mutex<[Abandoned]>([])

    /// A manager kept alive after its channel is gone; never touched again.
    private struct Abandoned: @unchecked Sendable {
        // SAFETY (Sendable): only stored, never used, from any thread.
        let manager: URingManager
    }
}
