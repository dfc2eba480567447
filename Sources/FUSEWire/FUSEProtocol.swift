import CLinux

/// The FUSE protocol this vocabulary describes (linux/fuse.h of Debian 12, 7.38) and the sizes of the structures
/// that frame every message, for code that builds or checks messages without the FUSE server (the test kit, other
/// front-ends). CLinux.c asserts the C layouts at build time.
public enum FUSEProtocol {
    /// FUSE_KERNEL_VERSION: the major version every message speaks.
    public static let major = UInt32(FUSE_KERNEL_VERSION)
    /// The newest minor version described here (FUSE_KERNEL_MINOR_VERSION of linux/fuse.h 7.38).
    public static let minor: UInt32 = 38

    /// `struct fuse_in_header` (40 bytes): first in every request.
    public static let inHeaderSize = MemoryLayout<fuse_in_header>.size
    /// `struct fuse_out_header` (16 bytes): first in every reply.
    public static let outHeaderSize = MemoryLayout<fuse_out_header>.size
    /// `struct fuse_init_in` (64 bytes since 7.36): FUSE_INIT's argument.
    public static let initInSize = MemoryLayout<fuse_init_in>.size
    /// `struct fuse_init_out` (64 bytes): FUSE_INIT's reply; FUSE_COMPAT_INIT_OUT_SIZE (8) from protocols before 7.5.
    public static let initOutSize = MemoryLayout<fuse_init_out>.size
    /// `struct fuse_attr_out` (104 bytes): GETATTR's and SETATTR's reply.
    public static let attrOutSize = MemoryLayout<fuse_attr_out>.size
    /// `struct fuse_entry_out` (128 bytes): LOOKUP's, MKNOD's, MKDIR's, SYMLINK's and LINK's reply.
    public static let entryOutSize = MemoryLayout<fuse_entry_out>.size
}
