import Glibc

/// Identity of a host inode: (device, inode number). Nodes are deduplicated on it, so the same file reached by two
/// names or two hard links is one node; the node's O_PATH descriptor pins the inode, so the number cannot be
/// reused while the node exists.
struct InodeKey: Hashable, Sendable {
    let device: UInt64
    let inode: UInt64

    init(_ st: stat) {
        device = UInt64(st.st_dev)
        inode = UInt64(st.st_ino)
    }
}
