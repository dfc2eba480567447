import CAIO
import CLinux
import DequeModule
import FSDev
import Glibc
import LinuxSystem
import Reactor

/// The libaio state of one channel (SPDK's aio_mgr): an AIO context, request slots and iocbs in the reactor's NUMA
/// memory, and completion reaping from the kernel's completion ring in user space (no system call when nothing
/// completed, as SPDK's bdev_aio does), falling back to io_getevents if the ring layout is not the known one.
///
/// Used only on the owning reactor. A slot is taken at submission and given back right before its completion
/// runs, so the completion may submit again.
final class AIOManager {
    /// Per-request state, indexed by slot; `iocb.data` carries slot + 1.
    struct Slot {
        var token: UInt64 = 0
        var target: (any FSCompletionTarget)?
        var inFlight = false
        var abortRequested = false
        /// Result of a skip_rw request.
        var skippedLength = 0
    }

    let context: AIOContext
    /// Signalled by the kernel on each completion (IOCB_FLAG_RESFD); the reactor sleeps on it.
    let eventFD: EventFD
    let depth: Int
    private let slots: NodeLocalBuffer<Slot>
    private let iocbs: NodeLocalBuffer<iocb>
    private let iocbPointers: NodeLocalBuffer<UnsafeMutablePointer<iocb>?>
    private let events: NodeLocalBuffer<io_event>
    /// The trimmed iovec list of the request being submitted; the kernel copies it during io_submit.
    let scratchVectors: NodeLocalBuffer<iovec>
    // Exclusivity: `freeSlotCount` is read before every chain is popped; the dynamic check cost about 80
    // instructions per request (callgrind). The manager is confined to its channel's reactor.
    @exclusivity(unchecked) private var freeSlots: [Int]
    /// Requests completed without I/O (skip_rw), completed by the next reap in order.
    @exclusivity(unchecked) private var skipped: Deque<Int>
    /// Requests submitted and not yet completed. (Read on every reap and sleep; unchecked as `freeSlots`.)
    @exclusivity(unchecked) private(set) var inFlight = 0
    /// The kernel's completion ring (struct aio_ring) when its header is the known version.
    private let ring: UnsafeMutableRawPointer?

    /// Largest iovec count per request (IOV_MAX).
    static let maximumVectors = 1024
    private static let ringMagic: UInt32 = 0xa10a_10a1

    init(depth: Int, reactor: Reactor) throws(Errno) {
        context = try AIOContext(depth: depth)
        eventFD = try EventFD()
        self.depth = depth
        slots = try reactor.allocateNodeLocal(count: depth) { _ in Slot() }
        iocbs = try reactor.allocateNodeLocal(count: depth) { _ in iocb() }
        let base = iocbs.base
        iocbPointers = try reactor.allocateNodeLocal(count: depth) { base + $0 }
        events = try reactor.allocateNodeLocal(count: depth) { _ in io_event() }
        scratchVectors = try reactor.allocateNodeLocal(count: Self.maximumVectors) { _ in iovec() }
        freeSlots = Array((0..<depth).reversed())
        skipped = Deque(minimumCapacity: depth)
        // SAFETY: io_context_t is the address of the kernel-mapped aio_ring (read-only to us except `head`). Its
        // header is checked before any use: magic, no incompatible features, 32-byte header, nr >= depth.
        let r = UnsafeMutableRawPointer(context.handle)
        if r.load(fromByteOffset: 16, as: UInt32.self) == Self.ringMagic,
           r.load(fromByteOffset: 24, as: UInt32.self) == 0,
           r.load(fromByteOffset: 28, as: UInt32.self) == 32,
           r.load(fromByteOffset: 4, as: UInt32.self) > 0 {
            ring = r
        } else {
            ring = nil
        }
    }

    /// Free request slots.
    var freeSlotCount: Int { freeSlots.count }

    /// Whether completions are ready to be reaped without waiting.
    var hasReadyCompletions: Bool {
        if !skipped.isEmpty { return true }
        guard inFlight > 0, let ring else { return false }
        return ring.load(fromByteOffset: 8, as: UInt32.self) != SharedMemory.loadAcquireUInt32(ring + 12)
    }

    /// Copies `buffers` into the scratch list, cut at `size` bytes. Returns the vector count and the byte total.
    /// - Throws: EINVAL for more than IOV_MAX vectors or a total that overflows.
    func prepareVectors(_ buffers: UnsafeBufferPointer<iovec>, size: Int) throws(Errno) -> (count: Int, bytes: Int) {
        guard buffers.count <= Self.maximumVectors else { throw .invalidArgument }
        var total = 0
        var n = 0
        for v in buffers where total < size {
            guard v.iov_len > 0 else { continue }
            let take = min(v.iov_len, size - total)
            scratchVectors.base[n] = iovec(iov_base: v.iov_base, iov_len: take)
            n += 1
            total += take
        }
        return (n, total)
    }

    /// Submits a read or write of the prepared scratch vectors.
    /// - Throws: EAGAIN when no slot is free or the kernel queue is full: the request was not taken and its
    ///   completion will not run. Any other io_submit error completes the request with that error.
    func submit<Target: FSCompletionTarget>(
        write: Bool, descriptor: CInt, offset: Int64, vectorCount: Int, bytes: Int, skip: Bool, token: UInt64,
        target: Target
    ) throws(Errno) {
        guard let slot = freeSlots.popLast() else { throw .wouldBlock }
        slots.base[slot] = Slot(token: token, target: target, inFlight: true, abortRequested: false,
                                skippedLength: bytes)
        inFlight += 1
        if skip {
            skipped.append(slot)
            return
        }
        let cb = iocbs.base + slot
        if write {
            io_prep_pwritev(cb, descriptor, scratchVectors.base, Int32(vectorCount), offset)
        } else {
            io_prep_preadv(cb, descriptor, scratchVectors.base, Int32(vectorCount), offset)
        }
        io_set_eventfd(cb, eventFD.rawValue)
        cb.pointee.data = UnsafeMutableRawPointer(bitPattern: slot + 1)
        let result = Result { () throws(Errno) -> Int in try context.submit(iocbPointers.base + slot, count: 1) }
        switch result {
        case .success(1):
            return
        case .success, .failure(.wouldBlock):
            // Not queued (a negative or zero io_submit is never "submitted").
            release(slot)
            throw .wouldBlock
        case .failure(let error):
            let target = release(slot)
            target?.fsdevDidComplete(token: token, result: .failure(error))
        }
    }

    @discardableResult
    private func release(_ slot: Int) -> (any FSCompletionTarget)? {
        let target = slots.base[slot].target
        slots.base[slot] = Slot()
        freeSlots.append(slot)
        inFlight -= 1
        return target
    }

    /// Completes slot `slot` with a kernel result (bytes or -errno).
    private func complete(slot: Int, result: Int) {
        let token = slots.base[slot].token
        let target = release(slot)
        let reply: Result<FSReply, Errno> =
            result >= 0 ? .success(.count(result)) : .failure(Errno(rawValue: CInt(clamping: 0 &- result)))
        target?.fsdevDidComplete(token: token, result: reply)
    }

    /// Reaps and completes what is ready (the channel's poller). Returns how many completed.
    func reap() -> Int {
        var done = 0
        // Taken one at a time before each completion runs, which may reap again (a channel destroyed from its own
        // completion drains).
        while let slot = skipped.popFirst() {
            complete(slot: slot, result: slots.base[slot].skippedLength)
            done += 1
        }
        guard inFlight > 0 else { return done }
        if ring != nil { return done + reapRing() }
        let n = reapSystemCall(minimum: 0, timeout: timespec(tv_sec: 0, tv_nsec: 0))
        for i in 0..<n where complete(event: events.base[i]) { done += 1 }
        return done
    }

    /// Completes the request of one kernel event. Returns false for an event that names no in-flight slot.
    private func complete(event e: io_event) -> Bool {
        let slot = Int(bitPattern: e.data) - 1
        guard slot >= 0, slot < depth, slots.base[slot].inFlight else { return false }
        complete(slot: slot, result: Int(bitPattern: e.res))
        return true
    }

    /// Completes the events ready in the kernel's ring, one at a time: each event is copied and the head published
    /// before its completion runs, so a completion that reaps again (a channel destroyed from its own completion
    /// drains) continues from the right place and no event is lost or completed twice.
    private func reapRing() -> Int {
        guard let ring else { return 0 }
        let nr = ring.load(fromByteOffset: 4, as: UInt32.self)
        var done = 0
        while done < depth {
            let head = ring.load(fromByteOffset: 8, as: UInt32.self)
            let tail = SharedMemory.loadAcquireUInt32(ring + 12)
            guard head != tail, head < nr, tail < nr else { break }
            // SAFETY: head < nr, and the ring holds nr 32-byte io_events after its 32-byte header.
            let event = (ring + 32 + Int(head) * 32).load(as: io_event.self)
            SharedMemory.storeReleaseUInt32(ring + 8, head + 1 == nr ? 0 : head + 1)
            if complete(event: event) { done += 1 }
        }
        return done
    }

    private func reapSystemCall(minimum: Int, timeout: timespec) -> Int {
        let buffer = UnsafeMutableBufferPointer(start: events.base, count: depth)
        return (try? context.getEvents(minimum: minimum, into: buffer, timeout: timeout)) ?? 0
    }

    /// Best-effort abort of the in-flight request `token`: io_cancel, then the completion arrives as usual
    /// (Linux always delivers it through the ring; plain file I/O cannot be cancelled and completes normally).
    /// Returns whether such a request was in flight.
    func abort(token: UInt64) -> Bool {
        for slot in 0..<depth where slots.base[slot].inFlight && slots.base[slot].token == token {
            slots.base[slot].abortRequested = true
            var result = io_event()
            _ = try? context.cancel(iocbs.base + slot, result: &result)
            return true
        }
        return false
    }

    /// Waits for and completes every in-flight request (channel shutdown). Memory the requests target must stay
    /// valid until then, which is why this waits instead of dropping them.
    func drain() {
        while inFlight > 0 {
            if reap() == 0 && inFlight > 0 && skipped.isEmpty {
                // Block for the next event; io_getevents consumes it from the same ring.
                let n = reapSystemCall(minimum: 1, timeout: timespec(tv_sec: 0, tv_nsec: 100_000_000))
                let batch = (0..<n).map { events.base[$0] }
                for e in batch { _ = complete(event: e) }
            }
        }
    }
}
