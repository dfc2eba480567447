import LinuxSystem

/// What makes two lookups the same node: the inode's file handle on its mount, or, for a node without a handle
/// (`FileHandleMode.never`, or a filesystem that cannot export handles), its (device, inode) pair, which is only
/// stable because such a node holds a descriptor that keeps the inode alive.
///
/// A handle carries the inode's generation, so a key outlives the descriptor: after the file is deleted and its
/// inode number reused, the new file gets another key.
struct NodeKey: Hashable, Sendable {
    /// `mount` of a key made from (device, inode).
    static let noMount = UInt64.max
    /// Handle type of a key made from (device, inode): no filesystem uses negative types.
    static let inodeType: Int32 = -1

    /// The id of the handle's mount (as `NodeIdentity.handle` gives it), or `noMount`.
    let mount: UInt64
    /// The file handle, or the (device, inode) pair as 16 bytes.
    let handle: KernelFileHandle

    /// The key of a handle on the mount whose id is `mount`.
    init(mount: UInt64, handle: KernelFileHandle) {
        self.mount = mount
        self.handle = handle
    }

    /// The key of a node identified by (device, inode).
    init(inode: InodeKey) {
        mount = Self.noMount
        var pair = (inode.device, inode.inode)
        // SAFETY: 16 bytes read from a local tuple of two UInt64, inside the closure.
        handle = withUnsafeBytes(of: &pair) { KernelFileHandle(type: Self.inodeType, bytes: $0) }
    }

    /// Whether the key is a file handle (the node can be reopened without a descriptor).
    var isHandle: Bool { mount != Self.noMount }
}

/// How the device identified an inode it looked up, before the node table turns it into a `NodeKey`.
enum NodeIdentity: Sendable {
    /// A file handle and the id of its mount (unique or classic, per the device's `FileHandleSupport`).
    case handle(KernelFileHandle, mountID: UInt64)
    /// No handle: (device, inode).
    case inode(InodeKey)
}

/// Where a looked-up inode is, as statx tells without a file handle: mount, device and inode number. Two open
/// descriptors with the same triple name the same inode (an open descriptor keeps its inode, and so its number,
/// alive), so a lookup that finds the triple among the cached descriptors has found its node without computing
/// the handle.
struct OpenInodeKey: Hashable, Sendable {
    let mountID: UInt64
    let device: UInt64
    let inode: UInt64
}
