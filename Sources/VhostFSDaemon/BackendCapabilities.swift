/// What `--print-capabilities` prints: the backend description of QEMU's docs/interop/vhost-user.rst ("Backend
/// program conventions") and vhost-user.json.
///
/// Only features that are true for vhostfsd are listed. libvirt reads two for `fs`: `migrate-precopy`, which we
/// do not claim (no device state migration), and `separate-options`, which tells it to pass `--shared-dir`,
/// `--cache`, `--sandbox`, `--xattr`, `--thread-pool-size` and `--log-level` as separate options instead of `-o`.
public enum BackendCapabilities {
    /// The vhost-user device type.
    public static let type = "fs"
    /// The features claimed.
    public static let features = ["separate-options"]

    /// The JSON document, as virtiofsd lays it out, ending with a newline.
    public static var json: String {
        let list = features.map { "    \"\($0)\"" }.joined(separator: ",\n")
        return "{\n  \"type\": \"\(type)\",\n  \"features\": [\n\(list)\n  ]\n}\n"
    }
}
