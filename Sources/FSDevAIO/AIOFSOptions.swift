import FSDev

/// Options of the passthrough device (SPDK's `spdk_fsdev_aio_opts` plus what virtiofsd users rely on). Every option
/// is applied as given at creation (the reference resets writeback cache and max_write to defaults there).
public struct AIOFSOptions: Sendable, Hashable {
    /// Serve extended attributes (`--xattr`); off: the xattr operations get ENOSYS.
    public var extendedAttributes: Bool
    /// How xattr names map between guest and host (`--xattrmap`); by default `security.*` (but
    /// `security.selinux`) and `trusted.*` are unsupported.
    public var extendedAttributeMap: ExtendedAttributeMap = .defaultPolicy
    /// Allow FUSE_WRITEBACK_CACHE when the guest offers it. Write-only opens then become read-write (the guest
    /// kernel reads to fill partial pages) and O_APPEND is left to the guest kernel.
    public var writebackCache: Bool
    /// Largest WRITE accepted (FUSE max_write); larger writes get EINVAL.
    public var maxWrite: UInt32
    /// Benchmark mode (SPDK's skip_rw): reads and writes complete without touching the file, reporting the full
    /// length. Measures the daemon without the storage.
    public var skipReadWrite: Bool
    /// Entry/attribute timeouts and open flags (`--cache`).
    public var cachePolicy: CachePolicy
    /// Serve POSIX locks (GETLK/SETLK/SETLKW) with open-file-description locks. Off: ENOSYS, and the guest kernel
    /// keeps locks local to the guest. Lock owners are per open handle, not per guest process.
    public var posixLocks: Bool
    /// Serve flock (FUSE_LK_FLOCK). Off: ENOSYS.
    public var flockLocks: Bool
    /// Refuse every modification with EROFS (`--readonly`).
    public var readOnly: Bool
    /// Pass a guest's O_DIRECT through to the host (off: stripped, as the reference does; the host page cache
    /// serves the guest's direct I/O).
    public var directIO: Bool
    /// Serve a read the page cache can satisfy inline, with preadv2(RWF_NOWAIT) on the reactor, and send the others
    /// (EAGAIN: data not cached; a short count: partly cached) to helper threads (`HelperPool`) instead of
    /// libaio, whose io_submit would block the reactor on the disk. Saves the libaio round trip on cached data
    /// (fsdev-microbench prints both). Off by default here; the daemon turns it on (`--no-inline-reads` to not).
    public var inlineCachedReads: Bool
    /// How writes, and reads not served inline from the page cache, are done.
    public enum Engine: String, Sendable, Hashable, CaseIterable {
        /// libaio: io_submit on the reactor, which for a buffered file does the copy inside the call (one core per
        /// reactor). Cold reads go to the helper threads when `inlineCachedReads` is on.
        case libaio
        /// The channel's helper pool (`HelperPool`): a write alone runs on the reactor (pwritev, no hand-off),
        /// a burst is spread over the reactor and the helper threads; cold reads go to the helpers.
        case threads
        /// io_uring (liburing): requests the kernel cannot do without blocking (buffered writes on ext4, cold
        /// reads) run on its worker threads; completions are read from the ring by the channel's poller.
        case ioUring = "io_uring"
    }

    /// How writes and cold reads are done. Default libaio.
    public var engine: Engine
    /// Helper threads per channel (cold reads, offloaded writes).
    public var helperThreads: Int
    /// In-flight reads and writes per channel (io_setup depth and request slots).
    public var queueDepth: Int
    /// Largest COPY_FILE_RANGE done in one request; longer ones return a short count (the guest loops), so that one
    /// request cannot hold a reactor for a whole multi-gigabyte copy.
    public var copyChunkLimit: UInt64
    /// How nodes are identified and reopened (`--inode-file-handles`).
    public var fileHandles: FileHandleMode
    /// Most O_PATH descriptors of handle-identified nodes kept open (`--fd-cache`); nil: chosen from
    /// RLIMIT_NOFILE when the device is created (`AIOFSDevice.defaultDescriptorCacheSize`). 0 opens the node's
    /// handle on every use.
    public var descriptorCacheSize: Int?
    /// How user ids cross between guest and host (virtiofsd's `--translate-uid`, `--uid-map`): caller credentials,
    /// SETATTR owners and POSIX ACL entries going in, attributes and ACL entries coming out. Default: none.
    public var uidMap: IDMap = .identity
    /// How group ids cross between guest and host (`--translate-gid`, `--gid-map`). Default: none.
    public var gidMap: IDMap = .identity
    /// Create files and check ACCESS as the guest caller, by switching the reactor thread's effective uid/gid
    /// (needs CAP_SETUID and CAP_SETGID). Off for an unprivileged daemon: everything is done with the daemon's own
    /// ids, so files the guest creates belong to the daemon's user. Default on.
    public var switchesCredentials = true
    /// Mark directories that are host mount points in LOOKUP and READDIRPLUS entries (FUSE_ATTR_SUBMOUNT;
    /// `--announce-submounts`). Default off.
    public var announcesSubmounts = false
    /// Pass a guest's O_NOATIME through to the host (`--preserve-noatime`). Off: stripped, as virtiofsd does,
    /// because O_NOATIME on a file the daemon's user does not own fails with EPERM when it runs unprivileged.
    public var preservesNoatime = false
    /// Lock shards of the node and handle tables (a power of two, 1...256); nil: the power of two at or above
    /// eight times the online CPUs (`AIOFSDevice.defaultTableShards`), so that reactors on different CPUs seldom meet
    /// on one lock. Ids carry their shard, and an inode's node lives in the shard its (device, inode) hashes to.
    public var tableShards: Int?
    #if DEBUG
    /// Debug builds only, for the sandbox tests: LOOKUP follows symbolic links and ".." is neither clamped at the
    /// root nor checked to stay beneath it. This switches the passthrough's own path discipline off, to show that
    /// the daemon's sandbox alone keeps a hostile front-end inside the share. Release builds have no such switch.
    public var unconfinedLookupForTesting = false
    #endif

    /// Defaults: no xattrs, writeback cache allowed, 128 KiB max_write, cache=auto, flock on, POSIX locks off,
    /// queue depth 256, copies in 64 MiB chunks, file handles preferred, descriptor cache sized from the limit.
    public init(extendedAttributes: Bool = false, writebackCache: Bool = true, maxWrite: UInt32 = 128 * 1024,
                skipReadWrite: Bool = false, cachePolicy: CachePolicy = .auto, posixLocks: Bool = false,
                flockLocks: Bool = true, readOnly: Bool = false, directIO: Bool = false,
                inlineCachedReads: Bool = false, engine: Engine = .libaio, helperThreads: Int = 2,
                queueDepth: Int = 256, copyChunkLimit: UInt64 = 64 << 20,
                fileHandles: FileHandleMode = .prefer, descriptorCacheSize: Int? = nil) {
        self.extendedAttributes = extendedAttributes
        self.writebackCache = writebackCache
        self.maxWrite = maxWrite
        self.skipReadWrite = skipReadWrite
        self.cachePolicy = cachePolicy
        self.posixLocks = posixLocks
        self.flockLocks = flockLocks
        self.readOnly = readOnly
        self.directIO = directIO
        self.inlineCachedReads = inlineCachedReads
        self.engine = engine
        self.helperThreads = helperThreads
        self.queueDepth = queueDepth
        self.copyChunkLimit = copyChunkLimit
        self.fileHandles = fileHandles
        self.descriptorCacheSize = descriptorCacheSize
    }
}
