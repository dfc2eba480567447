import CLinux
import Glibc

/// A connected or listening AF_UNIX stream socket.
///
/// Glibc in GNU mode declares bind/connect/accept with transparent-union arguments; this is the one place that
/// deals with that.
public final class UnixSocket: Sendable {
    /// The owned descriptor.
    public let descriptor: FileDescriptor

    /// Largest number of descriptors one message may carry (vhost-user.rst).
    public static let maxDescriptorsPerMessage = Int(CLINUX_MAX_FDS)

    /// Wraps an existing socket descriptor (an inherited `--fd`, or one end of `socketPair()`).
    public init(descriptor: FileDescriptor) { self.descriptor = descriptor }

    /// The descriptor number.
    public var rawValue: CInt { descriptor.rawValue }

    private static func makeAddress(_ path: String) throws(Errno) -> (sockaddr_un, socklen_t) {
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: addr.sun_path)
        guard !bytes.isEmpty, bytes.count < capacity, !bytes.contains(0) else { throw .nameTooLong }
        // SAFETY: bytes.count < capacity was checked, so the path and its NUL fit in sun_path.
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
            raw[bytes.count] = 0
        }
        return (addr, socklen_t(MemoryLayout<sockaddr_un>.size))
    }

    private static func newSocket() throws(Errno) -> FileDescriptor {
        let fd = try SystemCall.valueOrErrno { socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }.get()
        return FileDescriptor(taking: fd)
    }

    /// Creates, binds and listens on `path`. The corresponding C functions are `socket`, `bind`, `listen`.
    public static func listen(path: String, backlog: Int32 = 4) throws(Errno) -> UnixSocket {
        let fd = try newSocket()
        var (addr, len) = try makeAddress(path)
        _ = try SystemCall.valueOrErrno {
            withUnsafePointer(to: &addr) { p in
                // SAFETY: sockaddr_un starts with the sockaddr header; the kernel reads `len` bytes of it.
                p.withMemoryRebound(to: sockaddr.self, capacity: 1) { CLinux_bind(fd.rawValue, $0, len) }
            }
        }.get()
        _ = try SystemCall.valueOrErrno { Glibc.listen(fd.rawValue, backlog) }.get()
        return UnixSocket(descriptor: fd)
    }

    /// Connects to the listening socket at `path`. The corresponding C function is `connect`.
    public static func connect(path: String) throws(Errno) -> UnixSocket {
        let fd = try newSocket()
        var (addr, len) = try makeAddress(path)
        _ = try SystemCall.valueOrErrno {
            withUnsafePointer(to: &addr) { p in
                // SAFETY: sockaddr_un starts with the sockaddr header; the kernel reads `len` bytes of it.
                p.withMemoryRebound(to: sockaddr.self, capacity: 1) { CLinux_connect(fd.rawValue, $0, len) }
            }
        }.get()
        return UnixSocket(descriptor: fd)
    }

    /// A connected pair. The corresponding C function is `socketpair`.
    public static func pair() throws(Errno) -> (UnixSocket, UnixSocket) {
        var fds: [CInt] = [-1, -1]
        _ = try SystemCall.valueOrErrno {
            socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds)
        }.get()
        return (UnixSocket(descriptor: FileDescriptor(taking: fds[0])), UnixSocket(descriptor: FileDescriptor(taking: fds[1])))
    }

    /// Accepts one connection (blocking unless the socket is non-blocking). The corresponding C function is
    /// `accept4(SOCK_CLOEXEC)`.
    public func accept() throws(Errno) -> UnixSocket {
        let fd = try SystemCall.valueOrErrno { CLinux_accept4(rawValue, Int32(SOCK_CLOEXEC.rawValue)) }.get()
        return UnixSocket(descriptor: FileDescriptor(taking: fd))
    }

    /// Waits until the socket is readable or `timeoutMilliseconds` pass. Returns false on timeout.
    public func waitReadable(timeoutMilliseconds: Int32) throws(Errno) -> Bool {
        var pfd = pollfd(fd: rawValue, events: Int16(POLLIN), revents: 0)
        let n = try SystemCall.valueOrErrno { poll(&pfd, 1, timeoutMilliseconds) }.get()
        return n > 0
    }

    /// Sends all of `bytes` with `fds` attached to the first chunk (SCM_RIGHTS). MSG_NOSIGNAL: a closed peer is
    /// EPIPE, never SIGPIPE. The corresponding C function is `sendmsg`.
    public func send(_ bytes: UnsafeRawBufferPointer, fds: [CInt] = []) throws(Errno) {
        guard fds.count <= Self.maxDescriptorsPerMessage else { throw .invalidArgument }
        var sent = 0
        var pendingFDs = fds
        while sent < bytes.count || (bytes.isEmpty && sent == 0 && !pendingFDs.isEmpty) {
            // SAFETY: sent <= bytes.count, so the slice is inside the caller's buffer.
            let rest = UnsafeRawBufferPointer(rebasing: bytes[sent...])
            let n = try SystemCall.valueOrErrno {
                // SAFETY: the C helper copies at most f.count descriptors before returning.
                pendingFDs.withUnsafeBufferPointer { f in
                    CLinux_sendmsg_fds(rawValue, rest.baseAddress, rest.count, f.baseAddress, f.count)
                }
            }.get()
            pendingFDs = []
            if n == 0 && bytes.isEmpty { break }
            sent += n
        }
    }

    /// Convenience: sends an array of bytes.
    public func send(_ bytes: [UInt8], fds: [CInt] = []) throws(Errno) {
        var err: Errno?
        // SAFETY: the pointer is used only inside the closure, by the synchronous send.
        bytes.withUnsafeBytes { raw in
            do throws(Errno) { try send(raw, fds: fds) } catch { err = error }
        }
        if let err { throw err }
    }

    /// Result of one `receive`.
    public struct Received: Sendable {
        /// Bytes received; 0 means the peer closed the connection.
        public var count: Int
        /// Descriptors that arrived with these bytes, owned by the caller.
        public var fds: [FileDescriptor]
        /// The kernel truncated the control data or the message (MSG_CTRUNC/MSG_TRUNC): some descriptors were lost.
        public var truncated: Bool
    }

    /// Receives up to `buffer.count` bytes and any attached descriptors (MSG_CMSG_CLOEXEC). The corresponding C
    /// function is `recvmsg`.
    public func receive(into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Received {
        var fds = [CInt](repeating: -1, count: Self.maxDescriptorsPerMessage)
        var nfds = 0
        var truncated: CInt = 0
        let n = try SystemCall.valueOrErrno {
            CLinux_recvmsg_fds(rawValue, buffer.baseAddress, buffer.count, &fds, &nfds, &truncated)
        }.get()
        let owned = fds.prefix(nfds).map { FileDescriptor(taking: $0) }
        return Received(count: n, fds: owned, truncated: truncated != 0)
    }

    /// Receives exactly `buffer.count` bytes, collecting descriptors from every chunk. Returns nil on EOF before
    /// the first byte; throws `ECONNRESET` on EOF in the middle.
    public func receiveExactly(into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Received? {
        var got = 0
        var all: [FileDescriptor] = []
        var truncated = false
        while got < buffer.count {
            // SAFETY: got < buffer.count inside the loop, so the slice is inside the caller's buffer.
            let r = try receive(into: UnsafeMutableRawBufferPointer(rebasing: buffer[got...]))
            all += r.fds
            truncated = truncated || r.truncated
            if r.count == 0 {
                if got == 0 && all.isEmpty { return nil }
                throw .connectionReset
            }
            got += r.count
        }
        return Received(count: got, fds: all, truncated: truncated)
    }

    /// Shuts down both directions, waking any thread blocked in receive. The corresponding C function is `shutdown`.
    public func shutdown() {
        _ = Glibc.shutdown(rawValue, Int32(SHUT_RDWR))
    }
}
