import LinuxSystem

/// One framed message: a header whose sanity has been checked, its body and the descriptors that came with it.
public struct VhostUserMessage: Sendable {
    /// The header (version and size already checked).
    public var header: VhostUserHeader
    /// Exactly `header.size` bytes.
    public var body: [UInt8]
    /// Descriptors attached to the message, owned by the receiver. Dropping them closes them.
    public var fds: [FileDescriptor]

    public init(header: VhostUserHeader, body: [UInt8], fds: [FileDescriptor]) {
        self.header = header
        self.body = body
        self.fds = fds
    }

    /// The request, or nil for a code this implementation does not know.
    public var request: VhostUserRequest? { VhostUserRequest(rawValue: header.request) }
}
