/// FUSE request opcodes (linux/fuse.h, protocol 7.38, `enum fuse_opcode`).
public enum FUSEOpcode: UInt32, Sendable, CaseIterable {
    /// FUSE_LOOKUP (1).
    case lookup = 1
    /// FUSE_FORGET (2): no reply.
    case forget = 2
    /// FUSE_GETATTR (3).
    case getattr = 3
    /// FUSE_SETATTR (4).
    case setattr = 4
    /// FUSE_READLINK (5).
    case readlink = 5
    /// FUSE_SYMLINK (6).
    case symlink = 6
    /// FUSE_MKNOD (8).
    case mknod = 8
    /// FUSE_MKDIR (9).
    case mkdir = 9
    /// FUSE_UNLINK (10).
    case unlink = 10
    /// FUSE_RMDIR (11).
    case rmdir = 11
    /// FUSE_RENAME (12).
    case rename = 12
    /// FUSE_LINK (13).
    case link = 13
    /// FUSE_OPEN (14).
    case open = 14
    /// FUSE_READ (15).
    case read = 15
    /// FUSE_WRITE (16).
    case write = 16
    /// FUSE_STATFS (17).
    case statfs = 17
    /// FUSE_RELEASE (18).
    case release = 18
    /// FUSE_FSYNC (20).
    case fsync = 20
    /// FUSE_SETXATTR (21).
    case setxattr = 21
    /// FUSE_GETXATTR (22).
    case getxattr = 22
    /// FUSE_LISTXATTR (23).
    case listxattr = 23
    /// FUSE_REMOVEXATTR (24).
    case removexattr = 24
    /// FUSE_FLUSH (25).
    case flush = 25
    /// FUSE_INIT (26).
    case `init` = 26
    /// FUSE_OPENDIR (27).
    case opendir = 27
    /// FUSE_READDIR (28).
    case readdir = 28
    /// FUSE_RELEASEDIR (29).
    case releasedir = 29
    /// FUSE_FSYNCDIR (30).
    case fsyncdir = 30
    /// FUSE_GETLK (31).
    case getlk = 31
    /// FUSE_SETLK (32).
    case setlk = 32
    /// FUSE_SETLKW (33).
    case setlkw = 33
    /// FUSE_ACCESS (34).
    case access = 34
    /// FUSE_CREATE (35).
    case create = 35
    /// FUSE_INTERRUPT (36): no reply of its own.
    case interrupt = 36
    /// FUSE_BMAP (37).
    case bmap = 37
    /// FUSE_DESTROY (38).
    case destroy = 38
    /// FUSE_IOCTL (39).
    case ioctl = 39
    /// FUSE_POLL (40).
    case poll = 40
    /// FUSE_NOTIFY_REPLY (41).
    case notifyReply = 41
    /// FUSE_BATCH_FORGET (42): no reply.
    case batchForget = 42
    /// FUSE_FALLOCATE (43).
    case fallocate = 43
    /// FUSE_READDIRPLUS (44).
    case readdirplus = 44
    /// FUSE_RENAME2 (45).
    case rename2 = 45
    /// FUSE_LSEEK (46).
    case lseek = 46
    /// FUSE_COPY_FILE_RANGE (47).
    case copyFileRange = 47
    /// FUSE_SETUPMAPPING (48): DAX, not supported.
    case setupMapping = 48
    /// FUSE_REMOVEMAPPING (49): DAX, not supported.
    case removeMapping = 49
    /// FUSE_SYNCFS (50).
    case syncfs = 50
    /// FUSE_TMPFILE (51).
    case tmpfile = 51

    /// Whether the kernel expects no reply (FORGET, BATCH_FORGET; INTERRUPT is answered through the interrupted
    /// request).
    public var hasNoReply: Bool { self == .forget || self == .batchForget || self == .interrupt }
}
