import LinuxSystem

/// A node the guest holds.
struct NodeRecord {
    /// O_PATH | O_NOFOLLOW descriptor of the inode, when open: always for a pinned node, while it is in the
    /// descriptor cache otherwise.
    var descriptor: FileDescriptor?
    /// What identifies the node (its handle, or (device, inode) for a pinned node without one).
    let key: NodeKey
    /// The descriptor of the handle's mount, to reopen the node with (nil for a node without a handle).
    let mount: FileDescriptor?
    /// Lookup references (FUSE's nlookup).
    var lookups: UInt64
    /// S_IFMT bits of the inode.
    let fileType: UInt32
    /// Position of the node's descriptor in the cache's clock, -1 when it is not there.
    var cachePosition: Int32
    /// Used since the clock hand last passed it (CLOCK's reference bit).
    var referenced: Bool
    /// The descriptor is never evicted: the root, and nodes without a handle (the descriptor keeps the inode, and
    /// so its number, alive).
    let pinned: Bool
}

/// One shard of the node table, not thread-safe (`NodeTable` keeps each shard behind its own lock): nodes in
/// generation-checked slots, an index by key, and the shard's part of the descriptor cache. Ids here are the
/// shard's local ids (`ShardLayout`). Shared by all shards: the mounts (`MountTable`) and the cache's bound
/// (`DescriptorBudget`).
///
/// The descriptor cache: a node identified by a file handle keeps an O_PATH descriptor only while the cache holds
/// it, at most the budget's capacity of them in all shards together. It approximates LRU with CLOCK (second
/// chance): a hit sets the node's reference bit, one store under the shard's lock with no list to relink. When the
/// budget is spent, a new descriptor is declined here, and `NodeTable` frees a unit with one step of a clock that
/// walks the shards' clocks in turn (`evictNext`), taking the first descriptor it finds unreferenced and clearing
/// the bits it passes, then offers the descriptor again. New nodes start unreferenced, so a storm of one-time
/// lookups (a `find`, READDIRPLUS) pushes out its own descriptors before the ones in use.
struct NodeStore: ~Copyable {
    /// Result of `descriptor(of:)`.
    enum Lookup {
        /// The node's descriptor is open.
        case open(FileDescriptor, fileType: UInt32)
        /// The node has no open descriptor: open its handle on the mount descriptor, then `install` it.
        case closed(KernelFileHandle, mount: FileDescriptor, fileType: UInt32)
        /// No such node (unknown, stale or forgotten id).
        case unknown
    }

    /// Result of `reference`.
    enum Reference {
        /// The node's local id.
        case node(UInt64)
        /// The inode is on a mount the table has no descriptor for: call again with one.
        case needsMountDescriptor
        /// The shard's slots are all in use.
        case tableFull
    }

    private(set) var slots: SlotTable<NodeRecord>
    private var byKey: [NodeKey: Int]
    let mounts: MountTable
    let budget: DescriptorBudget
    /// The clock: the slot index of each cached descriptor, -1 for a free position.
    private var clock: [Int32] = []
    /// Where the inode of each cached descriptor is, when the lookup that opened it said (parallel to `clock`).
    private var clockInodes: [OpenInodeKey?] = []
    /// Nodes with a cached descriptor, by where their inode is: a lookup finds them without a file handle.
    private var openByInode: [OpenInodeKey: Int] = [:]
    private var freePositions: [Int32] = []
    private var hand = 0
    /// Descriptors in the shard's part of the cache.
    private(set) var cachedCount = 0
    /// Nodes whose descriptor is never evicted (the root included).
    private(set) var pinnedCount = 0
    /// Slot 0 is the root, which lives as long as the table.
    private let holdsRoot: Bool

    /// A shard holding `root` (pinned, slot 0, local id 1) if given, else empty, with at most `slotLimit` nodes.
    init(root: NodeRecord?, slotLimit: Int, mounts: MountTable, budget: DescriptorBudget) {
        self.mounts = mounts
        self.budget = budget
        slots = SlotTable(permanent: root, limit: slotLimit)
        holdsRoot = root != nil
        if let root {
            byKey = [root.key: 0]
            pinnedCount = 1
        } else {
            byKey = [:]
        }
    }

    // MARK: - Resolution

    /// The descriptor of a node, or what to open it with. A hit marks the node referenced.
    @inline(__always)
    mutating func descriptor(of id: UInt64) -> Lookup {
        guard let index = slots.index(of: id) else { return .unknown }
        let open = slots.modify(at: index) { r -> FileDescriptor? in
            guard let d = r.descriptor else { return nil }
            if !r.referenced { r.referenced = true }
            return d
        }
        guard let record = slots[index] else { return .unknown }
        if let open { return .open(open, fileType: record.fileType) }
        guard let mount = record.mount else { return .unknown }
        return .closed(record.key.handle, mount: mount, fileType: record.fileType)
    }

    /// Gives node `id` the descriptor just opened from its handle (`touch`: and marks the node referenced).
    /// Returns the descriptor to use; one to close outside the lock (`descriptor` itself when another thread
    /// opened the node first); and whether the cache declined `descriptor` for want of budget (the node stays
    /// without one: free a unit and offer it again). A node forgotten meanwhile gets nothing (the caller uses
    /// `descriptor` once).
    mutating func install(_ descriptor: FileDescriptor, for id: UInt64, touch: Bool)
        -> (use: FileDescriptor, surplus: FileDescriptor?, declined: Bool)
    {
        guard let index = slots.index(of: id) else { return (descriptor, nil, false) }
        let existing = slots.modify(at: index) { r -> FileDescriptor? in
            if touch { r.referenced = true }
            if let d = r.descriptor { return d }
            r.descriptor = descriptor
            return nil
        }
        if let existing { return (existing, descriptor, false) }
        return (descriptor, nil, !admit(index, inode: nil))
    }

    /// Adds a lookup reference to the node whose cached descriptor has its inode where `inode` says, if there is
    /// one. Returns its id.
    @inline(__always)
    mutating func referenceOpen(_ inode: OpenInodeKey) -> UInt64? {
        guard let index = openByInode[inode] else { return nil }
        slots.modify(at: index) { r in
            r.lookups = r.lookups == .max ? .max : r.lookups + 1
            r.referenced = true
        }
        return slots.id(ofIndex: index)
    }

    // MARK: - References

    /// Adds a lookup reference to the node of `identity`, creating it around `descriptor` (an O_PATH descriptor
    /// of the inode) when new. An existing handle node without an open descriptor takes `descriptor` into the
    /// cache. Returns the outcome, a descriptor to close outside the lock, if any, and `descriptor` when the cache
    /// declined it for want of budget (free a unit and `install` it).
    /// `inode`, where statx put the inode, lets later lookups find the node by `referenceOpen` while its
    /// descriptor is cached.
    mutating func reference(identity: NodeIdentity, fileType: UInt32, descriptor: FileDescriptor,
                            mountDescriptor: FileDescriptor?, inode: OpenInodeKey? = nil)
        -> (Reference, surplus: FileDescriptor?, declined: FileDescriptor?)
    {
        let key: NodeKey
        switch identity {
        case .inode(let inode): key = NodeKey(inode: inode)
        case .handle(let handle, let mountID): key = NodeKey(mount: mountID, handle: handle)
        }
        if let index = byKey[key] {
            let (adopted, position) = slots.modify(at: index) { r -> (Bool, Int32) in
                r.lookups = r.lookups == .max ? .max : r.lookups + 1
                r.referenced = true
                guard r.descriptor == nil else { return (false, r.cachePosition) }
                r.descriptor = descriptor
                return (true, -1)
            }
            let id = slots.id(ofIndex: index)
            if adopted {
                return admit(index, inode: inode) ? (.node(id), nil, nil) : (.node(id), nil, descriptor)
            }
            // Cached already: remember where its inode is, if the descriptor's opener did not say.
            if position >= 0, let inode, clockInodes[Int(position)] == nil {
                clockInodes[Int(position)] = inode
                openByInode[inode] = index
            }
            return (.node(id), descriptor, nil)
        }
        var mount: FileDescriptor?
        if key.isHandle {
            guard let m = mounts.retain(key.mount, descriptor: mountDescriptor) else {
                return (.needsMountDescriptor, nil, nil)
            }
            mount = m
        }
        let pinned = !key.isHandle
        let record = NodeRecord(descriptor: descriptor, key: key, mount: mount, lookups: 1, fileType: fileType,
                                cachePosition: -1, referenced: false, pinned: pinned)
        guard let id = slots.insert(record), let index = slots.index(of: id) else {
            // A mount retained for this node alone has no user: drop it again.
            return (.tableFull, key.isHandle ? mounts.release(key.mount) : nil, nil)
        }
        byKey[key] = index
        if pinned {
            pinnedCount += 1
            return (.node(id), nil, nil)
        }
        return admit(index, inode: inode) ? (.node(id), nil, nil) : (.node(id), nil, descriptor)
    }

    /// Drops `count` lookup references of node `id`; the node goes away at zero (the root never does). Returns
    /// whether the node was found, and what to release outside the lock: the node's record and its mount's
    /// descriptor when it was the mount's last node.
    mutating func forget(_ id: UInt64, count: UInt64) -> (found: Bool, removed: NodeRecord?, mount: FileDescriptor?) {
        guard let index = slots.index(of: id) else { return (false, nil, nil) }
        if isRoot(index) { return (true, nil, nil) }
        let remaining = slots.modify(at: index) { r -> UInt64 in
            r.lookups = count >= r.lookups ? 0 : r.lookups - count
            return r.lookups
        }
        if remaining > 0 { return (true, nil, nil) }
        let (record, mount) = remove(index)
        return (true, record, mount)
    }

    /// Drops every node but the root. Returns what to release outside the lock.
    mutating func forgetAll() -> (records: [NodeRecord], mounts: [FileDescriptor]) {
        var records: [NodeRecord] = []
        var mountDescriptors: [FileDescriptor] = []
        for index in slots.liveIndices where !isRoot(index) {
            let (record, mount) = remove(index)
            if let record { records.append(record) }
            if let mount { mountDescriptors.append(mount) }
        }
        return (records, mountDescriptors)
    }

    private mutating func remove(_ index: Int) -> (NodeRecord?, FileDescriptor?) {
        guard let record = slots.remove(at: index) else { return (nil, nil) }
        byKey.removeValue(forKey: record.key)
        if record.cachePosition >= 0 { vacate(Int(record.cachePosition)) }
        if record.pinned { pinnedCount -= 1 }
        let mount = record.key.isHandle ? mounts.release(record.key.mount) : nil
        return (record, mount)
    }

    // MARK: - The descriptor cache

    /// Empties clock position `position` (its node's descriptor is gone or going) and gives its unit back.
    private mutating func vacate(_ position: Int) {
        clock[position] = -1
        if let inode = clockInodes[position] {
            openByInode.removeValue(forKey: inode)
            clockInodes[position] = nil
        }
        freePositions.append(Int32(position))
        cachedCount -= 1
        budget.give(1)
    }

    /// Enters the descriptor node `index` just got into the clock, with where its inode is when known, if the
    /// budget has a unit. Returns whether it did; if not, the node is left without a descriptor.
    private mutating func admit(_ index: Int, inode: OpenInodeKey?) -> Bool {
        guard budget.take() else {
            slots.modify(at: index) { $0.descriptor = nil }
            return false
        }
        let position: Int
        if let free = freePositions.popLast() {
            position = Int(free)
        } else {
            position = clock.count
            clock.append(-1)
            clockInodes.append(nil)
        }
        cachedCount += 1
        clock[position] = Int32(index)
        clockInodes[position] = inode
        if let inode { openByInode[inode] = index }
        slots.modify(at: index) { $0.cachePosition = Int32(position) }
        return true
    }

    /// One step of the cache's clock through this shard: from the hand on, each referenced node met loses its
    /// bit, and the first unreferenced one loses its descriptor, which is returned (to close outside the lock; its
    /// unit is given back). At the end of the shard's clock the hand goes back to its start and nil is returned:
    /// the clock moves on to the next shard.
    mutating func evictNext() -> FileDescriptor? {
        while hand < clock.count {
            let position = hand
            hand += 1
            let candidate = Int(clock[position])
            guard candidate >= 0 else { continue }
            let victim = slots.modify(at: candidate) { r -> FileDescriptor? in
                guard !r.referenced else {
                    r.referenced = false
                    return nil
                }
                r.cachePosition = -1
                defer { r.descriptor = nil }
                return r.descriptor
            }
            if let victim {
                vacate(position)
                return victim
            }
        }
        hand = 0
        return nil
    }

    /// Takes up to `count` descriptors out of the shard's cache, from the hand on (when the process is out of
    /// descriptors). Returns them, to close outside the lock.
    mutating func evict(_ count: Int) -> [FileDescriptor] {
        var evicted: [FileDescriptor] = []
        var scanned = 0
        while evicted.count < count, cachedCount > 0, scanned < clock.count {
            if hand >= clock.count { hand = 0 }
            let candidate = clock[hand]
            if candidate >= 0 {
                let d = slots.modify(at: Int(candidate)) { r -> FileDescriptor? in
                    r.cachePosition = -1
                    r.referenced = false
                    defer { r.descriptor = nil }
                    return r.descriptor
                }
                if let d { evicted.append(d) }
                vacate(hand)
            }
            hand += 1
            scanned += 1
        }
        if hand >= clock.count { hand = 0 }
        return evicted
    }

    /// Whether slot `index` is the root's (slot 0 of the shard that holds it).
    private func isRoot(_ index: Int) -> Bool { index == 0 && holdsRoot }
}
