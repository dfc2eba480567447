import CLinux
import Glibc

/// Thin typed wrappers over the mount-namespace system calls the daemon's sandbox uses to make the shared directory
/// its root. Paths here come from the operator (the shared directory) or are fixed ("/proc"), never from a guest.
public enum MountCall {
    /// Mounts `source` on `target`. The corresponding C function is `mount`.
    ///
    /// - Parameters:
    ///   - source: the device, directory (for MS_BIND) or name (for a pseudo file system); nil for none.
    ///   - target: the mount point.
    ///   - type: the file system type ("proc"), nil for bind mounts and propagation changes.
    ///   - flags: MS_* flags.
    public static func mount(source: String?, target: String, type: String?, flags: UInt) throws(Errno) {
        _ = try SystemCall.valueOrErrno { Glibc.mount(source, target, type, flags, nil) }.get()
    }

    /// Changes the propagation of the mount at `target` and, with `recursive`, of every mount below it, to
    /// `propagation` (MS_SLAVE, MS_PRIVATE...). The corresponding C function is `mount(NULL, target, NULL, ...)`.
    public static func setPropagation(_ propagation: UInt, at target: String, recursive: Bool) throws(Errno) {
        try mount(source: nil, target: target, type: nil, flags: propagation | (recursive ? UInt(MS_REC) : 0))
    }

    /// Sets MOUNT_ATTR_* flags (nodev, nosuid, rdonly...) on the mount at `path` and, with `recursive`, on every
    /// mount below it, leaving its other flags as they are. The corresponding C function is `mount_setattr`
    /// (Linux 5.12).
    public static func setAttributes(_ attributes: UInt64, at path: String, recursive: Bool) throws(Errno) {
        _ = try SystemCall.negativeErrno { CLinux_mount_setattr(path, attributes, recursive ? 1 : 0) }.get()
    }

    /// Detaches the mount at `target` now and frees it once nothing uses it. The corresponding C function is
    /// `umount2(target, MNT_DETACH)`.
    public static func detach(_ target: String) throws(Errno) {
        _ = try SystemCall.valueOrErrno { umount2(target, CInt(MNT_DETACH)) }.get()
    }

    /// Makes `newRoot` the root of the calling process's mount namespace and mounts the old root on `putOld`.
    /// The corresponding C function is the raw `pivot_root` system call.
    public static func pivotRoot(_ newRoot: String, putOld: String) throws(Errno) {
        _ = try SystemCall.negativeErrno { CLinux_pivot_root(newRoot, putOld) }.get()
    }

    /// Changes the calling process's root directory. The corresponding C function is `chroot`.
    public static func changeRoot(_ path: String) throws(Errno) {
        _ = try SystemCall.valueOrErrno { chroot(path) }.get()
    }

    /// Changes the working directory to `path`. The corresponding C function is `chdir`.
    public static func changeDirectory(_ path: String) throws(Errno) {
        _ = try SystemCall.valueOrErrno { chdir(path) }.get()
    }

    /// Changes the working directory to the directory `descriptor` refers to. The corresponding C function is
    /// `fchdir`.
    public static func changeDirectory(to descriptor: FileDescriptor) throws(Errno) {
        _ = try SystemCall.valueOrErrno { fchdir(descriptor.rawValue) }.get()
    }
}
