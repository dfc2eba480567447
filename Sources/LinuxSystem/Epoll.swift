import CLinux
import Glibc

/// An epoll instance. Registrations carry a caller-chosen 64-bit token (as SwiftNIO packs a registration id beside
/// the fd) so that stale events of a re-used descriptor number can be told apart.
public final class Epoll: Sendable {
    /// The owned epoll descriptor.
    public let descriptor: FileDescriptor

    /// One readiness event.
    public struct Event: Sendable {
        /// The token given at registration.
        public var token: UInt64
        /// EPOLLIN, EPOLLOUT, EPOLLHUP, EPOLLERR bits.
        public var events: UInt32

        /// An event record, e.g. to size the array given to `wait(into:timeoutMilliseconds:)`.
        public init(token: UInt64 = 0, events: UInt32 = 0) {
            self.token = token
            self.events = events
        }
    }

    /// Creates an epoll instance. The corresponding C function is `epoll_create1(EPOLL_CLOEXEC)`.
    public init() throws(Errno) {
        let fd = try SystemCall.valueOrErrno { epoll_create1(Int32(EPOLL_CLOEXEC)) }.get()
        descriptor = FileDescriptor(taking: fd)
    }

    /// Registers `fd` for `events` (default: readable). The corresponding C function is `epoll_ctl(EPOLL_CTL_ADD)`.
    public func add(_ fd: CInt, events: UInt32 = UInt32(EPOLLIN.rawValue), token: UInt64) throws(Errno) {
        var ev = epoll_event()
        ev.events = events
        ev.data.u64 = token
        _ = try SystemCall.valueOrErrno { epoll_ctl(descriptor.rawValue, EPOLL_CTL_ADD, fd, &ev) }.get()
    }

    /// Unregisters `fd`. The corresponding C function is `epoll_ctl(EPOLL_CTL_DEL)`.
    public func remove(_ fd: CInt) throws(Errno) {
        var ev = epoll_event()
        _ = try SystemCall.valueOrErrno { epoll_ctl(descriptor.rawValue, EPOLL_CTL_DEL, fd, &ev) }.get()
    }

    /// Waits up to `timeoutMilliseconds` (-1: forever) and stores events into `events`. Returns how many.
    /// EINTR is returned as 0 events so that callers re-check their state. The corresponding C function is
    /// `epoll_wait`.
    public func wait(into events: inout [Event], timeoutMilliseconds: Int32) throws(Errno) -> Int {
        let capacity = max(1, events.count)
        var raw = [epoll_event](repeating: epoll_event(), count: capacity)
        let r = SystemCall.valueOrErrno(retryOnInterrupt: false) {
            epoll_wait(descriptor.rawValue, &raw, Int32(capacity), timeoutMilliseconds)
        }
        switch r {
        case .success(let n):
            for i in 0..<Int(n) { events[i] = Event(token: raw[i].data.u64, events: raw[i].events) }
            return Int(n)
        case .failure(.interrupted): return 0
        case .failure(let e): throw e
        }
    }
}
