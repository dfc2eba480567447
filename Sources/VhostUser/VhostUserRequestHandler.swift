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

    private var owned = false
    private var ackedFeatures: VirtioFeatures = []
    private var ackedProtocolFeatures: VhostUserProtocolFeatures = []
    private var rings: [VringState]
    private var memory: [MemoryRegionPayload] = []
    private var status: UInt8 = 0

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
            guard message.body.count == 8, let v = WireReader(message.body).u64Value() else {
                throw .invalidBody(request)
            }
            let n = VringFileDescriptorPayload(rawValue: v).hasFD ? 1 : 0
            expected = n...n
        default:
            expected = 0...0
        }
        if !expected.contains(got) {
            throw .wrongDescriptorCount(request: request, expected: expected.lowerBound, got: got)
        }
    }

    private func requireProtocol(_ f: VhostUserProtocolFeatures, _ r: VhostUserRequest) throws(VhostUserError) {
        if !ackedProtocolFeatures.contains(f) { throw .notNegotiated(r) }
    }

    private func ringIndex(_ raw: UInt32, _ r: VhostUserRequest) throws(VhostUserError) -> Int {
        guard let i = Int(exactly: raw), i < rings.count else {
            throw .invalidParameter("\(r): queue index \(raw) out of range (queues: \(rings.count))")
        }
        return i
    }

    private func stateBody(_ r: VhostUserRequest, _ body: [UInt8]) throws(VhostUserError) -> (Int, UInt32) {
        guard let s = VringStatePayload(decoding: body) else { throw .invalidBody(r) }
        return (try ringIndex(s.index, r), s.num)
    }

    private func u64Body(_ r: VhostUserRequest, _ body: [UInt8]) throws(VhostUserError) -> UInt64 {
        guard body.count == 8, let v = WireReader(body).u64Value() else { throw .invalidBody(r) }
        return v
    }

    private func noBody(_ r: VhostUserRequest, _ body: [UInt8]) throws(VhostUserError) {
        if !body.isEmpty { throw .invalidBody(r) }
    }

    /// Whether [address, address + length) lies inside one region's front-end virtual range.
    private func userRangeInMemory(_ address: UInt64, length: UInt64) -> Bool {
        guard case (let end, false) = address.addingReportingOverflow(length) else { return false }
        return memory.contains { r in
            address >= r.userAddress && end <= r.userAddress &+ r.size
        }
    }

    // MARK: - Dispatch

    private func dispatch(_ request: VhostUserRequest, _ message: VhostUserMessage) throws(VhostUserError) -> [UInt8]? {
        let body = message.body
        switch request {
        case .getFeatures:
            try noBody(request, body)
            return WireWriter.u64Body(offeredFeatures.rawValue)

        case .setFeatures:
            let v = VirtioFeatures(rawValue: try u64Body(request, body))
            guard offeredFeatures.isSuperset(of: v) else {
                throw .invalidParameter("SET_FEATURES: bits not offered \(String(v.rawValue & ~offeredFeatures.rawValue, radix: 16))")
            }
            try backend.setFeatures(v)
            ackedFeatures = v
            // vhost-user.rst: without VHOST_USER_F_PROTOCOL_FEATURES rings start enabled; with it, disabled until
            // SET_VRING_ENABLE.
            for i in rings.indices where !rings[i].started {
                rings[i].enabled = !v.contains(.protocolFeatures)
            }
            return nil

        case .getProtocolFeatures:
            try noBody(request, body)
            return WireWriter.u64Body(offeredProtocolFeatures.rawValue)

        case .setProtocolFeatures:
            let v = VhostUserProtocolFeatures(rawValue: try u64Body(request, body))
            guard offeredProtocolFeatures.isSuperset(of: v) else {
                throw .invalidParameter("SET_PROTOCOL_FEATURES: bits not offered")
            }
            ackedProtocolFeatures = v
            return nil

        case .setOwner:
            try noBody(request, body)
            if owned { throw .invalidState(request) }
            owned = true
            return nil

        case .resetOwner:
            try noBody(request, body)
            resetDevice()
            owned = false
            return nil

        case .resetDevice:
            try noBody(request, body)
            try requireProtocol(.resetDevice, request)
            resetDevice()
            return nil

        case .getQueueNum:
            try noBody(request, body)
            try requireProtocol(.multiQueue, request)
            return WireWriter.u64Body(UInt64(rings.count))

        case .getMaxMemSlots:
            try noBody(request, body)
            try requireProtocol(.configureMemorySlots, request)
            return WireWriter.u64Body(UInt64(backend.maxMemorySlots))

        case .setMemTable:
            guard let table = MemoryTablePayload(decoding: body) else { throw .invalidBody(request) }
            guard table.regions.count == message.fds.count else {
                throw .wrongDescriptorCount(request: request, expected: table.regions.count, got: message.fds.count)
            }
            guard table.regions.count <= backend.maxMemorySlots else { throw .invalidParameter("too many regions") }
            try validateRegions(table.regions)
            var regions: [VhostUserMemoryRegion] = []
            for (d, fd) in zip(table.regions, message.fds) {
                regions.append(VhostUserMemoryRegion(description: d, descriptor: fd))
            }
            try backend.setMemoryTable(regions)
            memory = table.regions
            return nil

        case .addMemReg:
            try requireProtocol(.configureMemorySlots, request)
            guard let p = SingleMemoryRegionPayload(decoding: body), let fd = message.fds.first else {
                throw .invalidBody(request)
            }
            guard memory.count < backend.maxMemorySlots else { throw .invalidParameter("no free memory slot") }
            try validateRegions(memory + [p.region])
            try backend.addMemoryRegion(VhostUserMemoryRegion(description: p.region, descriptor: fd))
            memory.append(p.region)
            return nil

        case .remMemReg:
            try requireProtocol(.configureMemorySlots, request)
            guard let p = SingleMemoryRegionPayload(decoding: body) else { throw .invalidBody(request) }
            guard let i = memory.firstIndex(where: {
                $0.guestPhysicalAddress == p.region.guestPhysicalAddress && $0.size == p.region.size
            }) else {
                throw .invalidParameter("REM_MEM_REG: no such region")
            }
            try backend.removeMemoryRegion(memory[i])
            memory.remove(at: i)
            return nil

        case .setVringNum:
            let (i, num) = try stateBody(request, body)
            guard num >= 1, num <= UInt32(backend.maxQueueSize), num & (num - 1) == 0, let size = UInt16(exactly: num)
            else {
                throw .invalidParameter("SET_VRING_NUM: size \(num) not a power of two in 1...\(backend.maxQueueSize)")
            }
            if rings[i].started { throw .invalidState(request) }
            rings[i].size = size
            return nil

        case .setVringAddr:
            guard let a = VringAddressPayload(decoding: body) else { throw .invalidBody(request) }
            let i = try ringIndex(a.index, request)
            guard a.flags & ~VringAddressPayload.logFlag == 0 else { throw .invalidParameter("SET_VRING_ADDR: flags") }
            if rings[i].started { throw .invalidState(request) }
            rings[i].address = a
            try startIfReady(i)
            return nil

        case .setVringBase:
            let (i, num) = try stateBody(request, body)
            // Split rings: the next available index is 16 bits (packed rings, not offered, use bit 15 as wrap).
            guard let base = UInt16(exactly: num) else { throw .invalidParameter("SET_VRING_BASE: \(num)") }
            if rings[i].started { throw .invalidState(request) }
            rings[i].base = base
            return nil

        case .getVringBase:
            let (i, _) = try stateBody(request, body)
            if rings[i].started {
                rings[i].base = backend.stopQueue(i)
                rings[i].started = false
            }
            // vhost-user.rst: the ring is stopped; it starts again after the next SET_VRING_KICK.
            rings[i].kickReceived = false
            rings[i].kick = nil
            return VringStatePayload(index: UInt32(i), num: UInt32(rings[i].base)).encoded

        case .setVringKick, .setVringCall, .setVringErr:
            let p = VringFileDescriptorPayload(rawValue: try u64Body(request, body))
            guard !p.hasReservedBits else { throw .invalidBody(request) }
            let i = try ringIndex(UInt32(p.index), request)
            var event: EventFD?
            if let fd = message.fds.first {
                do { event = try EventFD(adopting: fd) } catch { throw .device(error) }
            }
            switch request {
            case .setVringKick:
                if rings[i].started {
                    // A new kick for a running ring: restart it on the new fd, keeping its position.
                    rings[i].base = backend.stopQueue(i)
                    rings[i].started = false
                }
                rings[i].kick = event
                rings[i].kickReceived = true
                try startIfReady(i)
            case .setVringCall:
                rings[i].call = event
                if rings[i].started { backend.setCall(i, event) }
            default:
                rings[i].err = event
                if rings[i].started { backend.setErr(i, event) }
            }
            return nil

        case .setVringEnable:
            let (i, num) = try stateBody(request, body)
            guard ackedFeatures.contains(.protocolFeatures) else { throw .notNegotiated(request) }
            guard num <= 1 else { throw .invalidParameter("SET_VRING_ENABLE: \(num)") }
            rings[i].enabled = num == 1
            if num == 0 && rings[i].started {
                rings[i].base = backend.stopQueue(i)
                rings[i].started = false
            }
            try startIfReady(i)
            return nil

        case .getConfig:
            try requireProtocol(.config, request)
            guard let c = ConfigPayload(decoding: body) else { throw .invalidBody(request) }
            let space = backend.configSpace()
            guard let start = Int(exactly: c.offset), start <= space.count, c.payload.count <= space.count - start
            else {
                throw .invalidParameter("GET_CONFIG: range outside the \(space.count)-byte config space")
            }
            return ConfigPayload(offset: c.offset, flags: c.flags,
                                 payload: Array(space[start..<(start + c.payload.count)])).encoded

        case .setConfig:
            try requireProtocol(.config, request)
            guard let c = ConfigPayload(decoding: body) else { throw .invalidBody(request) }
            let count = backend.configSpace().count
            guard let start = Int(exactly: c.offset), start <= count, c.payload.count <= count - start else {
                throw .invalidParameter("SET_CONFIG: range outside the config space")
            }
            try backend.writeConfig(offset: start, bytes: c.payload)
            return nil

        case .setStatus:
            try requireProtocol(.status, request)
            let v = try u64Body(request, body)
            guard let s = UInt8(exactly: v) else { throw .invalidParameter("SET_STATUS: \(v)") }
            status = s
            return nil

        case .getStatus:
            try noBody(request, body)
            try requireProtocol(.status, request)
            return WireWriter.u64Body(UInt64(status))

        case .setBackendReqFD:
            try noBody(request, body)
            // Accepted, and the socket closed at once: this back-end sends no back-end requests (it does not offer
            // BACKEND_REQ, so a conforming front-end does not send this).
            return nil

        case .setLogBase, .setLogFD:
            // Dirty logging (migration) needs LOG_SHMFD, which is not offered: refuse cleanly.
            throw .notNegotiated(request)

        case .sendRARP, .netSetMTU, .iotlbMsg, .setVringEndian, .createCryptoSession, .closeCryptoSession,
             .postcopyAdvise, .postcopyListen, .postcopyEnd, .getInflightFD, .setInflightFD, .gpuSetSocket,
             .vringKick:
            // Requests of features this back-end never offers.
            throw .notNegotiated(request)
        }
    }

    /// Each region well formed, and no two overlapping in guest-physical or front-end-virtual space.
    private func validateRegions(_ regions: [MemoryRegionPayload]) throws(VhostUserError) {
        for (i, r) in regions.enumerated() {
            guard r.isWellFormed else {
                throw .invalidParameter("memory region \(i): size 0 or address overflow")
            }
            for j in 0..<i where regions[j].overlaps(r) {
                throw .invalidParameter("memory regions \(j) and \(i) overlap")
            }
        }
    }

    private func startIfReady(_ i: Int) throws(VhostUserError) {
        guard rings[i].isReady, let size = rings[i].size, let address = rings[i].address else { return }
        let n = UInt64(size)
        // virtio 1.2 §2.7: descriptor table 16*n, available ring 6+2n, used ring 6+8n bytes.
        guard userRangeInMemory(address.descriptorTable, length: 16 * n),
              userRangeInMemory(address.availableRing, length: 6 + 2 * n),
              userRangeInMemory(address.usedRing, length: 6 + 8 * n)
        else {
            throw .invalidParameter("ring \(i) addresses are not inside guest memory")
        }
        let config = VringConfiguration(index: i, size: size, address: address, nextAvailIndex: rings[i].base,
                                        features: ackedFeatures)
        try backend.startQueue(config, kick: rings[i].kick, call: rings[i].call)
        rings[i].started = true
    }

    private func stopAllRings() {
        for i in rings.indices where rings[i].started {
            rings[i].base = backend.stopQueue(i)
            rings[i].started = false
        }
    }
}

extension WireReader {
    /// The first 8 bytes as a little-endian UInt64.
    func u64Value() -> UInt64? {
        var copy = self
        return copy.u64()
    }
}
