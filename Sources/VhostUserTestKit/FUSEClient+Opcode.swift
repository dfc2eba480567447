import FUSEWire

extension FUSEClient {
    /// FUSE request opcodes (linux/fuse.h `enum fuse_opcode`, protocol 7.38): the daemon's own `FUSEOpcode`, so the
    /// client and the server never disagree on a value.
    public typealias Opcode = FUSEOpcode
}

extension FUSEOpcode {
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
        case .setupMapping: return "SETUPMAPPING"
        case .removeMapping: return "REMOVEMAPPING"
        case .syncfs: return "SYNCFS"
        case .tmpfile: return "TMPFILE"
        }
    }

    /// The C name of `raw` without the prefix, or "opcode N" for an unknown opcode.
    public static func name(_ raw: UInt32) -> String {
        FUSEOpcode(rawValue: raw)?.cName ?? "opcode \(raw)"
    }
}
