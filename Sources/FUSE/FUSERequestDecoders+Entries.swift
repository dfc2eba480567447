import CLinux
import FSDev
import LinuxSystem

/// Requests that look up, make or remove a name.
extension FUSERequestDecoders {
    /// FUSE_LOOKUP: a name.
    static func lookup(_ r: inout FUSEDecoding) throws(Errno) -> FUSESubmission {
        try r.needReply(FUSEDecoding.entrySize)
        return FUSESubmission(.lookup(parent: r.node, name: try r.name()))
    }

    /// FUSE_SYMLINK: the link's name, then its target.
    static func symlink(_ r: inout FUSEDecoding) throws(Errno) -> FUSESubmission {
        try r.needReply(FUSEDecoding.entrySize)
        let (linkName, target) = try r.twoNames()
        return FUSESubmission(.symlink(parent: r.node, name: linkName, target: target))
    }

    /// FUSE_MKNOD: `fuse_mknod_in`, then a name.
    static func mknod(_ r: inout FUSEDecoding) throws(Errno) -> FUSESubmission {
        try r.needReply(FUSEDecoding.entrySize)
        let a = try r.arguments(fuse_mknod_in.self)
        return FUSESubmission(.mknod(parent: r.node, name: try r.name(), mode: a.mode, rdev: a.rdev), umask: a.umask)
    }

    /// FUSE_MKDIR: `fuse_mkdir_in`, then a name.
    static func mkdir(_ r: inout FUSEDecoding) throws(Errno) -> FUSESubmission {
        try r.needReply(FUSEDecoding.entrySize)
        let a = try r.arguments(fuse_mkdir_in.self)
        return FUSESubmission(.mkdir(parent: r.node, name: try r.name(), mode: a.mode), umask: a.umask)
    }

    /// FUSE_UNLINK: a name.
    static func unlink(_ r: inout FUSEDecoding) throws(Errno) -> FUSESubmission {
        FUSESubmission(.unlink(parent: r.node, name: try r.name()))
    }

    /// FUSE_RMDIR: a name.
    static func rmdir(_ r: inout FUSEDecoding) throws(Errno) -> FUSESubmission {
        FUSESubmission(.rmdir(parent: r.node, name: try r.name()))
    }

    /// FUSE_RENAME: `fuse_rename_in`, then the old and the new name.
    static func rename(_ r: inout FUSEDecoding) throws(Errno) -> FUSESubmission {
        let a = try r.arguments(fuse_rename_in.self)
        let (old, new) = try r.twoNames()
        return FUSESubmission(.rename(parent: r.node, name: old, newParent: NodeID(rawValue: a.newdir), newName: new,
                                      flags: []))
    }

    /// FUSE_RENAME2: `fuse_rename2_in` (with RENAME_* flags), then the old and the new name.
    static func rename2(_ r: inout FUSEDecoding) throws(Errno) -> FUSESubmission {
        let a = try r.arguments(fuse_rename2_in.self)
        let (old, new) = try r.twoNames()
        return FUSESubmission(.rename(parent: r.node, name: old, newParent: NodeID(rawValue: a.newdir), newName: new,
                                      flags: RenameFlags(rawValue: a.flags)))
    }

    /// FUSE_LINK: `fuse_link_in`, then the new name; the header's node is the new parent.
    static func link(_ r: inout FUSEDecoding) throws(Errno) -> FUSESubmission {
        try r.needReply(FUSEDecoding.entrySize)
        let a = try r.arguments(fuse_link_in.self)
        return FUSESubmission(.link(node: NodeID(rawValue: a.oldnodeid), newParent: r.node, newName: try r.name()))
    }

    /// FUSE_CREATE: `fuse_create_in`, then a name.
    static func create(_ r: inout FUSEDecoding) throws(Errno) -> FUSESubmission {
        try r.needReply(FUSEDecoding.entrySize + MemoryLayout<fuse_open_out>.size)
        let a = try r.arguments(fuse_create_in.self)
        return FUSESubmission(.create(parent: r.node, name: try r.name(), mode: a.mode,
                                      flags: Int32(bitPattern: a.flags)),
                              umask: a.umask, killSetID: a.open_flags & UInt32(FUSE_OPEN_KILL_SUIDGID) != 0)
    }

    /// FUSE_TMPFILE: `fuse_create_in`; the kernel sends the placeholder name of its unnamed dentry, not used.
    static func tmpfile(_ r: inout FUSEDecoding) throws(Errno) -> FUSESubmission {
        try r.needReply(FUSEDecoding.entrySize + MemoryLayout<fuse_open_out>.size)
        let a = try r.arguments(fuse_create_in.self)
        return FUSESubmission(.tmpfile(parent: r.node, mode: a.mode, flags: Int32(bitPattern: a.flags)), umask: a.umask)
    }
}
