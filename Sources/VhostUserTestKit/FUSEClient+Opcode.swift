extension FUSEClient {
    /// FUSE request opcodes (linux/fuse.h `enum fuse_opcode`, protocol 7.38), as the client sends them.
    public enum Opcode: UInt32, Sendable, CaseIterable {
        /// FUSE_LOOKUP (1).
        case lookup = 1
        /// FUSE_FORGET (2).
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
        /// FUSE_INTERRUPT (36).
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
        /// FUSE_BATCH_FORGET (42).
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
        /// FUSE_SETUPMAPPING (48).
        case setupmapping = 48
        /// FUSE_REMOVEMAPPING (49).
        case removemapping = 49
        /// FUSE_SYNCFS (50).
        case syncfs = 50
        /// FUSE_TMPFILE (51).
        case tmpfile = 51

        /// The C name without the `FUSE_` prefix ("BATCH_FORGET").
        public var cName: String {
            switch self {
            case .lookup: return "LOOKUP"
            case .forget: return "FORGET"
            case .getattr: return "GETATTR"
            case .setattr: return "SETATTR"
            case .readlink: return "READLINK"
            case .symlink: return "SYMLINK"
            case .mknod: return "MKNOD"
            case .mkdir: return "MKDIR"
            case .unlink: return "UNLINK"
            case .rmdir: return "RMDIR"
            case .rename: return "RENAME"
            case .link: return "LINK"
            case .open: return "OPEN"
            case .read: return "READ"
            case .write: return "WRITE"
            case .statfs: return "STATFS"
            case .release: return "RELEASE"
            case .fsync: return "FSYNC"
            case .setxattr: return "SETXATTR"
            case .getxattr: return "GETXATTR"
            case .listxattr: return "LISTXATTR"
            case .removexattr: return "REMOVEXATTR"
            case .flush: return "FLUSH"
            case .`init`: return "INIT"
            case .opendir: return "OPENDIR"
            case .readdir: return "READDIR"
            case .releasedir: return "RELEASEDIR"
            case .fsyncdir: return "FSYNCDIR"
            case .getlk: return "GETLK"
            case .setlk: return "SETLK"
            case .setlkw: return "SETLKW"
            case .access: return "ACCESS"
            case .create: return "CREATE"
            case .interrupt: return "INTERRUPT"
            case .bmap: return "BMAP"
            case .destroy: return "DESTROY"
            case .ioctl: return "IOCTL"
            case .poll: return "POLL"
            case .notifyReply: return "NOTIFY_REPLY"
            case .batchForget: return "BATCH_FORGET"
            case .fallocate: return "FALLOCATE"
            case .readdirplus: return "READDIRPLUS"
            case .rename2: return "RENAME2"
            case .lseek: return "LSEEK"
            case .copyFileRange: return "COPY_FILE_RANGE"
            case .setupmapping: return "SETUPMAPPING"
            case .removemapping: return "REMOVEMAPPING"
            case .syncfs: return "SYNCFS"
            case .tmpfile: return "TMPFILE"
            }
        }

        /// The C name of `raw` without the prefix, or "opcode N" for an unknown opcode.
        public static func name(_ raw: UInt32) -> String {
            Opcode(rawValue: raw)?.cName ?? "opcode \(raw)"
        }
    }
}
