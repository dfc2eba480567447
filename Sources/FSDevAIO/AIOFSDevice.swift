import FSDev
import Glibc
import LinuxSystem
import Reactor
import Synchronization

/// The passthrough filesystem device: serves a host directory with metadata calls done inline on the reactor and
/// reads and writes through libaio, one AIO context per channel (SPDK's aio fsdev, module/fsdev/aio).
///
/// Differences from the reference, on purpose: node and handle ids are generation-checked table slots (stale or
/// invented ids get EBADF); errors are the real errno (unlink/rename do not turn lookup failures into EIO,
/// fallocate reports fallocate(2)'s errno, no errno is read after a successful call); FORGET uses its own node id;
/// creation options (writeback cache, max_write) are applied as given; getxattr and fsync work on read-only files
/// and directories; flock blocks only when asked to, and never blocks the reactor (waits are retried by the
/// channel's poller); a failed io_submit fails the request instead of leaving it pending forever; CREATE uses
/// O_NOFOLLOW, so a symlink in the share cannot redirect a create outside of it; OPEN refuses symlinks and special
/// files (a device node in the share must not open the host's device).
///
/// Allocation: getattr, read and write make no heap allocation per request; lookup makes one (the owner object
/// of the new O_PATH descriptor). Counted with `fsdev-microbench --probe <op> N` under valgrind at two values of
/// N: 0, 0 and 1 allocations per operation.
///
/// Confinement: every path operation is one validated name relative to a node's O_PATH descriptor, with
/// O_NOFOLLOW; ".." is clamped at the root and, elsewhere, accepted only if the result is still beneath the root.
/// A directory the host moves out of the share while the guest holds it stays reachable through the held node
/// (as with virtiofsd without its namespace sandbox), but nothing above it is.
public final class AIOFSDevice: FSDevice {
    /// `aio:<root path>`.
    public let name: String
    /// The shared directory as given.
    public let rootPath: String
    /// The options the device was created with.
    public let options: AIOFSOptions

    /// Whether nodes are identified by file handles, as found at creation.
    public let fileHandleSupport: FileHandleSupport
    /// Most O_PATH descriptors of handle nodes kept open (the option, or the default for RLIMIT_NOFILE).
    public let descriptorCacheSize: Int

    let root: FileDescriptor
    let procSelfFD: FileDescriptor
    let nodes: NodeTable
    let handles: HandleTable
    let timeout: CacheTimeout
    let writebackActive = Atomic<Bool>(false)
    let maxWrite: Atomic<UInt32>

    /// The default number of table shards: the power of two at or above eight times the online CPUs (at least
    /// eight times the reactors, which are pinned one per CPU at most: two reactors meet on one shard in about one
    /// request in sixteen on two CPUs), 8 at least, 256 at most.
    public static func defaultTableShards(onlineCPUs: Int? = nil) -> Int {
        let cpus = onlineCPUs ?? CPUAffinity.onlineCount
        let wanted = min(max(8 * cpus, 8), 256)
        return 1 << (Int.bitWidth - (wanted - 1).leadingZeroBitCount)
    }

    /// Whether `count` can be a number of table shards: a power of two in 1...256.
    static func isValidShardCount(_ count: Int) -> Bool { count >= 1 && count <= 256 && count & (count - 1) == 0 }

    /// Opens `rootPath` (which must be a directory) as the share.
    /// - Parameters:
    ///   - rootPath: the shared directory; "/" inside the daemon's sandbox, whose root is the share.
    ///   - options: the device's options.
    ///   - procSelfFD: an O_PATH descriptor of the process's /proc/self/fd directory, for reopening nodes; nil to
    ///     open "/proc/self/fd" (which does not exist inside the sandbox: the sandbox opens it before it pivots).
    /// - Throws: the open error, ENOTDIR, or EINVAL for options out of range (max_write below 4 KiB, queue depth
    ///   outside 1...65536, a negative descriptor cache, table shards not a power of two in 1...256). With
    ///   `FileHandleMode.mandatory`: EOPNOTSUPP or EOVERFLOW when the share's filesystem cannot export file
    ///   handles, EPERM without CAP_DAC_READ_SEARCH.
    public init(rootPath: String, options: AIOFSOptions = AIOFSOptions(), procSelfFD: FileDescriptor? = nil)
        throws(Errno)
    {
        guard options.maxWrite >= 4096, options.queueDepth >= 1, options.queueDepth <= 65536,
              options.helperThreads >= 1, options.helperThreads <= 64,
              options.copyChunkLimit > 0, (options.descriptorCacheSize ?? 0) >= 0,
              Self.isValidShardCount(options.tableShards ?? 1)
        else { throw .invalidArgument }
        let root = try FileDescriptor.open(rootPath, options: [.path, .directory])
        let st = try FileSystemCall.status(of: root.rawValue)
        guard UInt32(st.st_mode) & FileType.mask == FileType.directory else { throw .notDirectory }
        let proc: FileDescriptor
        if let procSelfFD { proc = procSelfFD } else {
            proc = try FileDescriptor.open("/proc/self/fd", options: [.path, .directory])
        }
        var identity = NodeIdentity.inode(InodeKey(st))
        var mountDescriptor: FileDescriptor?
        var support = FileHandleSupport.off
        if options.fileHandles != .never {
            switch Self.probeFileHandles(root: root, procSelfFD: proc) {
            case .success(let probe):
                identity = .handle(probe.handle, mountID: probe.mountID)
                mountDescriptor = probe.mountDescriptor
                support = .on(mountIDs: probe.kind)
            case .failure(let error):
                if options.fileHandles == .mandatory { throw error }
                support = .unavailable(error)
            }
        }
        let cacheSize = options.descriptorCacheSize ?? Self.defaultDescriptorCacheSize()
        self.procSelfFD = proc
        self.root = root
        self.rootPath = rootPath
        self.options = options
        self.name = "aio:\(rootPath)"
        fileHandleSupport = support
        descriptorCacheSize = cacheSize
        nodes = NodeTable(root: root, status: st, identity: identity, mountDescriptor: mountDescriptor,
                          cacheCapacity: cacheSize, shards: options.tableShards ?? Self.defaultTableShards())
        handles = HandleTable(layout: nodes.layout)
        timeout = options.cachePolicy.timeout
        maxWrite = Atomic(options.maxWrite)
    }

    /// Lock shards of the node and handle tables.
    public var tableShards: Int { nodes.layout.count }

    /// Live nodes, the root included (diagnostics and leak tests).
    public var nodeCount: Int { nodes.count }
    /// O_PATH descriptors the nodes hold now: in the cache, and pinned (nodes without a handle, the root).
    public var nodeDescriptorCounts: (cached: Int, pinned: Int) { nodes.descriptorCounts }
    /// Host mounts the nodes are on that have a descriptor open for handles.
    public var mountDescriptorCount: Int { nodes.mountCount }

    /// Closes up to `count` cached node descriptors, for a part of the process that ran out of descriptors (the
    /// vhost-user server's reserve). Returns how many were closed. Thread-safe.
    @discardableResult
    public func releaseCachedDescriptors(_ count: Int) -> Int { nodes.evictCachedDescriptors(count) }
    /// Open handles (diagnostics and leak tests).
    public var handleCount: Int { handles.count }
    /// Lookup references the guest holds on `node`, nil if unknown (diagnostics and tests).
    public func lookupCount(of node: NodeID) -> UInt64? { nodes.lookups(of: node) }

    /// Creates the channel of `reactor`: an AIO context, its completion eventfd as a wake source, and a poller.
    /// The reactor thread gets its own umask (unshare CLONE_FS) for creation under the caller's umask, and its own
    /// working directory, /proc/self/fd, for the calls that take a /proc path (see `ProcPath`).
    public func makeChannel(on reactor: Reactor) throws(Errno) -> AIOFSChannel {
        try ThreadCredentials.unshareFileSystemAttributes()
        try ProcPath.enterProcSelfFD(procSelfFD)
        return try AIOFSChannel(device: self, reactor: reactor)
    }

    /// Destroys a channel: waits for its in-flight reads and writes (completing them), fails its lock waits with
    /// EINTR, unregisters its poller.
    public func destroyChannel(_ channel: AIOFSChannel, on reactor: Reactor) {
        channel.shutdown()
    }
}
