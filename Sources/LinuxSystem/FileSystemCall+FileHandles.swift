import CLinux
import Glibc

extension FileSystemCall {
    /// Where a file handle's mount id comes from.
    public enum MountIDKind: Sendable, Hashable {
        /// The 64-bit id that is never reused (AT_HANDLE_MNT_ID_UNIQUE, Linux 6.12).
        case unique
        /// The classic id of /proc/self/mountinfo, which a later mount may reuse.
        case classic
    }

    /// The file handle of the inode `descriptor` names (an O_PATH descriptor works) and the id of its mount. The
    /// corresponding C function is `name_to_handle_at(fd, "", AT_EMPTY_PATH)`.
    ///
    /// - Throws: EOPNOTSUPP when the filesystem cannot export handles, EOVERFLOW when its handle would be longer
    ///   than MAX_HANDLE_SZ (both for good: that filesystem needs descriptors instead), EINVAL when `mountID` is
    ///   `.unique` and the kernel predates it.
    public static func fileHandle(of descriptor: CInt, mountID kind: MountIDKind) throws(Errno)
        -> (handle: KernelFileHandle, mountID: UInt64)
    {
        var length: UInt32 = 0
        var type: CInt = 0
        var mountID: UInt64 = 0
        let flags = AT_EMPTY_PATH | (kind == .unique ? CLINUX_AT_HANDLE_MNT_ID_UNIQUE : 0)
        return try withUnsafeTemporaryAllocation(byteCount: KernelFileHandle.maximumSize, alignment: 8) {
            (buffer) throws(Errno) -> (handle: KernelFileHandle, mountID: UInt64) in
            let base = buffer.baseAddress!.assumingMemoryBound(to: UInt8.self)
            _ = try SystemCall.valueOrErrno {
                CLinux_name_to_handle_at(descriptor, "", base, &length, &type, &mountID, flags)
            }.get()
            // SAFETY: the shim wrote `length` <= 128 bytes at the start of the 128-byte buffer.
            let bytes = UnsafeRawBufferPointer(rebasing: buffer[..<Int(min(length, UInt32(buffer.count)))])
            return (KernelFileHandle(type: type, bytes: bytes), mountID)
        }
    }

    /// Opens the inode `handle` names on the filesystem of `mount`, a descriptor opened for reading (not O_PATH)
    /// of any file on that mount. Needs CAP_DAC_READ_SEARCH. O_CLOEXEC is always added. The corresponding C
    /// function is `open_by_handle_at`.
    ///
    /// - Throws: ESTALE when the inode no longer exists, EPERM without CAP_DAC_READ_SEARCH, EBADF when `mount` is
    ///   an O_PATH descriptor.
    public static func open(handle: KernelFileHandle, mount: CInt, access: OpenAccess = .readOnly,
                            options: OpenOptions) throws(Errno) -> FileDescriptor {
        let flags = access.rawValue | options.rawValue | O_CLOEXEC
        let fd = try handle.withBytes { (bytes) throws(Errno) -> CInt in
            try SystemCall.valueOrErrno {
                CLinux_open_by_handle_at(mount, bytes.baseAddress?.assumingMemoryBound(to: UInt8.self),
                                         UInt32(bytes.count), handle.type, flags)
            }.get()
        }
        return FileDescriptor(taking: fd)
    }

    /// STATX_MNT_ID_UNIQUE (Linux 6.8); Debian 12's headers lack it.
    static let statxUniqueMountID: UInt32 = 0x4000

    /// The basic status of the inode `descriptor` names (an O_PATH descriptor works, symlinks are not followed)
    /// and the id of its mount, of the same kind `fileHandle(of:mountID:)` reports, when the kernel gives it. The
    /// corresponding C function is `statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS |
    /// STATX_MNT_ID[_UNIQUE])`.
    public static func statusAndMountID(of descriptor: CInt, mountID kind: MountIDKind) throws(Errno)
        -> (status: statx, mountID: UInt64?)
    {
        let wanted = kind == .unique ? statxUniqueMountID : UInt32(STATX_MNT_ID)
        let sx = try extendedStatus(of: descriptor, flags: 0, mask: STATX_BASIC_STATS | wanted)
        // Either kind of id comes back in stx_mnt_id.
        return (sx, sx.stx_mask & wanted != 0 ? sx.stx_mnt_id : nil)
    }
}
