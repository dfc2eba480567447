import Glibc
import LinuxSystem

/// Which mount a file is on: its file system's device and the mount's id (0 when the kernel gives none).
struct MountIdentity: Equatable {
    var deviceMajor: UInt32
    var deviceMinor: UInt32
    var mountID: UInt64

    /// The identity in a statx result asked with STATX_MNT_ID.
    init(_ sx: statx) {
        deviceMajor = sx.stx_dev_major
        deviceMinor = sx.stx_dev_minor
        mountID = sx.stx_mask & UInt32(STATX_MNT_ID) != 0 ? sx.stx_mnt_id : 0
    }
}
