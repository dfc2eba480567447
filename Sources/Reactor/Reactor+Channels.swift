import LinuxSystem

extension Reactor {
    /// Returns the channel of `device` on this reactor, creating it on first use (SPDK's `spdk_get_io_channel`).
    /// Each call takes a reference; balance it with `releaseChannel(for:)`. Must be called on the reactor.
    public func channel<Device: IODevice>(for device: Device) throws(Errno) -> Device.Channel {
        preconditionOnReactor("channel(for:)")
        let key = ObjectIdentifier(device)
        if let slot = channelSlots[key] {
            guard let channel = slot.channel as? Device.Channel else {
                preconditionFailure("channel slot of \(Device.self) holds \(type(of: slot.channel))")
            }
            slot.references += 1
            return channel
        }
        let channel = try device.makeChannel(on: self)
        channelSlots[key] = ChannelSlot(device: device, channel: channel) { [unowned self] in
            device.destroyChannel(channel, on: self)
        }
        return channel
    }

    /// Drops one reference to the channel of `device`; the last one destroys it (SPDK's `spdk_put_io_channel`).
    /// Must be called on the reactor.
    public func releaseChannel<Device: IODevice>(for device: Device) {
        preconditionOnReactor("releaseChannel(for:)")
        let key = ObjectIdentifier(device)
        guard let slot = channelSlots[key] else { return }
        slot.references -= 1
        if slot.references <= 0 {
            channelSlots.removeValue(forKey: key)
            slot.destroy()
        }
    }

    /// Number of references held on the channel of `device` here (0: no channel). Must be called on the reactor.
    public func channelReferenceCount<Device: IODevice>(for device: Device) -> Int {
        preconditionOnReactor("channelReferenceCount(for:)")
        return channelSlots[ObjectIdentifier(device)]?.references ?? 0
    }

    /// Destroys every channel, whatever its reference count (the reactor is stopping).
    func destroyAllChannels() {
        let slots = channelSlots.values
        channelSlots.removeAll()
        for slot in slots { slot.destroy() }
    }
}
