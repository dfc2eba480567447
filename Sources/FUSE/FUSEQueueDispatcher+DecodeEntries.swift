import CLinux
import FSDev
import LinuxSystem

/// Decoders of the requests that look up, make or remove a name.
extension FUSEQueueDispatcher {
    /// FUSE_LOOKUP: a name.
    func decodeLookup(_ r: inout FUSEDecoding) throws(Errno) {
        try r.needReply(FUSEDecoding.entrySize)
        submit(&r, .lookup(parent: r.node, name: try r.name()))
    }

    /// FUSE_SYMLINK: the link's name, then its target.
    func decodeSymlink(_ r: inout FUSEDecoding) throws(Errno) {
        try r.needReply(FUSEDecoding.entrySize)
        let (linkName, target) = try r.twoNames()
        submit(&r, .symlink(parent: r.node, name: linkName, target: target))
    }

    /// FUSE_MKNOD: `fuse_mknod_in`, then a name.
    func decodeMknod(_ r: inout FUSEDecoding) throws(Errno) {
        try r.needReply(FUSEDecoding.entrySize)
        let a = try r.arguments(fuse_mknod_in.self)
        r.umask = a.umask
        submit(&r, .mknod(parent: r.node, name: try r.name(), mode: a.mode, rdev: a.rdev))
    }

    /// FUSE_MKDIR: `fuse_mkdir_in`, then a name.
    func decodeMkdir(_ r: inout FUSEDecoding) throws(Errno) {
        try r.needReply(FUSEDecoding.entrySize)
        let a = try r.arguments(fuse_mkdir_in.self)
        r.umask = a.umask
        submit(&r, .mkdir(parent: r.node, name: try r.name(), mode: a.mode))
    }

    /// FUSE_UNLINK: a name.
    func decodeUnlink(_ r: inout FUSEDecoding) throws(Errno) {
        submit(&r, .unlink(parent: r.node, name: try r.name()))
    }

    /// FUSE_RMDIR: a name.
    func decodeRmdir(_ r: inout FUSEDecoding) throws(Errno) {
        submit(&r, .rmdir(parent: r.node, name: try r.name()))
    }

    /// FUSE_RENAME: `fuse_rename_in`, then the old and the new name.
    func decodeRename(_ r: inout FUSEDecoding) throws(Errno) {
        let a = try r.arguments(fuse_rename_in.self)
        let (old, new) = try r.twoNames()
        submit(&r, .rename(parent: r.node, name: old, newParent: NodeID(rawValue: a.newdir), newName: new,
                       flags: []))
    }

    /// FUSE_RENAME2: `fuse_rename2_in` (with RENAME_* flags), then the old and the new name.
    func decodeRename2(_ r: inout FUSEDecoding) throws(Errno) {
        let a = try r.arguments(fuse_rename2_in.self)
        let (old, new) = try r.twoNames()
        submit(&r, .rename(parent: r.node, name: old, newParent: NodeID(rawValue: a.newdir), newName: new,
                       flags: RenameFlags(rawValue: a.flags)))
    }

    /// FUSE_LINK: `fuse_link_in`, then the new name; the header's node is the new parent.
    func decodeLink(_ r: inout FUSEDecoding) throws(Errno) {
        try r.needReply(FUSEDecoding.entrySize)
        let a = try r.arguments(fuse_link_in.self)
        submit(&r, .link(node: NodeID(rawValue: a.oldnodeid), newParent: r.node, newName: try r.name()))
    }

    /// FUSE_CREATE: `fuse_create_in`, then a name.
    func decodeCreate(_ r: inout FUSEDecoding) throws(Errno) {
        try r.needReply(FUSEDecoding.entrySize + MemoryLayout<fuse_open_out>.size)
        let a = try r.arguments(fuse_create_in.self)
        r.umask = a.umask
        r.killSetID = a.open_flags & UInt32(FUSE_OPEN_KILL_SUIDGID) != 0
        submit(&r, .create(parent: r.node, name: try r.name(), mode: a.mode,
                       flags: Int32(bitPattern: a.flags)))
    }

    /// FUSE_TMPFILE: `fuse_create_in`; the kernel sends the placeholder name of its unnamed dentry, not used.
    func decodeTmpfile(_ r: inout FUSEDecoding) throws(Errno) {
        try r.needReply(FUSEDecoding.entrySize + MemoryLayout<fuse_open_out>.size)
        let a = try r.arguments(fuse_create_in.self)
        r.umask = a.umask
        submit(&r, .tmpfile(parent: r.node, mode: a.mode, flags: Int32(bitPattern: a.flags)))
    }
}
