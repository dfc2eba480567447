/// A `vhost-user-fs-pci` device to give the guest, served by a backend listening on a Unix socket.
///
/// QEMU connects to `socketPath` as a client when it starts, so the backend must already be listening.
public struct VhostUserFSDevice: Sendable, Hashable {
    /// The backend's vhost-user socket.
    public var socketPath: String
    /// The tag the guest mounts (`mount -t virtiofs <tag> /mnt`); at most 36 bytes (virtio 1.2 §5.11.4).
    public var tag: String
    /// The request queue size (`queue-size=`), or nil for QEMU's default (128).
    public var queueSize: Int?

    /// Describes a device; see the properties.
    public init(socketPath: String, tag: String, queueSize: Int? = nil) {
        self.socketPath = socketPath
        self.tag = tag
        self.queueSize = queueSize
    }

    /// The QEMU arguments for this device as the `index`th vhost-user-fs device (chardev id `fs<index>`).
    func qemuArguments(index: Int) -> [String] {
        var device = "vhost-user-fs-pci,chardev=fs\(index),tag=\(Self.escapeOption(tag))"
        if let queueSize { device += ",queue-size=\(queueSize)" }
        return [
            "-chardev", "socket,id=fs\(index),path=\(Self.escapeOption(socketPath))",
            "-device", device,
        ]
    }

    /// Checks what QEMU and the guest kernel command line cannot carry.
    func validate() throws(QEMUTestKitError) {
        guard !tag.isEmpty, tag.utf8.count <= 36 else {
            throw .invalidConfiguration("virtio-fs tag '\(tag)' must be 1 to 36 bytes")
        }
        guard !socketPath.isEmpty else { throw .invalidConfiguration("empty vhost-user socket path") }
        if let queueSize, queueSize <= 0 || queueSize > 32768 || queueSize & (queueSize - 1) != 0 {
            throw .invalidConfiguration("queue-size \(queueSize) must be a power of two up to 32768")
        }
    }

    /// QEMU option values escape a comma by doubling it.
    static func escapeOption(_ value: String) -> String {
        var escaped = ""
        for character in value {
            escaped.append(character)
            if character == "," { escaped.append(",") }
        }
        return escaped
    }
}
