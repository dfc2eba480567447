import CLinux
import Glibc
import LinuxSystem
import Logging

/// The back-end's listening side: accepts one front-end at a time on a Unix socket and runs its requests through a
/// `VhostUserRequestHandler`.
///
/// When a front-end disconnects, everything it held is released and the server waits for the next one (virtiofsd
/// exits instead; operators asked for a daemon that survives guest reboots). A second front-end connecting while
/// one is served is accepted and closed at once.
public final class VhostUserServer: Sendable {
    /// The listening socket.
    public let listener: UnixSocket
    /// Signal to make `serve` return after releasing the current front-end.
    public let stopEvent: EventFD
    private let logger: Logger

    /// Serves on an existing listening socket (an inherited `--fd`).
    public init(listener: UnixSocket, logger: Logger = Logger(label: "vhostfsd.vhost-user")) throws(Errno) {
        self.listener = listener
        self.stopEvent = try EventFD()
        self.logger = logger
    }

    /// Binds `path`, replacing a stale socket file left by a dead daemon. A live socket (something accepts on it)
    /// or a path that is not a socket is never removed.
    public static func bind(path: String) throws(Errno) -> UnixSocket {
        var st = stat()
        if lstat(path, &st) == 0 {
            guard st.st_mode & S_IFMT == S_IFSOCK else { throw .fileExists }
            switch Result(catching: { () throws(Errno) in try UnixSocket.connect(path: path) }) {
            case .success:
                throw .busy  // another back-end is alive on it
            case .failure(.connectionRefused):
                _ = unlink(path)
            case .failure(let e):
                throw e
            }
        }
        return try UnixSocket.listen(path: path)
    }

    /// Accepts and serves front-ends, one at a time, until `stopEvent` is signalled. Each connection gets a fresh
    /// request handler over `backend`; the backend is reset between connections.
    /// - Parameter onConnection: called with each connection's handler (for tests and status reporting).
    public func serve(backend: any VhostUserBackend, onConnection: (VhostUserRequestHandler) -> Void = { _ in }) {
        while true {
            guard let which = waitReadable([listener.rawValue, stopEvent.rawValue]), which == 0 else { return }
            let socket: UnixSocket
            do { socket = try listener.accept() } catch {
                logger.warning("accept failed: \(error)")
                continue
            }
            logger.info("front-end connected")
            let handler = VhostUserRequestHandler(backend: backend)
            onConnection(handler)
            _ = backend.disconnectRequest?.drain()  // a request left over from the previous connection
            let stopped = serveConnection(VhostUserConnection(socket: socket), handler: handler,
                                          disconnectRequest: backend.disconnectRequest)
            handler.disconnect()
            logger.info("front-end disconnected; memory and rings released")
            if stopped { return }
        }
    }

    /// Serves one connection until it ends, the stop event fires (returns true) or the device asks to end it.
    private func serveConnection(_ connection: VhostUserConnection, handler: VhostUserRequestHandler,
                                 disconnectRequest: EventFD?) -> Bool {
        var watched = [connection.socket.rawValue, listener.rawValue, stopEvent.rawValue]
        if let disconnectRequest { watched.append(disconnectRequest.rawValue) }
        while true {
            guard let which = waitReadable(watched) else { return true }
            switch which {
            case 3:
                logger.error("the device ended the connection (its guest memory became unusable)")
                return false
            case 2:
                return true
            case 1:
                // A second front-end while one is served: refuse it cleanly.
                if let extra = try? listener.accept() {
                    logger.warning("refusing a second front-end: one is already connected")
                    extra.shutdown()
                }
                continue
            default:
                break
            }
            let message: VhostUserMessage
            do {
                guard let m = try connection.receive() else { return false }
                message = m
            } catch {
                if error != .disconnected { logger.warning("closing connection: \(error)") }
                return false
            }
            if !process(message, connection: connection, handler: handler) { return false }
        }
    }

    /// Handles one message and sends its reply or ack. Returns false when the connection must close.
    func process(_ message: VhostUserMessage, connection: VhostUserConnection, handler: VhostUserRequestHandler)
        -> Bool
    {
        let request = message.request
        let wantsAck = message.header.needsReply && handler.negotiatedProtocolFeatures.contains(.replyAck)
            && !(request.map(VhostUserRequestHandler.hasOwnReply) ?? false)
        do {
            if let reply = try handler.handle(message) {
                try connection.sendReply(to: message.header.request, body: reply)
            } else if wantsAck {
                try connection.sendReply(to: message.header.request, body: WireWriter.u64Body(0))
            }
            return true
        } catch {
            logger.notice("request \(request.map { "\($0)" } ?? "\(message.header.request)") failed: \(error)")
            if error.closesConnection { return false }
            if let request, VhostUserRequestHandler.hasOwnReply(request) { return false }
            if wantsAck {
                do { try connection.sendReply(to: message.header.request, body: WireWriter.u64Body(1)) } catch {
                    return false
                }
                return true
            }
            // No way to report the error in-band: an unknown request without NEED_REPLY closes the connection,
            // an invalid known request is dropped (the front-end did not ask for a status).
            return request != nil
        }
    }

    /// Polls `fds` for readability; returns the index of the first readable one, or nil on a poll error.
    private func waitReadable(_ fds: [CInt]) -> Int? {
        var pfds = fds.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        while true {
            let r = poll(&pfds, nfds_t(pfds.count), -1)
            if r < 0 {
                if errno == EINTR { continue }
                return nil
            }
            for (i, p) in pfds.enumerated() where p.revents != 0 { return i }
        }
    }
}
