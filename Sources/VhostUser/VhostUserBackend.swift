import LinuxSystem

/// A memory region handed to the device: the validated description and the fd to map.
public struct VhostUserMemoryRegion: Sendable {
    /// Validated: size > 0, no end overflows, no overlap with other regions of the table.
    public var description: MemoryRegionPayload
    /// The memory fd, owned by the device from now on.
    public var descriptor: FileDescriptor

    public init(description: MemoryRegionPayload, descriptor: FileDescriptor) {
        self.description = description
        self.descriptor = descriptor
    }
}

/// Everything the device needs to start a ring, gathered from SET_VRING_NUM/ADDR/BASE and SET_FEATURES.
public struct VringConfiguration: Sendable, Equatable {
    /// Queue index (< the device's queue count).
    public var index: Int
    /// Queue size: a power of two, 1...maxQueueSize.
    public var size: UInt16
    /// Ring addresses as front-end virtual addresses; the device translates them through its memory map.
    public var address: VringAddressPayload
    /// Next available index to process (SET_VRING_BASE).
    public var nextAvailIndex: UInt16
    /// The virtio features the driver acknowledged (event idx, indirect descriptors...).
    public var features: VirtioFeatures
}

/// The device behind a vhost-user back-end (rust-vmm's `VhostUserBackend`). The request handler validates every
/// message before calling it, and calls it only from the connection's control thread.
///
/// The handler owns the ring lifecycle (vhost-user.rst, "Starting and stopping rings"): it calls `startQueue` when
/// a ring has a size, addresses, a kick (or polling) and is enabled, and `stopQueue` on GET_VRING_BASE, on disable
/// and on reset.
public protocol VhostUserBackend: AnyObject, Sendable {
    /// Number of virtqueues (for virtio-fs: hiprio + request queues).
    var queueCount: Int { get }
    /// Largest queue size accepted by SET_VRING_NUM.
    var maxQueueSize: Int { get }
    /// Virtio features the device offers (VHOST_USER_F_PROTOCOL_FEATURES is added by the handler).
    var deviceFeatures: VirtioFeatures { get }
    /// Protocol features the device supports beyond what the handler implements itself.
    var extraProtocolFeatures: VhostUserProtocolFeatures { get }
    /// Largest number of memory regions (GET_MAX_MEM_SLOTS).
    var maxMemorySlots: Int { get }

    /// Whether the front-end may read the configuration space: VHOST_USER_PROTOCOL_F_CONFIG is offered only then
    /// (vhost-user.rst, "Protocol features"). A device whose front-end supplies the configuration itself (QEMU's
    /// vhost-user-fs sets the tag and queue count from its own properties) leaves it off, so that the front-end
    /// does not warn about a feature it will not use.
    var offersConfigSpace: Bool { get }
    /// The device configuration space (virtio 1.2 §4.1.4.3; for virtio-fs §5.11.4).
    func configSpace() -> [UInt8]
    /// A SET_CONFIG write, already range-checked against `configSpace()`.
    func writeConfig(offset: Int, bytes: [UInt8]) throws(VhostUserError)

    /// The driver's acknowledged features (SET_FEATURES), a subset of what was offered.
    func setFeatures(_ features: VirtioFeatures) throws(VhostUserError)
    /// Replaces the whole memory table (SET_MEM_TABLE). Regions are validated and non-overlapping.
    func setMemoryTable(_ regions: [VhostUserMemoryRegion]) throws(VhostUserError)
    /// Adds one region (ADD_MEM_REG), validated not to overlap the current ones.
    func addMemoryRegion(_ region: VhostUserMemoryRegion) throws(VhostUserError)
    /// Removes the region matching `description` (REM_MEM_REG).
    func removeMemoryRegion(_ description: MemoryRegionPayload) throws(VhostUserError)

    /// Starts serving a ring. `kick` nil means the front-end asked for polling (VHOST_USER_VRING_NOFD_MASK).
    func startQueue(_ configuration: VringConfiguration, kick: EventFD?, call: EventFD?) throws(VhostUserError)
    /// Stops a started ring after its in-flight requests completed; returns the next available index.
    func stopQueue(_ index: Int) -> UInt16
    /// Replaces the call eventfd of a ring (QEMU does this while rings run, e.g. on MSI-X masking).
    func setCall(_ index: Int, _ call: EventFD?)
    /// Replaces the error eventfd of a ring.
    func setErr(_ index: Int, _ err: EventFD?)
    /// Drops all device state of the front-end: rings (already stopped), memory, features.
    func reset()
    /// Signalled by the device when the connection must end although the front-end broke no protocol rule, e.g.
    /// its guest memory became unusable (the file behind a region shrank). The server then disconnects as if the
    /// front-end had gone away. Nil: never.
    var disconnectRequest: EventFD? { get }
}

extension VhostUserBackend {
    public var extraProtocolFeatures: VhostUserProtocolFeatures { [] }
    public var offersConfigSpace: Bool { true }
    public var maxMemorySlots: Int { 509 }
    public func writeConfig(offset: Int, bytes: [UInt8]) throws(VhostUserError) { throw .device(.notPermitted) }
    public func setCall(_ index: Int, _ call: EventFD?) {}
    public func setErr(_ index: Int, _ err: EventFD?) {}
    public var disconnectRequest: EventFD? { nil }
}
