/// A message body with a fixed wire form (vhost-user.rst, "Message Specification") that checks itself, as
/// rust-vmm's `VhostUserMsgValidator`: `init?(decoding:)` demands the exact size, `validate()` the fields that are
/// wrong whatever the device (reserved bits, overflowing ranges). Checks that need the device's limits (queue
/// count, queue size, config space size) are methods of the payload type taking those limits.
public protocol VhostUserPayload: Sendable {
    /// Decodes an exact-size body; nil when the size or layout does not match.
    init?(decoding body: [UInt8])
    /// Throws when a field is invalid whatever the device.
    func validate(for request: VhostUserRequest) throws(VhostUserError)
}

extension VhostUserPayload {
    public func validate(for request: VhostUserRequest) throws(VhostUserError) {}

    /// Decodes `body` and validates it: `invalidBody` for a size or layout mismatch, the validation's error
    /// otherwise.
    public static func decoded(from body: [UInt8], for request: VhostUserRequest) throws(VhostUserError) -> Self {
        guard let payload = Self(decoding: body) else { throw .invalidBody(request) }
        try payload.validate(for: request)
        return payload
    }
}
