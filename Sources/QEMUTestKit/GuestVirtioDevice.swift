/// A virtio device the guest saw on its virtio bus, from a `virtio-device=` marker.
public struct GuestVirtioDevice: Sendable, Hashable {
    /// The virtio device id of a file system device (virtio 1.2 §5.11).
    public static let fileSystemDeviceID = 26

    /// The bus name, e.g. `virtio0`.
    public let name: String
    /// The virtio device id (`/sys/bus/virtio/devices/<name>/device`), e.g. 26 for virtio-fs.
    public let deviceID: Int
    /// The subsystem vendor id as the guest printed it, e.g. `0x1af4`.
    public let vendor: String
    /// The driver bound to the device, e.g. `virtiofs`; nil if none is bound.
    public let driver: String?

    /// Reads a `virtio-device=` marker; nil for any other marker or a malformed one.
    public init?(marker: GuestMarker) {
        guard marker.event == "virtio-device", let name = marker.value,
              let idText = marker["id"], let id = Int(idText)
        else { return nil }
        self.name = name
        self.deviceID = id
        self.vendor = marker["vendor"] ?? "unknown"
        let driver = marker["driver"]
        self.driver = (driver == nil || driver == "none") ? nil : driver
    }
}
