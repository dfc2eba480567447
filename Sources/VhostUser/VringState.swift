import LinuxSystem

/// What the request handler knows about one ring between SET_VRING_* messages (vhost-user.rst, "Ring states").
struct VringState {
    /// SET_VRING_NUM, validated.
    var size: UInt16?
    /// SET_VRING_ADDR, validated for flags; ranges are checked when the ring starts and its size is known.
    var address: VringAddressPayload?
    /// SET_VRING_BASE, or what GET_VRING_BASE / disable returned.
    var base: UInt16 = 0
    /// SET_VRING_KICK received (with an fd, or the no-fd polling flag).
    var kickReceived = false
    /// The kick eventfd; nil while polling.
    var kick: EventFD?
    /// The call eventfd; nil when the front-end polls the used ring.
    var call: EventFD?
    /// The error eventfd.
    var err: EventFD?
    /// SET_VRING_ENABLE, or enabled from the start when protocol features were not negotiated.
    var enabled = false
    /// The device is serving the ring.
    var started = false

    /// Whether the ring has everything to start (vhost-user.rst: "started when it has a kick and is enabled").
    var isReady: Bool { kickReceived && enabled && size != nil && address != nil && !started }
}
