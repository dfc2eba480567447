/// Feature negotiation, ownership, status and the config space (vhost-user.rst, "Front-end message types").
extension VhostUserRequestHandler {
    /// VHOST_USER_GET_FEATURES: the device's virtio features and VHOST_USER_F_PROTOCOL_FEATURES.
    func getFeatures(_ body: [UInt8]) throws(VhostUserError) -> [UInt8] {
        try noBody(.getFeatures, body)
        return WireWriter.u64Body(offeredFeatures.rawValue)
    }

    /// VHOST_USER_SET_FEATURES: only offered bits. Without VHOST_USER_F_PROTOCOL_FEATURES rings start enabled;
    /// with it, disabled until SET_VRING_ENABLE.
    func setFeatures(_ body: [UInt8]) throws(VhostUserError) {
        let v = VirtioFeatures(rawValue: try u64Body(.setFeatures, body))
        guard offeredFeatures.isSuperset(of: v) else {
            let extra = String(v.rawValue & ~offeredFeatures.rawValue, radix: 16)
            throw .invalidParameter("SET_FEATURES: bits not offered \(extra)")
        }
        try backend.setFeatures(v)
        ackedFeatures = v
        for i in rings.indices where !rings[i].started {
            rings[i].enabled = !v.contains(.protocolFeatures)
        }
    }

    /// VHOST_USER_GET_PROTOCOL_FEATURES.
    func getProtocolFeatures(_ body: [UInt8]) throws(VhostUserError) -> [UInt8] {
        try noBody(.getProtocolFeatures, body)
        return WireWriter.u64Body(offeredProtocolFeatures.rawValue)
    }

    /// VHOST_USER_SET_PROTOCOL_FEATURES: only offered bits.
    func setProtocolFeatures(_ body: [UInt8]) throws(VhostUserError) {
        let v = VhostUserProtocolFeatures(rawValue: try u64Body(.setProtocolFeatures, body))
        guard offeredProtocolFeatures.isSuperset(of: v) else {
            throw .invalidParameter("SET_PROTOCOL_FEATURES: bits not offered")
        }
        ackedProtocolFeatures = v
    }

    /// VHOST_USER_SET_OWNER: once per connection.
    func setOwner(_ body: [UInt8]) throws(VhostUserError) {
        try noBody(.setOwner, body)
        if owned { throw .invalidState(.setOwner) }
        owned = true
    }

    /// VHOST_USER_RESET_OWNER: the device is reset and the connection unowned.
    func resetOwner(_ body: [UInt8]) throws(VhostUserError) {
        try noBody(.resetOwner, body)
        resetDevice()
        owned = false
    }

    /// VHOST_USER_RESET_DEVICE (VHOST_USER_PROTOCOL_F_RESET_DEVICE).
    func resetDevice(_ body: [UInt8]) throws(VhostUserError) {
        try noBody(.resetDevice, body)
        try requireProtocol(.resetDevice, .resetDevice)
        resetDevice()
    }

    /// VHOST_USER_GET_QUEUE_NUM (VHOST_USER_PROTOCOL_F_MQ).
    func getQueueNum(_ body: [UInt8]) throws(VhostUserError) -> [UInt8] {
        try noBody(.getQueueNum, body)
        try requireProtocol(.multiQueue, .getQueueNum)
        return WireWriter.u64Body(UInt64(rings.count))
    }

    /// VHOST_USER_GET_MAX_MEM_SLOTS (VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS).
    func getMaxMemSlots(_ body: [UInt8]) throws(VhostUserError) -> [UInt8] {
        try noBody(.getMaxMemSlots, body)
        try requireProtocol(.configureMemorySlots, .getMaxMemSlots)
        return WireWriter.u64Body(UInt64(backend.maxMemorySlots))
    }

    /// VHOST_USER_GET_CONFIG (VHOST_USER_PROTOCOL_F_CONFIG): the asked range of the device's config space.
    func getConfig(_ body: [UInt8]) throws(VhostUserError) -> [UInt8] {
        try requireProtocol(.config, .getConfig)
        let c = try ConfigPayload.decoded(from: body, for: .getConfig)
        let space = backend.configSpace()
        let range = try c.validatedRange(spaceSize: space.count, for: .getConfig)
        return ConfigPayload(offset: c.offset, flags: c.flags, payload: Array(space[range])).encoded
    }

    /// VHOST_USER_SET_CONFIG (VHOST_USER_PROTOCOL_F_CONFIG): a write inside the device's config space.
    func setConfig(_ body: [UInt8]) throws(VhostUserError) {
        try requireProtocol(.config, .setConfig)
        let c = try ConfigPayload.decoded(from: body, for: .setConfig)
        let range = try c.validatedRange(spaceSize: backend.configSpace().count, for: .setConfig)
        try backend.writeConfig(offset: range.lowerBound, bytes: c.payload)
    }

    /// VHOST_USER_SET_STATUS (VHOST_USER_PROTOCOL_F_STATUS): a virtio device status byte.
    func setStatus(_ body: [UInt8]) throws(VhostUserError) {
        try requireProtocol(.status, .setStatus)
        let v = try u64Body(.setStatus, body)
        guard let s = UInt8(exactly: v) else { throw .invalidParameter("SET_STATUS: \(v)") }
        status = s
    }

    /// VHOST_USER_GET_STATUS (VHOST_USER_PROTOCOL_F_STATUS).
    func getStatus(_ body: [UInt8]) throws(VhostUserError) -> [UInt8] {
        try noBody(.getStatus, body)
        try requireProtocol(.status, .getStatus)
        return WireWriter.u64Body(UInt64(status))
    }
}
