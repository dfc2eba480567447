import LinuxSystem

/// Errors of the vhost-user layer.
///
/// `closesConnection` classifies them as rust-vmm's `should_reconnect` does: a broken socket or a malformed frame
/// ends the connection (the stream can no longer be trusted to be in sync); a well-framed but invalid request is
/// answered with an error and the connection goes on.
public enum VhostUserError: Error, Sendable, Equatable {
    /// The peer closed the connection.
    case disconnected
    /// A socket call failed.
    case socket(Errno)
    /// Header with a bad version or reserved flag bits.
    case malformedHeader(flags: UInt32)
    /// Body size above `VhostUserHeader.maxBodySize`.
    case bodyTooLarge(UInt32)
    /// Control data was truncated by the kernel (more fds than the message can carry).
    case descriptorsTruncated
    /// A request code this back-end does not know.
    case unknownRequest(UInt32)
    /// A reply arrived where a request was expected, or a reply does not match its request.
    case unexpectedReply
    /// Number of attached fds differs from what the request carries.
    case wrongDescriptorCount(request: VhostUserRequest, expected: Int, got: Int)
    /// Body size or contents do not match the request type.
    case invalidBody(VhostUserRequest)
    /// A request that needs SET_OWNER first, or that is not allowed in the current state.
    case invalidState(VhostUserRequest)
    /// A request whose feature (virtio or protocol) was not negotiated.
    case notNegotiated(VhostUserRequest)
    /// A parameter is out of range (queue index, queue size, region overlap...).
    case invalidParameter(String)
    /// The device refused the request.
    case device(Errno)

    /// Whether the connection must be closed after this error.
    public var closesConnection: Bool {
        switch self {
        case .disconnected, .socket, .malformedHeader, .bodyTooLarge, .descriptorsTruncated, .unexpectedReply:
            return true
        case .unknownRequest, .wrongDescriptorCount, .invalidBody, .invalidState, .notNegotiated,
             .invalidParameter, .device:
            return false
        }
    }
}
