import CLinux
import FSDev
import LinuxSystem

/// Bits of `fuse_setattr_in.valid` that map onto `SetAttributes.Fields` (same bit positions: FATTR_MODE, UID, GID,
/// SIZE, ATIME, MTIME, ATIME_NOW, MTIME_NOW).
private let setattrFieldBits: UInt32 = 0x1bf & ~UInt32(FATTR_FH)

/// Offset in the scratch buffer where xattr values go: after the name, which the device copies before it reads
/// the value.
private let xattrValueOffset = 4096

/// Decoders of the requests on attributes, extended attributes, links' targets and the file system as a whole.
extension FUSEQueueDispatcher {
    /// FUSE_GETATTR: `fuse_getattr_in` (a handle with FUSE_GETATTR_FH).
    func decodeGetattr(_ r: inout FUSEDecoding) throws(Errno) {
        try r.needReply(MemoryLayout<fuse_attr_out>.size)
        let a = try r.arguments(fuse_getattr_in.self)
        let handle = a.getattr_flags & UInt32(FUSE_GETATTR_FH) != 0 ? HandleID(rawValue: a.fh) : nil
        submit(&r, .getattr(node: r.node, handle: handle))
    }

    /// FUSE_SETATTR: `fuse_setattr_in`; nanoseconds clamped below a second.
    func decodeSetattr(_ r: inout FUSEDecoding) throws(Errno) {
        try r.needReply(MemoryLayout<fuse_attr_out>.size)
        let a = try r.arguments(fuse_setattr_in.self)
        let attributes = SetAttributes(
            fields: SetAttributes.Fields(rawValue: a.valid & setattrFieldBits), mode: a.mode, uid: a.uid, gid: a.gid,
            size: a.size,
            accessTime: FileTime(seconds: Int64(bitPattern: a.atime), nanoseconds: min(a.atimensec, 999_999_999)),
            modificationTime: FileTime(seconds: Int64(bitPattern: a.mtime), nanoseconds: min(a.mtimensec, 999_999_999)))
        let handle = a.valid & UInt32(FATTR_FH) != 0 ? HandleID(rawValue: a.fh) : nil
        r.killSetID = a.valid & UInt32(FATTR_KILL_SUIDGID) != 0
        submit(&r, .setattr(node: r.node, handle: handle, attributes: attributes))
    }

    /// FUSE_READLINK: no arguments; the target is read into the scratch buffer (at most PATH_MAX bytes, and no
    /// more than the reply can carry).
    func decodeReadlink(_ r: inout FUSEDecoding) throws(Errno) {
        let capacity = min(FileName.maximumLinkTargetLength + 1, r.replyRoom)
        r.slot.replyLimit = capacity
        // SAFETY: capacity <= 4096 < scratch.count; readlink completes before submit returns.
        submit(&r, .readlink(node: r.node,
                         buffer: UnsafeMutableRawBufferPointer(rebasing: r.scratch[0..<capacity])))
    }

    /// FUSE_STATFS: no arguments.
    func decodeStatfs(_ r: inout FUSEDecoding) throws(Errno) {
        try r.needReply(MemoryLayout<fuse_statfs_out>.size)
        submit(&r, .statfs(node: r.node))
    }

    /// FUSE_ACCESS: `fuse_access_in`.
    func decodeAccess(_ r: inout FUSEDecoding) throws(Errno) {
        let a = try r.arguments(fuse_access_in.self)
        submit(&r, .access(node: r.node, mask: a.mask))
    }

    /// FUSE_SETXATTR: the 8-byte compat `fuse_setxattr_in`, or with FUSE_SETXATTR_EXT (--posix-acl) 16 bytes with
    /// setxattr_flags; then the name and the value, copied once.
    func decodeSetxattr(_ r: inout FUSEDecoding) throws(Errno) {
        guard let size = r.read(UInt32.self), var flags = r.read(UInt32.self) else { throw .invalidArgument }
        if session.flags.contains(.setxattrExt) {
            guard let extended = r.read(UInt32.self), r.read(UInt32.self) != nil else { throw .invalidArgument }
            if extended & UInt32(FUSE_SETXATTR_ACL_KILL_SGID) != 0 {
                flags |= UInt32(bitPattern: FSOperation.setxattrKillSetGroupID)
            }
        }
        guard size <= 65536 else { throw .outOfRange }
        let bytes = try r.copyRest(limit: FileName.maximumAttributeNameLength + 1 + Int(size))
        let (attrName, next) = try r.cString(bytes, from: 0)
        guard bytes.count - next >= Int(size) else { throw .invalidArgument }
        // SAFETY: bytes.count - next >= size was checked just above.
        let value = UnsafeRawBufferPointer(rebasing: bytes[next..<(next + Int(size))])
        submit(&r, .setxattr(node: r.node, name: attrName, value: value, flags: Int32(bitPattern: flags)))
    }

    /// FUSE_GETXATTR: `fuse_getxattr_in`, then the name.
    func decodeGetxattr(_ r: inout FUSEDecoding) throws(Errno) {
        let a = try r.arguments(fuse_getxattr_in.self)
        let attrName = try r.name()
        submit(&r, .getxattr(node: r.node, name: attrName, buffer: try xattrBuffer(&r, wanted: a.size)))
    }

    /// FUSE_LISTXATTR: `fuse_getxattr_in`.
    func decodeListxattr(_ r: inout FUSEDecoding) throws(Errno) {
        let a = try r.arguments(fuse_getxattr_in.self)
        submit(&r, .listxattr(node: r.node, buffer: try xattrBuffer(&r, wanted: a.size)))
    }

    /// Where GETXATTR and LISTXATTR put the value: size 0 asks for the size only (`fuse_getxattr_out`), otherwise
    /// at most `wanted` bytes, the reply's room and the scratch buffer after the name.
    private func xattrBuffer(_ r: inout FUSEDecoding, wanted: UInt32) throws(Errno)
        -> UnsafeMutableRawBufferPointer
    {
        let wanted = Int(wanted)
        try r.needReply(wanted == 0 ? MemoryLayout<fuse_getxattr_out>.size : 1)
        let room = min(wanted, r.replyRoom, r.scratch.count - xattrValueOffset)
        r.slot.replyLimit = wanted
        // SAFETY: room <= scratch.count - 4096, and the name copied below offset 4096 is not overwritten.
        return UnsafeMutableRawBufferPointer(rebasing: r.scratch[xattrValueOffset..<(xattrValueOffset + room)])
    }

    /// FUSE_REMOVEXATTR: the name.
    func decodeRemovexattr(_ r: inout FUSEDecoding) throws(Errno) {
        submit(&r, .removexattr(node: r.node, name: try r.name()))
    }

    /// FUSE_DESTROY: the session ends; the device unmounts.
    func decodeDestroy(_ r: inout FUSEDecoding) throws(Errno) {
        session.reset()
        submit(&r, .unmount)
    }

    /// FUSE_SYNCFS: `fuse_syncfs_in` (padding only, not read).
    func decodeSyncfs(_ r: inout FUSEDecoding) throws(Errno) {
        submit(&r, .syncfs(node: r.node))
    }
}
