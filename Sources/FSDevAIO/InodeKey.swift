import Glibc
import LinuxSystem

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

    /// The key of a statx result: the device number encoded as Glibc's makedev encodes `st_dev`.
    init(_ sx: statx) {
        let major = UInt64(sx.stx_dev_major), minor = UInt64(sx.stx_dev_minor)
        device = (major & 0xffff_f000) << 32 | (major & 0xfff) << 8 | (minor & 0xffff_ff00) << 12 | (minor & 0xff)
        inode = sx.stx_ino
    }
}
