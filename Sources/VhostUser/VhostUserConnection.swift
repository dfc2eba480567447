import LinuxSystem

/// Message framing over a connected Unix socket, used by both sides (the back-end server and the test kit's
/// front-end).
///
/// Receiving checks, in order: header present and complete, version 1 with no reserved flag bits, body size at most
/// 4 KiB, body complete, control data not truncated. Any failure is a `VhostUserError` with
/// `closesConnection == true`: after a framing error the stream cannot be trusted.
public final class VhostUserConnection: Sendable {
    /// The connected socket.
    public let socket: UnixSocket

    public init(socket: UnixSocket) { self.socket = socket }

    /// Receives one message. Returns nil when the peer closed the connection cleanly between messages.
    public func receive() throws(VhostUserError) -> VhostUserMessage? {
        var headerBytes = [UInt8](repeating: 0, count: VhostUserHeader.size)
        guard let received = try receiveExactly(into: &headerBytes) else { return nil }
        if received.truncated { throw .descriptorsTruncated }
        guard let header = VhostUserHeader(bytes: headerBytes) else { throw .disconnected }
        guard header.isWellFormed else { throw .malformedHeader(flags: header.flags) }
        guard header.size <= VhostUserHeader.maxBodySize else { throw .bodyTooLarge(header.size) }
        var fds = received.fds
        var body = [UInt8](repeating: 0, count: Int(header.size))
        if !body.isEmpty {
            guard let rest = try receiveExactly(into: &body) else { throw .disconnected }
            if rest.truncated { throw .descriptorsTruncated }
            fds += rest.fds
        }
        return VhostUserMessage(header: header, body: body, fds: fds)
    }

    private func receiveExactly(into bytes: inout [UInt8]) throws(VhostUserError) -> UnixSocket.Received? {
        // SAFETY: recvmsg writes at most raw.count bytes, inside the closure.
        let result: Result<UnixSocket.Received?, Errno> = bytes.withUnsafeMutableBytes { raw in
            Result { () throws(Errno) in try socket.receiveExactly(into: raw) }
        }
        switch result {
        case .success(let r): return r
        case .failure(.connectionReset): throw .disconnected
        case .failure(let e): throw .socket(e)
        }
    }

    /// Sends a message with `fds` attached.
    public func send(request: UInt32, flags: UInt32, body: [UInt8], fds: [CInt] = []) throws(VhostUserError) {
        guard let size = UInt32(exactly: body.count) else { throw .invalidParameter("body too large") }
        let header = VhostUserHeader(request: request, flags: flags, size: size)
        do {
            try socket.send(header.bytes + body, fds: fds)
        } catch {
            throw error == .brokenPipe || error == .connectionReset ? .disconnected : .socket(error)
        }
    }

    /// Sends the reply to `request`: the same code, version 1 and the REPLY flag.
    public func sendReply(to request: UInt32, body: [UInt8]) throws(VhostUserError) {
        try send(request: request, flags: VhostUserHeader.version | VhostUserHeader.replyFlag, body: body)
    }
}
