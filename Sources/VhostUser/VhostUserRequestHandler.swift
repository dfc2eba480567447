import LinuxSystem

/// Decodes, validates and dispatches the requests of one front-end connection to a `VhostUserBackend`
/// (vhost-user.rst; validation order of rust-vmm's `backend_req_handler.rs`).
///
/// Order of checks for each message: header sanity (done by `VhostUserConnection`), request known, ownership state,
/// descriptors allowed and exactly as many as the request carries, exact body size, feature gating, parameter
/// ranges, then the device call. The connection loop (`VhostUserServer`) sends the REPLY_ACK status.
///
/// Not thread-safe: one handler per connection, used on that connection's control thread.
public final class VhostUserRequestHandler {
    /// The device behind the protocol.
    public let backend: any VhostUserBackend

    /// Protocol features this implementation offers before the device's extras; CONFIG is added when the device
    /// offers its configuration space (`VhostUserBackend.offersConfigSpace`).
    public static let baseProtocolFeatures: VhostUserProtocolFeatures = [
        .multiQueue, .replyAck, .configureMemorySlots, .resetDevice, .status,
    ]

    // Connection state, confined to the connection's control thread (the `+Features`, `+Memory` and `+Rings`
    // extensions change it).
    var owned = false
    var ackedFeatures: VirtioFeatures = []
    var ackedProtocolFeatures: VhostUserProtocolFeatures = []
    var rings: [VringState]
    var memory: [MemoryRegionPayload] = []
    var status: UInt8 = 0

    public init(backend: any VhostUserBackend) {
        self.backend = backend
        rings = Array(repeating: VringState(), count: backend.queueCount)
    }

    /// Virtio features offered in GET_FEATURES.
    public var offeredFeatures: VirtioFeatures { backend.deviceFeatures.union(.protocolFeatures) }
    /// Protocol features offered in GET_PROTOCOL_FEATURES.
    public var offeredProtocolFeatures: VhostUserProtocolFeatures {
        Self.baseProtocolFeatures.union(backend.extraProtocolFeatures).union(backend.offersConfigSpace ? .config : [])
    }
    /// Protocol features acknowledged by the front-end.
    public var negotiatedProtocolFeatures: VhostUserProtocolFeatures { ackedProtocolFeatures }
    /// Indices of rings the device is serving now.
    public var startedRings: [Int] { rings.indices.filter { rings[$0].started } }

    /// Whether `request` always has a reply of its own (so REPLY_ACK does not apply and errors close the
    /// connection, since the front-end waits for a body we cannot give).
    public static func hasOwnReply(_ request: VhostUserRequest) -> Bool {
        switch request {
        case .getFeatures, .getProtocolFeatures, .getQueueNum, .getVringBase, .getConfig, .getMaxMemSlots,
             .getStatus, .getInflightFD:
            return true
        default:
            return false
        }
    }

    /// Handles one message. Returns the reply body for requests that have one, nil otherwise.
    public func handle(_ message: VhostUserMessage) throws(VhostUserError) -> [UInt8]? {
        guard let request = message.request else { throw .unknownRequest(message.header.request) }
        if message.header.flags & VhostUserHeader.replyFlag != 0 { throw .unexpectedReply }
        try checkOwnership(request)
        try checkDescriptorCount(request, message)
        return try dispatch(request, message)
    }

    /// Stops every ring and drops all device state: used on RESET_OWNER, RESET_DEVICE and disconnect.
    public func resetDevice() {
        stopAllRings()
        rings = Array(repeating: VringState(), count: backend.queueCount)
        memory = []
        ackedFeatures = []
        status = 0
        backend.reset()
    }

    /// Called when the connection ends: everything of the front-end is released.
    public func disconnect() {
        resetDevice()
        ackedProtocolFeatures = []
        owned = false
    }

    // MARK: - Checks

    private func checkOwnership(_ request: VhostUserRequest) throws(VhostUserError) {
        switch request {
        // QEMU sends these before SET_OWNER (vhost_user_backend_init); they change no device state.
        case .getFeatures, .getProtocolFeatures, .setProtocolFeatures, .getQueueNum, .getMaxMemSlots,
             .setBackendReqFD, .setOwner, .getConfig, .getStatus:
            return
        default:
            if !owned { throw .invalidState(request) }
        }
    }

    private func checkDescriptorCount(_ request: VhostUserRequest, _ message: VhostUserMessage) throws(VhostUserError) {
        let got = message.fds.count
        let expected: ClosedRange<Int>
        switch request {
        case .setMemTable:
            // One per region; the region count is in the body. Checked precisely by the handler; here a cap.
            expected = 1...MemoryTablePayload.maxRegions
        case .addMemReg, .setLogBase, .setLogFD, .setBackendReqFD, .setInflightFD:
            expected = 1...1
        case .remMemReg:
            // QEMU sends none; older front-ends sent the region's fd. Either is accepted and closed.
            expected = 0...1
        case .setVringKick, .setVringCall, .setVringErr:
            guard let p = VringFileDescriptorPayload(decoding: message.body) else { throw .invalidBody(request) }
            let n = p.hasFD ? 1 : 0
            expected = n...n
        default:
            expected = 0...0
        }
        if !expected.contains(got) {
            throw .wrongDescriptorCount(request: request, expected: expected.lowerBound, got: got)
        }
    }

    func requireProtocol(_ f: VhostUserProtocolFeatures, _ r: VhostUserRequest) throws(VhostUserError) {
        if !ackedProtocolFeatures.contains(f) { throw .notNegotiated(r) }
    }

    /// A u64 body (SET_FEATURES, SET_PROTOCOL_FEATURES, SET_STATUS), exactly 8 bytes.
    func u64Body(_ r: VhostUserRequest, _ body: [UInt8]) throws(VhostUserError) -> UInt64 {
        guard body.count == 8, let v = WireReader(body).u64Value() else { throw .invalidBody(r) }
        return v
    }

    func noBody(_ r: VhostUserRequest, _ body: [UInt8]) throws(VhostUserError) {
        if !body.isEmpty { throw .invalidBody(r) }
    }

    // MARK: - Dispatch

    /// One handler per message (rust-vmm's `handle_request` match); each decodes its payload with
    /// `VhostUserPayload.decoded(from:for:)`, which validates it, then checks what needs the device's state.
    private func dispatch(_ request: VhostUserRequest, _ message: VhostUserMessage) throws(VhostUserError) -> [UInt8]? {
        let body = message.body
        switch request {
        case .getFeatures: return try getFeatures(body)
        case .setFeatures: try setFeatures(body)
        case .getProtocolFeatures: return try getProtocolFeatures(body)
        case .setProtocolFeatures: try setProtocolFeatures(body)
        case .setOwner: try setOwner(body)
        case .resetOwner: try resetOwner(body)
        case .resetDevice: try resetDevice(body)
        case .getQueueNum: return try getQueueNum(body)
        case .getMaxMemSlots: return try getMaxMemSlots(body)
        case .setMemTable: try setMemoryTable(message)
        case .addMemReg: try addMemoryRegion(message)
        case .remMemReg: try removeMemoryRegion(body)
        case .setVringNum: try setVringNum(body)
        case .setVringAddr: try setVringAddress(body)
        case .setVringBase: try setVringBase(body)
        case .getVringBase: return try getVringBase(body)
        case .setVringKick, .setVringCall, .setVringErr: try setVringFileDescriptor(request, message)
        case .setVringEnable: try setVringEnable(body)
        case .getConfig: return try getConfig(body)
        case .setConfig: try setConfig(body)
        case .setStatus: try setStatus(body)
        case .getStatus: return try getStatus(body)
        case .setBackendReqFD:
            // Accepted, and the socket closed at once (with the message): this back-end sends no back-end
            // requests (it does not offer BACKEND_REQ, so a conforming front-end does not send this).
            try noBody(request, body)
        case .setLogBase, .setLogFD:
            // Dirty logging (migration) needs LOG_SHMFD, which is not offered: refuse cleanly.
            throw .notNegotiated(request)
        case .sendRARP, .netSetMTU, .iotlbMsg, .setVringEndian, .createCryptoSession, .closeCryptoSession,
             .postcopyAdvise, .postcopyListen, .postcopyEnd, .getInflightFD, .setInflightFD, .gpuSetSocket,
             .vringKick:
            // Requests of features this back-end never offers.
            throw .notNegotiated(request)
        }
        return nil
    }
}

extension WireReader {
    /// The first 8 bytes as a little-endian UInt64.
    func u64Value() -> UInt64? {
        var copy = self
        return copy.u64()
    }
}
