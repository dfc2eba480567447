import CURing
import Glibc

/// An io_uring instance (liburing): a submission and a completion ring shared with the kernel. One per fsdev channel
/// with `--io-engine=io_uring`, used only by the reactor that owns the channel.
///
/// liburing returns `-errno` and does not set `errno`; every call here maps that convention to `Errno`. Completions
/// are read from the completion ring in user space (no system call when none is ready); a registered eventfd is
/// signalled by the kernel for each completion, so that a sleeping reactor wakes.
///
/// System calls: io_uring_setup, io_uring_enter, io_uring_register (IORING_REGISTER_EVENTFD), mmap/munmap of the
/// rings, close.
public final class URing {
    /// One finished request: the `userData` given at preparation and the result (bytes, or -errno).
    public struct Completion: Sendable {
        public var userData: UInt64
        public var result: Int32
    }

    // SAFETY: allocated once, never moved (liburing and the kernel keep pointers into it), freed in deinit after
    // io_uring_queue_exit.
    private let ring: UnsafeMutablePointer<io_uring>
    /// Submission queue entries (a power of two, rounded up by the kernel).
    public let entries: Int

    /// Sets up a ring of `entries` submission entries (twice as many completion entries). Tries
    /// IORING_SETUP_COOP_TASKRUN first (no inter-processor interrupt to run completion work; Linux 5.19), then
    /// plain. The corresponding C function is `io_uring_queue_init`.
    /// - Throws: EINVAL for a bad size; ENOSYS or EPERM when io_uring is not available (kernel.io_uring_disabled,
    ///   seccomp), ENOMEM when the rings cannot be locked.
    public init(entries: Int) throws(Errno) {
        guard let n = UInt32(exactly: entries), n > 0, n <= 32768 else { throw .invalidArgument }
        ring = .allocate(capacity: 1)
        ring.initialize(to: io_uring())
        var result = io_uring_queue_init(n, ring, UInt32(IORING_SETUP_COOP_TASKRUN))
        if result == -EINVAL { result = io_uring_queue_init(n, ring, 0) }
        guard result == 0 else {
            ring.deallocate()
            throw Errno(rawValue: CInt(clamping: -Int64(result)))
        }
        self.entries = Int(ring.pointee.sq.ring_entries)
    }

    deinit {
        // The kernel completes or cancels what is in flight when the ring is torn down.
        io_uring_queue_exit(ring)
        ring.deallocate()
    }

    /// Makes the kernel signal `eventFD` on every completion. The corresponding C function is
    /// `io_uring_register_eventfd`.
    public func register(_ eventFD: EventFD) throws(Errno) {
        _ = try SystemCall.negativeErrno { io_uring_register_eventfd(ring, eventFD.rawValue) }.get()
    }

    /// Queues a vectored read or write of `count` iovecs at `offset` in the submission ring; false when the ring
    /// is full. Nothing reaches the kernel before `submit()`. With `async`, the kernel hands the request to its
    /// worker threads at once instead of trying it on the submitting thread first (IOSQE_ASYNC). The corresponding
    /// C functions are `io_uring_get_sqe` and `io_uring_prep_readv` / `io_uring_prep_writev`.
    public func prepareVectored(
        write: Bool, descriptor: CInt, vectors: UnsafePointer<iovec>, count: Int, offset: Int64, userData: UInt64,
        async: Bool = false
    ) -> Bool {
        guard let n = UInt32(exactly: count), let sqe = io_uring_get_sqe(ring) else { return false }
        let position = UInt64(bitPattern: offset)
        if write {
            io_uring_prep_writev(sqe, descriptor, vectors, n, position)
        } else {
            io_uring_prep_readv(sqe, descriptor, vectors, n, position)
        }
        // IOSQE_ASYNC is a macro over an enum bit that Swift does not import.
        if async { io_uring_sqe_set_flags(sqe, UInt32(1) << UInt32(IOSQE_ASYNC_BIT)) }
        io_uring_sqe_set_data64(sqe, userData)
        return true
    }

    /// Queues a cancellation of the request with `target` user data; its own completion carries `userData`.
    /// False when the ring is full. The corresponding C function is `io_uring_prep_cancel64`.
    public func prepareCancel(target: UInt64, userData: UInt64) -> Bool {
        guard let sqe = io_uring_get_sqe(ring) else { return false }
        io_uring_prep_cancel64(sqe, target, 0)
        io_uring_sqe_set_data64(sqe, userData)
        return true
    }

    /// Hands the queued entries to the kernel; returns how many it took. The corresponding C function is
    /// `io_uring_submit` (io_uring_enter).
    public func submit() throws(Errno) -> Int {
        try SystemCall.negativeErrno { io_uring_submit(ring) }.map(Int.init).get()
    }

    /// Completions waiting in the completion ring (no system call).
    public var readyCount: Int { Int(io_uring_cq_ready(ring)) }

    /// Takes the next completion from the ring, if one is ready, and frees its ring entry before returning it (so
    /// that code run for it may take the next one). The corresponding C functions are `io_uring_peek_cqe` and
    /// `io_uring_cqe_seen`.
    public func nextCompletion() -> Completion? {
        guard io_uring_cq_ready(ring) > 0 else { return nil }
        var cqe: UnsafeMutablePointer<io_uring_cqe>?
        guard io_uring_peek_cqe(ring, &cqe) == 0, let cqe else { return nil }
        let completion = Completion(userData: io_uring_cqe_get_data64(cqe), result: cqe.pointee.res)
        io_uring_cqe_seen(ring, cqe)
        return completion
    }

    /// Waits up to `nanoseconds` for a completion to be ready (the entry stays in the ring). Returns whether one
    /// is. The corresponding C function is `io_uring_wait_cqe_timeout`.
    public func waitForCompletion(nanoseconds: Int) -> Bool {
        var cqe: UnsafeMutablePointer<io_uring_cqe>?
        var timeout = __kernel_timespec(tv_sec: Int64(nanoseconds / 1_000_000_000),
                                        tv_nsec: Int64(nanoseconds % 1_000_000_000))
        return io_uring_wait_cqe_timeout(ring, &cqe, &timeout) == 0 && cqe != nil
    }
}
