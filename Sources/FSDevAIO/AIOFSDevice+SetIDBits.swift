import FSDev
import Glibc
import LinuxSystem

/// FUSE_HANDLE_KILLPRIV_V2: the daemon writes, truncates and opens as root, which holds CAP_FSETID, so the host
/// kernel keeps set-user-ID and set-group-ID bits that it would clear for the guest's caller. When the guest
/// kernel flags a request (`RequestContext.killSetIDBits`), the device clears them itself, with the kernel's rules
/// for a caller without CAP_FSETID (should_remove_suid): set-user-ID always, set-group-ID only when the group may
/// execute (without group execute it marks mandatory locking, not privilege), regular files only.
///
/// Why an explicit fchmod and not dropping CAP_FSETID from the reactor thread around the write, as virtiofsd does:
/// capset(2) commits new credentials, and a drop and a restore per flagged write cost about 4.7 us here (4x a
/// 4 KiB page-cache write), while the check is one statx of the mode (about 0.75 us next to a write) and a chmod
/// only when a bit is set (BENCHMARKS.md, "Clearing set-ID bits on writes"). It also works on host file systems
/// where the capability trick does not (virtiofsd turned killpriv_v2 off by default for NFS), and the rule is the
/// same whatever the host kernel's version. The cost: the bits are cleared just before the write instead of inside
/// it, so an owner's chmod racing with another user's write can leave a bit set, which the kernel's inode lock
/// would prevent.
extension AIOFSDevice {
    /// The bits a write by a caller without CAP_FSETID clears from `mode`; 0 when none.
    @inline(__always)
    static func setIDBitsToDrop(mode: UInt32) -> UInt32 {
        guard mode & FileType.mask == FileType.regular else { return 0 }
        var kill: UInt32 = 0
        if mode & UInt32(S_ISUID) != 0 { kill |= UInt32(S_ISUID) }
        if mode & UInt32(S_ISGID | S_IXGRP) == UInt32(S_ISGID | S_IXGRP) { kill |= UInt32(S_ISGID) }
        return kill
    }

    /// The mode of the inode of `fd`: statx asking for STATX_MODE only, which costs about half a full fstat right
    /// after a write to the same file (BENCHMARKS.md, "Clearing set-ID bits on writes").
    @inline(__always)
    private static func mode(of fd: CInt) throws(Errno) -> UInt32 {
        UInt32(try FileSystemCall.extendedStatus(of: fd, flags: 0, mask: UInt32(STATX_MODE)).stx_mode)
    }

    /// Clears the set-ID bits of the file open as `descriptor` (for I/O: fchmod), as a write by a caller without
    /// CAP_FSETID does.
    func dropSetIDBits(openFile descriptor: FileDescriptor) throws(Errno) {
        try dropSetIDBits(of: descriptor) { (fd, mode) throws(Errno) in try FileSystemCall.setMode(of: fd, mode: mode) }
    }

    /// Clears the set-ID bits of the inode of an O_PATH descriptor (chmod through its /proc/self/fd link).
    func dropSetIDBits(path descriptor: FileDescriptor) throws(Errno) {
        try dropSetIDBits(of: descriptor) { (fd, mode) throws(Errno) in
            try ProcPath.with(fd, relative: true) { (name) throws(Errno) in
                try procSelfFD.use { (proc) throws(Errno) in
                    try FileSystemCall.setMode(name, relativeTo: proc, mode: mode)
                }
            }
        }
    }

    /// Reads the mode of `descriptor`'s inode and, when a set-ID bit must go, has `chmod` set the mode without it.
    /// EPERM from `chmod` (a daemon that runs unprivileged, or without CAP_FOWNER, and does not own the file) is
    /// not an error: such a daemon lacks CAP_FSETID too, so the host kernel clears the bits itself when it writes
    /// or truncates.
    private func dropSetIDBits(
        of descriptor: FileDescriptor, chmod: (CInt, mode_t) throws(Errno) -> Void
    ) throws(Errno) {
        try descriptor.use { (fd) throws(Errno) in
            let mode = try Self.mode(of: fd)
            let kill = Self.setIDBitsToDrop(mode: mode)
            guard kill != 0 else { return }
            do throws(Errno) { try chmod(fd, mode_t(mode & 0o7777 & ~kill)) } catch {
                guard error == .notPermitted else { throw error }
            }
        }
    }
}
