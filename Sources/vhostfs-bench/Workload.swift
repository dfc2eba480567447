/// The workloads the benchmark knows, by their command-line names.
enum Workload: String, CaseIterable, Sendable {
    /// 4 KiB READs at random offsets of the data file.
    case randread4k
    /// 4 KiB WRITEs at random offsets.
    case randwrite4k
    /// 128 KiB READs in sequence.
    case seqread128k
    /// 128 KiB WRITEs in sequence.
    case seqwrite128k
    /// 70% 4 KiB random READs, 30% 4 KiB random WRITEs.
    case mixed
    /// GETATTR of looked-up files.
    case getattr
    /// LOOKUP + GETATTR of existing files.
    case lookupGetattr = "lookup-getattr"
    /// CREATE + RELEASE + UNLINK.
    case createUnlink = "create-unlink"
    /// MKDIR + RMDIR.
    case mkdirRmdir = "mkdir-rmdir"
    /// OPENDIR + READDIRPLUS of the whole 10,000-entry directory + RELEASEDIR (+ BATCH_FORGET).
    case readdirplus
    /// One pass of LOOKUPs over every file of the tree (500 directories of 100 by default), none of which the
    /// backend knows yet: the first lookups of a cold walk (the host's own caches are warm). Forgotten afterwards.
    case walk
    /// No requests: the backend's CPU use while idle.
    case idle

    /// The name in report tables.
    var title: String {
        switch self {
        case .randread4k: return "4 KiB random read"
        case .randwrite4k: return "4 KiB random write"
        case .seqread128k: return "128 KiB sequential read"
        case .seqwrite128k: return "128 KiB sequential write"
        case .mixed: return "mixed 70/30 4 KiB"
        case .getattr: return "GETATTR"
        case .lookupGetattr: return "LOOKUP+GETATTR"
        case .createUnlink: return "CREATE+RELEASE+UNLINK"
        case .mkdirRmdir: return "MKDIR+RMDIR"
        case .readdirplus: return "READDIRPLUS"
        case .walk: return "cold LOOKUP walk"
        case .idle: return "idle CPU"
        }
    }

    /// Bytes of file data one operation moves (for MB/s).
    var bytesPerOperation: Int {
        switch self {
        case .randread4k, .randwrite4k, .mixed: return 4096
        case .seqread128k, .seqwrite128k: return 128 * 1024
        default: return 0
        }
    }

    /// Whether the queue-depth list applies (otherwise one operation per queue at a time).
    var usesQueueDepth: Bool { self != .readdirplus && self != .idle }

    /// The native floor the workload is compared with.
    var floor: Floor? {
        switch self {
        case .randread4k: return .pread4k
        case .randwrite4k: return .pwrite4k
        case .seqread128k: return .pread128k
        case .seqwrite128k: return .pwrite128k
        case .mixed: return .mixed4k
        case .getattr, .lookupGetattr, .walk: return .fstatat
        case .createUnlink: return .createUnlink
        case .mkdirRmdir: return .mkdirRmdir
        case .readdirplus: return .readdirStat
        case .idle: return nil
        }
    }

    /// The native operations measured in the same run, on the same files, from the benchmark's own thread.
    enum Floor: String, CaseIterable, Sendable {
        /// pread of 4 KiB at random offsets of the data file (page cache).
        case pread4k = "pread-4k"
        /// pwrite of 4 KiB at random offsets (page cache).
        case pwrite4k = "pwrite-4k"
        /// pread of 128 KiB in sequence.
        case pread128k = "pread-128k"
        /// pwrite of 128 KiB in sequence.
        case pwrite128k = "pwrite-128k"
        /// 70% pread-4k, 30% pwrite-4k.
        case mixed4k = "mixed-4k"
        /// fstatat of an existing file by name.
        case fstatat
        /// openat + close of an existing file.
        case openClose = "open-close"
        /// openat(O_CREAT|O_EXCL) + close + unlinkat.
        case createUnlink = "create-unlink"
        /// mkdirat + unlinkat(AT_REMOVEDIR).
        case mkdirRmdir = "mkdir-rmdir"
        /// opendir + readdir + fstatat of every entry of the 10,000-entry directory + closedir.
        case readdirStat = "readdir-stat"
    }
}
