/// How nodes are identified and reopened (virtiofsd's `--inode-file-handles`).
public enum FileHandleMode: String, Sendable, Hashable, CaseIterable {
    /// Every node holds an O_PATH descriptor for as long as the guest knows it, identified by (device, inode):
    /// one descriptor per node, so the guest can know at most as many files as RLIMIT_NOFILE allows.
    case never
    /// A node is identified by its file handle (name_to_handle_at) and mount, and opened again on demand with
    /// open_by_handle_at; O_PATH descriptors are only a bounded cache. Nodes on a filesystem that cannot export
    /// handles (EOPNOTSUPP, EOVERFLOW) fall back to holding an O_PATH descriptor, and so does every node when
    /// handles cannot be opened (no CAP_DAC_READ_SEARCH). The default.
    case prefer
    /// As `prefer`, without the fallback: a shared directory whose filesystem refuses handles, or a process
    /// without CAP_DAC_READ_SEARCH, is an error at start, and a lookup on a submount that refuses them fails
    /// with EOPNOTSUPP.
    case mandatory
}
