import CAIO
import Glibc

/// A Linux AIO context (libaio). One per fsdev channel, used only by the reactor that owns the channel.
///
/// libaio returns `-errno` and does not set `errno`; every call here maps that convention to `Errno`. A partial
/// `io_submit` is reported as a count: the iocbs from that index on were not submitted and will never complete.
public final class AIOContext: @unchecked Sendable {
    // SAFETY (Sendable): the context handle is immutable; the kernel serializes calls on it. Callers confine
    // submission and reaping to one thread anyway (the owning reactor).

    /// The kernel context handle.
    public let handle: io_context_t
    /// Maximum number of in-flight operations given to io_setup.
    public let depth: Int

    /// Creates a context for up to `depth` in-flight operations. The corresponding C function is `io_setup`.
    public init(depth: Int) throws(Errno) {
        guard let d = CInt(exactly: depth), d > 0 else { throw .invalidArgument }
        var ctx: io_context_t?
        _ = try SystemCall.negativeErrno { io_setup(d, &ctx) }.get()
        guard let ctx else { throw .ioError }
        handle = ctx
        self.depth = depth
    }

    deinit {
        // The kernel waits for (or cancels) in-flight operations in io_destroy.
        _ = io_destroy(handle)
    }

    /// Submits `iocbs`. Returns how many the kernel accepted (it may be fewer than given: the rest were not queued
    /// and their owners must be failed by the caller). The corresponding C function is `io_submit`.
    /// - Throws: the error of the first iocb when none was accepted (EAGAIN when the ring is full).
    public func submit(_ iocbs: UnsafeMutablePointer<UnsafeMutablePointer<iocb>?>, count: Int) throws(Errno) -> Int {
        guard count > 0 else { return 0 }
        guard let n = Int(exactly: count), let c = CLong(exactly: n) else { throw .invalidArgument }
        return try SystemCall.negativeErrno { io_submit(handle, c, iocbs) }.map(Int.init).get()
    }

    /// Reaps between `minimum` and `events.count` completions, waiting at most `timeout` (nil: forever,
    /// zero: poll). The corresponding C function is `io_getevents`.
    public func getEvents(
        minimum: Int, into events: UnsafeMutableBufferPointer<io_event>, timeout: timespec?
    ) throws(Errno) -> Int {
        guard let minN = CLong(exactly: minimum), let maxN = CLong(exactly: events.count) else {
            throw .invalidArgument
        }
        if var t = timeout {
            return try SystemCall.negativeErrno { io_getevents(handle, minN, maxN, events.baseAddress, &t) }
                .map(Int.init).get()
        }
        return try SystemCall.negativeErrno { io_getevents(handle, minN, maxN, events.baseAddress, nil) }
            .map(Int.init).get()
    }

    /// Attempts to cancel one in-flight operation. The corresponding C function is `io_cancel`. Linux returns
    /// EINVAL or EAGAIN for plain file I/O, which cannot be cancelled; the completion then arrives normally.
    public func cancel(_ iocb: UnsafeMutablePointer<iocb>, result: UnsafeMutablePointer<io_event>) throws(Errno) {
        _ = try SystemCall.negativeErrno(retryOnInterrupt: false) { io_cancel(handle, iocb, result) }.get()
    }
}
