import LinuxSystem

/// Ring set-up, start and stop (vhost-user.rst, "Ring states"; virtio 1.2 §2.7).
extension VhostUserRequestHandler {
    /// A `vhost_vring_state` body and its queue index, checked against the device's queues.
    private func vringState(_ request: VhostUserRequest, _ body: [UInt8]) throws(VhostUserError)
        -> (Int, VringStatePayload)
    {
        let s = try VringStatePayload.decoded(from: body, for: request)
        return (try s.validatedIndex(queueCount: rings.count, for: request), s)
    }

    /// VHOST_USER_SET_VRING_NUM: a power-of-two size up to the device's maximum, on a stopped ring.
    func setVringNum(_ body: [UInt8]) throws(VhostUserError) {
        let (i, s) = try vringState(.setVringNum, body)
        let size = try s.validatedQueueSize(maxQueueSize: backend.maxQueueSize)
        if rings[i].started { throw .invalidState(.setVringNum) }
        rings[i].size = size
    }

    /// VHOST_USER_SET_VRING_ADDR: flags checked now, ranges when the ring starts.
    func setVringAddress(_ body: [UInt8]) throws(VhostUserError) {
        let a = try VringAddressPayload.decoded(from: body, for: .setVringAddr)
        let i = try VringStatePayload.validatedIndex(a.index, queueCount: rings.count, for: .setVringAddr)
        if rings[i].started { throw .invalidState(.setVringAddr) }
        rings[i].address = a
        try startIfReady(i)
    }

    /// VHOST_USER_SET_VRING_BASE: the next available index of a stopped ring.
    func setVringBase(_ body: [UInt8]) throws(VhostUserError) {
        let (i, s) = try vringState(.setVringBase, body)
        let base = try s.validatedBase()
        if rings[i].started { throw .invalidState(.setVringBase) }
        rings[i].base = base
    }

    /// VHOST_USER_GET_VRING_BASE: stops the ring (after its in-flight work) and returns its next available index;
    /// it starts again after the next SET_VRING_KICK.
    func getVringBase(_ body: [UInt8]) throws(VhostUserError) -> [UInt8] {
        let (i, _) = try vringState(.getVringBase, body)
        if rings[i].started {
            rings[i].base = backend.stopQueue(i)
            rings[i].started = false
        }
        rings[i].kickReceived = false
        rings[i].kick = nil
        return VringStatePayload(index: UInt32(i), num: UInt32(rings[i].base)).encoded
    }

    /// VHOST_USER_SET_VRING_KICK / _CALL / _ERR: an eventfd, or none with the polling flag.
    func setVringFileDescriptor(_ request: VhostUserRequest, _ message: VhostUserMessage) throws(VhostUserError) {
        let p = try VringFileDescriptorPayload.decoded(from: message.body, for: request)
        let i = try VringStatePayload.validatedIndex(UInt32(p.index), queueCount: rings.count, for: request)
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
    }

    /// VHOST_USER_SET_VRING_ENABLE: only with VHOST_USER_F_PROTOCOL_FEATURES; disabling stops the ring.
    func setVringEnable(_ body: [UInt8]) throws(VhostUserError) {
        let (i, s) = try vringState(.setVringEnable, body)
        guard ackedFeatures.contains(.protocolFeatures) else { throw .notNegotiated(.setVringEnable) }
        let enabled = try s.validatedEnable()
        rings[i].enabled = enabled
        if !enabled && rings[i].started {
            rings[i].base = backend.stopQueue(i)
            rings[i].started = false
        }
        try startIfReady(i)
    }

    /// Starts ring `i` when it has everything, its three parts inside guest memory.
    func startIfReady(_ i: Int) throws(VhostUserError) {
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

    func stopAllRings() {
        for i in rings.indices where rings[i].started {
            rings[i].base = backend.stopQueue(i)
            rings[i].started = false
        }
    }
}
