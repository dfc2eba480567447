import FSDev
import Glibc
import LinuxSystem
import Synchronization

/// The node table of a device, shared by every reactor and split into lock shards so that requests on different
/// reactors seldom take the same lock: a node lives in the shard its inode's (device, inode) hashes to (the root
/// in shard 0), so a second lookup of an inode finds its node whatever queue it comes from, and a node's id
/// carries its shard (`ShardLayout`), so resolving an id takes only that shard's lock.
///
/// Node ids are generation-checked table slots (never pointers): an id the guest invents, or one it kept after
/// FORGET, is EBADF (virtiofsd's choice). The root is slot 0 of shard 0, id 1 (FUSE_ROOT_ID), and lives as long
/// as the device.
///
/// Descriptors: a node identified by a file handle is opened on demand with open_by_handle_at and its O_PATH
/// descriptor kept in a bounded cache (`NodeStore`), bounded in all shards together by one `DescriptorBudget`;
/// a node without a handle holds its descriptor for its life. `resolve` returns an owned descriptor, so a request
/// using it is safe when the cache drops it meanwhile: the descriptor closes when the last user lets go.
/// Descriptors leave the table (eviction, FORGET) outside the locks.
///
/// Locks: a cache hit takes its shard's lock alone. Only a descriptor entering a full cache takes more: the
/// clock's lock (`clockShard`), then one shard's lock at a time while the clock looks for a victim; a handle
/// node's creation or removal takes the mount table's lock, inside its shard's. Never the other way round.
final class NodeTable: Sendable {
    private let shards: LockShards<NodeStore>
    /// How ids name their shard.
    let layout: ShardLayout
    private let mounts = MountTable()
    private let budget: DescriptorBudget
    /// The shard the cache's clock hand is in; held while the clock steps through the shards.
    private let clockShard = Mutex<Int>(0)
    /// The root's inode.
    let rootKey: InodeKey

    /// A table holding the root, pinned around `root`; a root identified by a handle registers its mount with
    /// `mountDescriptor`. At most `cacheCapacity` descriptors of handle nodes stay open, in `shards` lock shards
    /// (a power of two, 1...256).
    init(root: FileDescriptor, status: stat, identity: NodeIdentity, mountDescriptor: FileDescriptor?,
         cacheCapacity: Int, shards shardCount: Int = 1) {
        rootKey = InodeKey(status)
        layout = ShardLayout(count: shardCount)
        budget = DescriptorBudget(capacity: cacheCapacity)
        let key: NodeKey
        var mount: FileDescriptor?
        switch identity {
        case .inode(let inode):
            key = NodeKey(inode: inode)
        case .handle(let handle, let mountID):
            guard let mountDescriptor else { preconditionFailure("a handle root needs its mount's descriptor") }
            mount = mounts.retain(mountID, descriptor: mountDescriptor)
            key = NodeKey(mount: mountID, handle: handle)
        }
        let rootRecord = NodeRecord(descriptor: root, key: key, mount: mount, lookups: 1,
                                    fileType: UInt32(status.st_mode) & FileType.mask, cachePosition: -1,
                                    referenced: true, pinned: true)
        let (layout, mounts, budget) = (layout, mounts, budget)
        shards = LockShards(count: shardCount) { index in
            NodeStore(root: index == 0 ? rootRecord : nil, slotLimit: layout.slotsPerShard, mounts: mounts,
                      budget: budget)
        }
    }

    /// The shard of the inode (device, inode): the root's is shard 0.
    @inline(__always)
    private func shard(device: UInt64, inode: UInt64) -> Int {
        if inode == rootKey.inode, device == rootKey.device { return 0 }
        return layout.shard(device: device, inode: inode)
    }

    /// The shard a node id names, nil for no id (the handle table keeps a node's handles in the node's shard).
    @inline(__always)
    func shard(of node: NodeID) -> Int? { layout.split(node.rawValue)?.shard }

    /// The descriptor and type of a live node, opened from its handle when the cache does not hold it.
    /// - Throws: EBADF for an unknown or stale id; ENOENT when the node's inode no longer exists (ESTALE); the
    ///   open's errno otherwise.
    @inline(__always)
    func resolve(_ node: NodeID) throws(Errno) -> (descriptor: FileDescriptor, fileType: UInt32) {
        guard let (shard, local) = layout.split(node.rawValue) else { throw .badFileDescriptor }
        switch shards.withLock(shard, { $0.descriptor(of: local) }) {
        case .open(let descriptor, let fileType):
            return (descriptor, fileType)
        case .unknown:
            throw .badFileDescriptor
        case .closed(let handle, let mount, let fileType):
            return (try reopen(shard: shard, local: local, handle: handle, mount: mount), fileType)
        }
    }

    /// Opens a node's handle and offers the descriptor to the cache.
    private func reopen(shard: Int, local: UInt64, handle: KernelFileHandle, mount: FileDescriptor) throws(Errno)
        -> FileDescriptor
    {
        let opened: FileDescriptor
        do throws(Errno) {
            opened = try retryingOnShortage { () throws(Errno) in
                try mount.use { (m) throws(Errno) in
                    try FileSystemCall.open(handle: handle, mount: m, options: [.path, .noFollow])
                }
            }
        } catch {
            // The inode is gone (deleted on the host): to the guest, the file no longer exists.
            throw error == .stale ? .noSuchFileOrDirectory : error
        }
        let (use, surplus, declined) = shards.withLock(shard) {
            $0.install(opened, for: local, touch: true)
        }
        withExtendedLifetime(surplus) {}  // a duplicate descriptor closes here, outside the lock
        if declined { offer(opened, shard: shard, local: local, touch: true) }
        return use
    }

    /// Offers the cache a descriptor it declined for want of budget: frees a unit with the clock, then installs it.
    /// Gives up (the node stays without a descriptor, reopened on its next use) when the cache holds nothing to
    /// evict, or when other threads take the freed units twice.
    private func offer(_ descriptor: FileDescriptor, shard: Int, local: UInt64, touch: Bool) {
        for _ in 0..<2 {
            guard evictOne() else { return }
            let (_, surplus, declined) = shards.withLock(shard) {
                $0.install(descriptor, for: local, touch: touch)
            }
            withExtendedLifetime(surplus) {}
            if !declined { return }
        }
    }

    /// Moves the cache's clock through the shards until it evicts one descriptor (CLOCK over the shards' clocks in
    /// turn). Returns whether it did: not when the cache is empty.
    private func evictOne() -> Bool {
        let victim: FileDescriptor? = clockShard.withLock { current -> FileDescriptor? in
            // Two turns: the first may only clear reference bits.
            for _ in 0..<(2 * shards.count + 2) {
                if let victim = shards.withLock(current, { $0.evictNext() }) { return victim }
                current = (current + 1) & (shards.count - 1)
            }
            return nil
        }
        return victim != nil  // the victim closes here, outside the locks
    }

    /// Adds one lookup reference to the node of `identity` (the inode `descriptor` names, `inodeKey`), creating it
    /// when new. Returns nil when the inode is on a mount the table has no descriptor for: call again with
    /// `mountDescriptor`, a descriptor opened for reading on that mount.
    /// - Throws: ENFILE when the table is full.
    func reference(descriptor: FileDescriptor, fileType: UInt32, identity: NodeIdentity, inodeKey: InodeKey,
                   mountDescriptor: FileDescriptor?, inode: OpenInodeKey? = nil) throws(Errno)
        -> (node: NodeID, generation: UInt64)?
    {
        let shard = shard(device: inodeKey.device, inode: inodeKey.inode)
        let (result, surplus, declined) = shards.withLock(shard) {
            $0.reference(identity: identity, fileType: fileType, descriptor: descriptor,
                         mountDescriptor: mountDescriptor, inode: inode)
        }
        // The duplicate descriptor of an existing node, or an unused mount's, closes here.
        withExtendedLifetime(surplus) {}
        switch result {
        case .node(let local):
            if let declined { offer(declined, shard: shard, local: local, touch: false) }
            let id = layout.join(shard: shard, local: local)
            return (NodeID(rawValue: id), id >> 32)
        case .needsMountDescriptor: return nil
        case .tableFull: throw .tooManyOpenFilesInSystem
        }
    }

    /// Adds a lookup reference to the node whose cached descriptor's inode is where `inode` says, if any: a
    /// lookup of a node in use needs no file handle. Returns its id and generation.
    @inline(__always)
    func referenceOpen(_ inode: OpenInodeKey) -> (node: NodeID, generation: UInt64)? {
        let shard = shard(device: inode.device, inode: inode.inode)
        guard let local = shards.withLock(shard, { $0.referenceOpen(inode) }) else { return nil }
        let id = layout.join(shard: shard, local: local)
        return (NodeID(rawValue: id), id >> 32)
    }

    /// Drops `count` lookup references (FORGET); the node goes away at zero. The root is never forgotten.
    /// - Throws: EBADF for an unknown or stale id.
    func forget(_ node: NodeID, count: UInt64) throws(Errno) {
        guard let (shard, local) = layout.split(node.rawValue) else { throw .badFileDescriptor }
        let result = shards.withLock(shard) { $0.forget(local, count: count) }
        // A removed node's descriptor (and its mount's, for the mount's last node) closes here, outside the lock.
        guard result.found else { throw .badFileDescriptor }
    }

    /// Drops every node but the root (unmount). Returns how many were dropped.
    @discardableResult
    func forgetAll() -> Int {
        (0..<shards.count).reduce(0) { sum, shard in sum + shards.withLock(shard) { $0.forgetAll() }.records.count }
    }

    /// Closes up to `count` cached descriptors (the process ran out), from every shard. Returns how many.
    @discardableResult
    func evictCachedDescriptors(_ count: Int) -> Int {
        var evicted = 0
        for shard in 0..<shards.count where evicted < count {
            let wanted = count - evicted
            evicted += shards.withLock(shard) { $0.evict(wanted) }.count
        }
        return evicted
    }

    /// Runs `body`, an open of some descriptor; when the process or the system is out of descriptors (EMFILE,
    /// ENFILE), closes half the cached ones (at least 16) and runs it once more.
    func retryingOnShortage<R>(_ body: () throws(Errno) -> R) throws(Errno) -> R {
        do throws(Errno) {
            return try body()
        } catch {
            guard error == .tooManyOpenFiles || error == .tooManyOpenFilesInSystem else { throw error }
            guard evictCachedDescriptors(max(16, budget.count / 2)) > 0 else { throw error }
            return try body()
        }
    }

    /// Number of live nodes, the root included.
    var count: Int { countsByShard.reduce(0, +) }

    /// Live nodes in each shard (tests and diagnostics).
    var countsByShard: [Int] { (0..<shards.count).map { shard in shards.withLock(shard) { $0.slots.count } } }

    /// Descriptors the cache holds open now, and nodes that hold theirs for good (the root included).
    var descriptorCounts: (cached: Int, pinned: Int) {
        (0..<shards.count).reduce((0, 0)) { sum, shard in
            let (cached, pinned) = shards.withLock(shard) { ($0.cachedCount, $0.pinnedCount) }
            return (sum.0 + cached, sum.1 + pinned)
        }
    }

    /// Units of the descriptor cache's budget in use now: what bounds the cache, read in one atomic load (the sum
    /// of `descriptorCounts` visits the shards one after another, so a descriptor moving between shards meanwhile
    /// can be counted twice).
    var cachedDescriptorBudgetInUse: Int { budget.count }

    /// Mounts with an open descriptor.
    var mountCount: Int { mounts.count }

    /// Whether a node has an open descriptor now, nil if unknown (tests and diagnostics).
    func hasOpenDescriptor(_ node: NodeID) -> Bool? {
        guard let (shard, local) = layout.split(node.rawValue) else { return nil }
        return shards.withLock(shard) { $0.slots.value(of: local).map { $0.descriptor != nil } }
    }

    /// Lookup count of a node (tests and diagnostics).
    func lookups(of node: NodeID) -> UInt64? {
        guard let (shard, local) = layout.split(node.rawValue) else { return nil }
        return shards.withLock(shard) { $0.slots.value(of: local)?.lookups }
    }
}

/// S_IFMT values as UInt32 (Glibc's are macros of another type).
enum FileType {
    static let mask: UInt32 = 0o170000
    static let directory: UInt32 = 0o040000
    static let regular: UInt32 = 0o100000
    static let symbolicLink: UInt32 = 0o120000
}
