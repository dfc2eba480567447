import CLinux
import Glibc

/// An eventfd: a 64-bit counter the kernel can wait on. vhost-user uses them for kicks and calls; reactors use them
/// for cross-thread wake-ups.
public final class EventFD: Sendable {
    /// The owned descriptor.
    public let descriptor: FileDescriptor

    /// Creates a non-blocking, close-on-exec eventfd. The corresponding C function is `eventfd`.
    public init(initialValue: UInt32 = 0, semaphore: Bool = false) throws(Errno) {
        let flags = EFD_CLOEXEC | EFD_NONBLOCK | (semaphore ? EFD_SEMAPHORE : 0)
        let fd = try SystemCall.valueOrErrno { eventfd(initialValue, Int32(flags)) }.get()
        descriptor = FileDescriptor(taking: fd)
    }

    /// Wraps an eventfd received from a peer (SET_VRING_KICK/CALL). The descriptor is made non-blocking.
    public init(adopting descriptor: FileDescriptor) throws(Errno) {
        try descriptor.setNonBlocking(true)
        self.descriptor = descriptor
    }

    /// The descriptor number.
    public var rawValue: CInt { descriptor.rawValue }

    /// Adds `value` to the counter, waking waiters. A full counter (EAGAIN) already wakes waiters and is ignored.
    public func signal(_ value: UInt64 = 1) {
        var v = value
        _ = SystemCall.valueOrErrno { Glibc.write(descriptor.rawValue, &v, 8) }
    }

    /// Reads and resets the counter; returns 0 when it was already 0.
    @discardableResult
    public func drain() -> UInt64 {
        var v: UInt64 = 0
        switch SystemCall.valueOrErrno({ Glibc.read(descriptor.rawValue, &v, 8) }) {
        case .success(8): return v
        default: return 0
        }
    }

    /// Blocks until the counter is non-zero or `timeoutMilliseconds` elapse (-1: forever), then drains it.
    /// Returns the drained value (0 on timeout).
    @discardableResult
    public func wait(timeoutMilliseconds: Int32 = -1) -> UInt64 {
        var pfd = pollfd(fd: descriptor.rawValue, events: Int16(POLLIN), revents: 0)
        let r = SystemCall.valueOrErrno { poll(&pfd, 1, timeoutMilliseconds) }
        guard case .success(let n) = r, n > 0 else { return 0 }
        return drain()
    }
}
