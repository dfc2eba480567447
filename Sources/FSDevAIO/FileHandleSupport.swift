import LinuxSystem

/// Whether a device identifies its nodes by file handles, as found when it was created.
public enum FileHandleSupport: Sendable, Hashable, CustomStringConvertible {
    /// `FileHandleMode.never`: every node holds an O_PATH descriptor.
    case off
    /// Nodes are identified by handles, with mount ids of this kind (unique ones when the kernel has them).
    case on(mountIDs: FileSystemCall.MountIDKind)
    /// `FileHandleMode.prefer`, but handles cannot be used (the errno says why: EOPNOTSUPP or EOVERFLOW, the
    /// shared directory's filesystem cannot export them; EPERM, CAP_DAC_READ_SEARCH is missing), so every node
    /// holds an O_PATH descriptor.
    case unavailable(Errno)

    /// Whether nodes get handles.
    public var isOn: Bool {
        if case .on = self { return true }
        return false
    }

    public var description: String {
        switch self {
        case .off: "off"
        case .on(let kind): "on (\(kind == .unique ? "unique" : "classic") mount ids)"
        case .unavailable(let e): "unavailable: \(e)"
        }
    }
}
