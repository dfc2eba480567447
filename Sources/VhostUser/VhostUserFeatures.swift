/// Virtio device feature bits that the vhost-user layer itself cares about (virtio 1.2 §6, vhost-user.rst).
public struct VirtioFeatures: OptionSet, Sendable, Hashable {
    public let rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }

    /// VIRTIO_RING_F_INDIRECT_DESC (28): indirect descriptor tables (virtio 1.2 §2.7.5.3).
    public static let ringIndirectDescriptors = VirtioFeatures(rawValue: 1 << 28)
    /// VIRTIO_RING_F_EVENT_IDX (29): used_event/avail_event notification suppression (virtio 1.2 §2.7.7, §2.7.10).
    public static let ringEventIndex = VirtioFeatures(rawValue: 1 << 29)
    /// VHOST_USER_F_PROTOCOL_FEATURES (30): protocol features may be negotiated; rings start disabled.
    public static let protocolFeatures = VirtioFeatures(rawValue: 1 << 30)
    /// VIRTIO_F_VERSION_1 (32): a modern (virtio 1.x) device.
    public static let version1 = VirtioFeatures(rawValue: 1 << 32)
    /// VHOST_F_LOG_ALL (26): dirty-page logging for migration. Not offered.
    public static let logAll = VirtioFeatures(rawValue: 1 << 26)
}

/// vhost-user protocol feature bits (vhost-user.rst, "Protocol features").
public struct VhostUserProtocolFeatures: OptionSet, Sendable, Hashable {
    public let rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }

    /// VHOST_USER_PROTOCOL_F_MQ (0): GET_QUEUE_NUM.
    public static let multiQueue = VhostUserProtocolFeatures(rawValue: 1 << 0)
    /// VHOST_USER_PROTOCOL_F_LOG_SHMFD (1).
    public static let logSharedMemory = VhostUserProtocolFeatures(rawValue: 1 << 1)
    /// VHOST_USER_PROTOCOL_F_REPLY_ACK (3): the NEED_REPLY flag asks for a u64 status reply.
    public static let replyAck = VhostUserProtocolFeatures(rawValue: 1 << 3)
    /// VHOST_USER_PROTOCOL_F_BACKEND_REQ (5).
    public static let backendRequests = VhostUserProtocolFeatures(rawValue: 1 << 5)
    /// VHOST_USER_PROTOCOL_F_CONFIG (9): GET_CONFIG / SET_CONFIG.
    public static let config = VhostUserProtocolFeatures(rawValue: 1 << 9)
    /// VHOST_USER_PROTOCOL_F_INFLIGHT_SHMFD (12).
    public static let inflightSharedMemory = VhostUserProtocolFeatures(rawValue: 1 << 12)
    /// VHOST_USER_PROTOCOL_F_RESET_DEVICE (13): RESET_DEVICE.
    public static let resetDevice = VhostUserProtocolFeatures(rawValue: 1 << 13)
    /// VHOST_USER_PROTOCOL_F_INBAND_NOTIFICATIONS (14).
    public static let inbandNotifications = VhostUserProtocolFeatures(rawValue: 1 << 14)
    /// VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS (15): GET_MAX_MEM_SLOTS, ADD_MEM_REG, REM_MEM_REG.
    public static let configureMemorySlots = VhostUserProtocolFeatures(rawValue: 1 << 15)
    /// VHOST_USER_PROTOCOL_F_STATUS (16): SET_STATUS / GET_STATUS.
    public static let status = VhostUserProtocolFeatures(rawValue: 1 << 16)
}
