import LinuxSystem

/// How the host opens a file for a guest's OPEN, CREATE or TMPFILE: the guest's raw open flags (linux/fuse.h
/// `fuse_open_in.flags`, untrusted) converted once, by `AIOFSDevice.hostOpen(guestFlags:)`, into a typed access
/// mode and the options a passthrough file may keep.
struct HostOpen: Equatable {
    /// The access mode (after the writeback-cache rewrite of write-only to read-write).
    var access: OpenAccess
    /// The options kept from the guest's flags (append, truncate, exclusive create, sync, noatime, direct).
    var options: OpenOptions
}
