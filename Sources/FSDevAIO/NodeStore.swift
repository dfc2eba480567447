import LinuxSystem

/// A node the guest holds.
struct NodeRecord {
    /// O_PATH | O_NOFOLLOW descriptor of the inode, when open: always for a pinned node, while it is in the
    /// descriptor cache otherwise.
    var descriptor: FileDescriptor?
    /// What identifies the node (its handle, or (device, inode) for a pinned node without one).
    let key: NodeKey
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

/// The node table's state, not thread-safe (`NodeTable` keeps it behind its lock): nodes in generation-checked
/// slots, an index by key, the mounts of handle nodes, and the descriptor cache.
///
/// The descriptor cache: a node identified by a file handle keeps an O_PATH descriptor only while the cache holds
/// it, at most `cacheCapacity` of them. It approximates LRU with CLOCK (second chance): a hit sets the node's
/// reference bit, one store under the lock with no list to relink, and a new descriptor takes the place of the
/// first one the hand finds unreferenced, clearing the bits it passes. New nodes start unreferenced, so a storm of
/// one-time lookups (a `find`, READDIRPLUS) pushes out its own descriptors before the ones in use.
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
        /// The node's id.
        case node(UInt64)
        /// The inode is on a mount the table has no descriptor for: call again with one.
        case needsMountDescriptor
        /// 2^32 - 2 nodes exist.
        case tableFull
    }

    private(set) var slots: SlotTable<NodeRecord>
    private var byKey: [NodeKey: Int]
    private(set) var mounts = MountTable()
    /// Most descriptors of handle nodes kept open.
    let cacheCapacity: Int
    /// The clock: the slot index of each cached descriptor, -1 for a free position.
    private var clock: [Int32] = []
    /// Where the inode of each cached descriptor is, when the lookup that opened it said (parallel to `clock`).
    private var clockInodes: [OpenInodeKey?] = []
    /// Nodes with a cached descriptor, by where their inode is: a lookup finds them without a file handle.
    private var openByInode: [OpenInodeKey: Int] = [:]
    private var freePositions: [Int32] = []
    private var hand = 0
    /// Descriptors in the cache.
    private(set) var cachedCount = 0
    /// Nodes whose descriptor is never evicted (the root included).
    private(set) var pinnedCount = 1

    /// A store holding only the root, slot 0 (id 1), pinned around `descriptor`. A root identified by a handle
    /// registers its mount with `mountDescriptor`.
    init(rootDescriptor: FileDescriptor, identity: NodeIdentity, fileType: UInt32,
         mountDescriptor: FileDescriptor?, cacheCapacity: Int) {
        self.cacheCapacity = max(cacheCapacity, 0)
        let key: NodeKey
        switch identity {
        case .inode(let inode):
            key = NodeKey(inode: inode)
        case .handle(let handle, let mountID):
            guard let mountDescriptor else { preconditionFailure("a handle root needs its mount's descriptor") }
            let index = mounts.add(id: mountID, descriptor: mountDescriptor)
            mounts.retain(index)
            key = NodeKey(mount: index, handle: handle)
        }
        let root = NodeRecord(descriptor: rootDescriptor, key: key, lookups: 1, fileType: fileType,
                              cachePosition: -1, referenced: true, pinned: true)
        slots = SlotTable(permanent: root)
        byKey = [key: 0]
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
        guard let mount = mounts.descriptor(at: record.key.mount) else { return .unknown }
        return .closed(record.key.handle, mount: mount, fileType: record.fileType)
    }

    /// Gives node `id` the descriptor just opened from its handle. Returns the descriptor to use, and one to
    /// close outside the lock: the one displaced from the cache, or `descriptor` itself when another thread
    /// opened the node first. A node forgotten meanwhile gets nothing (the caller uses `descriptor` once).
    mutating func install(_ descriptor: FileDescriptor, for id: UInt64)
        -> (use: FileDescriptor, surplus: FileDescriptor?)
    {
        guard let index = slots.index(of: id) else { return (descriptor, nil) }
        let existing = slots.modify(at: index) { r -> FileDescriptor? in
            r.referenced = true
            if let d = r.descriptor { return d }
            r.descriptor = descriptor
            return nil
        }
        if let existing { return (existing, descriptor) }
        return (descriptor, admit(index, inode: nil))
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
    /// cache. Returns the outcome and a descriptor to close outside the lock, if any.
    /// `inode`, where statx put the inode, lets later lookups find the node by `referenceOpen` while its
    /// descriptor is cached.
    mutating func reference(identity: NodeIdentity, fileType: UInt32, descriptor: FileDescriptor,
                            mountDescriptor: FileDescriptor?, inode: OpenInodeKey? = nil)
        -> (Reference, surplus: FileDescriptor?)
    {
        let key: NodeKey
        switch identity {
        case .inode(let inode):
            key = NodeKey(inode: inode)
        case .handle(let handle, let mountID):
            if let index = mounts.index(ofMountID: mountID) {
                key = NodeKey(mount: index, handle: handle)
            } else {
                guard let mountDescriptor else { return (.needsMountDescriptor, nil) }
                key = NodeKey(mount: mounts.add(id: mountID, descriptor: mountDescriptor), handle: handle)
            }
        }
        if let index = byKey[key] {
            let (adopted, position) = slots.modify(at: index) { r -> (Bool, Int32) in
                r.lookups = r.lookups == .max ? .max : r.lookups + 1
                r.referenced = true
                guard r.descriptor == nil else { return (false, r.cachePosition) }
                r.descriptor = descriptor
                return (true, -1)
            }
            if adopted { return (.node(slots.id(ofIndex: index)), admit(index, inode: inode)) }
            // Cached already: remember where its inode is, if the descriptor's opener did not say.
            if position >= 0, let inode, clockInodes[Int(position)] == nil {
                clockInodes[Int(position)] = inode
                openByInode[inode] = index
            }
            return (.node(slots.id(ofIndex: index)), descriptor)
        }
        let pinned = !key.isHandle
        let record = NodeRecord(descriptor: descriptor, key: key, lookups: 1, fileType: fileType, cachePosition: -1,
                                referenced: false, pinned: pinned)
        guard let id = slots.insert(record), let index = slots.index(of: id) else {
            // A mount added for this node alone has no user: drop it again.
            if key.isHandle {
                mounts.retain(key.mount)
                return (.tableFull, mounts.release(key.mount))
            }
            return (.tableFull, nil)
        }
        byKey[key] = index
        if pinned {
            pinnedCount += 1
            return (.node(id), nil)
        }
        mounts.retain(key.mount)
        return (.node(id), admit(index, inode: inode))
    }

    /// Drops `count` lookup references of node `id`; the node goes away at zero (the root never does). Returns
    /// whether the node was found, and what to release outside the lock: the node's record and its mount's
    /// descriptor when it was the mount's last node.
    mutating func forget(_ id: UInt64, count: UInt64) -> (found: Bool, removed: NodeRecord?, mount: FileDescriptor?) {
        guard let index = slots.index(of: id) else { return (false, nil, nil) }
        if index == 0 { return (true, nil, nil) }
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
        for index in slots.liveIndices where index != 0 {
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

    /// Empties clock position `position` (its node's descriptor is gone or going).
    private mutating func vacate(_ position: Int) {
        clock[position] = -1
        if let inode = clockInodes[position] {
            openByInode.removeValue(forKey: inode)
            clockInodes[position] = nil
        }
        freePositions.append(Int32(position))
        cachedCount -= 1
    }

    /// Enters the descriptor node `index` just got into the clock, with where its inode is when known. Returns
    /// the descriptor it displaced (or its own, with a cache of size 0), to close outside the lock.
    private mutating func admit(_ index: Int, inode: OpenInodeKey?) -> FileDescriptor? {
        guard cacheCapacity > 0 else {
            return slots.modify(at: index) { r -> FileDescriptor? in
                defer { r.descriptor = nil }
                return r.descriptor
            }
        }
        let position: Int
        var victim: FileDescriptor?
        if let free = freePositions.popLast() {
            position = Int(free)
            cachedCount += 1
        } else if clock.count < cacheCapacity {
            position = clock.count
            clock.append(-1)
            clockInodes.append(nil)
            cachedCount += 1
        } else {
            // Full, so every position holds a node. Each unreferenced node met is the victim; each referenced one
            // loses its bit, so the hand stops within one turn.
            while true {
                let candidate = Int(clock[hand])
                let spared = slots.modify(at: candidate) { r -> Bool in
                    guard r.referenced else { return false }
                    r.referenced = false
                    return true
                }
                if !spared { break }
                hand = hand + 1 == clock.count ? 0 : hand + 1
            }
            victim = slots.modify(at: Int(clock[hand])) { r -> FileDescriptor? in
                r.cachePosition = -1
                defer { r.descriptor = nil }
                return r.descriptor
            }
            if let old = clockInodes[hand] { openByInode.removeValue(forKey: old) }
            position = hand
            hand = hand + 1 == clock.count ? 0 : hand + 1
        }
        clock[position] = Int32(index)
        clockInodes[position] = inode
        if let inode { openByInode[inode] = index }
        slots.modify(at: index) { $0.cachePosition = Int32(position) }
        return victim
    }

    /// Takes up to `count` descriptors out of the cache, from the hand on (when the process is out of
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
}
