import FUSE

/// What a virtio-fs device offers its driver (virtio 1.2 §5.11).
public struct VirtioFSConfiguration: Sendable, Equatable {
    /// Mount tag, 1...36 bytes (virtio 1.2 §5.11.4: `tag[36]`, not NUL-terminated when 36 bytes long), or nil
    /// when the front-end sets it (QEMU's `tag=` property): then the configuration space is not offered
    /// (no VHOST_USER_PROTOCOL_F_CONFIG), as virtiofsd does without `--tag`.
    public var tag: String?
    /// Request queues (the hiprio queue is extra): `num_request_queues`.
    public var requestQueues: Int
    /// Largest queue size accepted from the front-end.
    public var maxQueueSize: Int
    /// Requests in flight per queue.
    public var slotsPerQueue: Int
    /// FUSE INIT offer.
    public var fuse: FUSEInitNegotiation.Options
    /// How long GET_VRING_BASE waits for aborted in-flight requests before it answers without them.
    public var stopTimeoutMilliseconds: Int

    public init(tag: String?, requestQueues: Int = 1, maxQueueSize: Int = 1024, slotsPerQueue: Int = 128,
                fuse: FUSEInitNegotiation.Options = FUSEInitNegotiation.Options(),
                stopTimeoutMilliseconds: Int = 5_000) {
        self.tag = tag
        self.requestQueues = requestQueues
        self.maxQueueSize = maxQueueSize
        self.slotsPerQueue = slotsPerQueue
        self.fuse = fuse
        self.stopTimeoutMilliseconds = stopTimeoutMilliseconds
    }

    /// The device configuration space: `struct virtio_fs_config { u8 tag[36]; le32 num_request_queues; }`.
    public var configSpace: [UInt8] {
        var bytes = [UInt8](repeating: 0, count: 40)
        for (i, b) in (tag ?? "").utf8.prefix(36).enumerated() { bytes[i] = b }
        let n = UInt32(clamping: requestQueues)
        for i in 0..<4 { bytes[36 + i] = UInt8(truncatingIfNeeded: n >> (8 * i)) }
        return bytes
    }
}
