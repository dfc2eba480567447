import LinuxSystem

/// The host mounts the node table has seen, each with a descriptor to open handles on (open_by_handle_at needs a
/// descriptor of any file on the mount, opened for reading: an O_PATH one is refused with EBADF) and the number of
/// nodes that use it. The descriptor is released with the last such node, so that a submount the guest no longer
/// uses does not stay busy. Not thread-safe: part of the node table's locked state.
struct MountTable {
    private struct Entry {
        let id: UInt64
        let descriptor: FileDescriptor
        var nodes: Int
    }

    private var entries: [Entry?] = []
    private var free: [Int] = []
    private var byID: [UInt64: Int] = [:]

    /// Number of mounts with a descriptor.
    var count: Int { byID.count }

    /// The index of the mount with id `id`, if known.
    func index(ofMountID id: UInt64) -> UInt32? { byID[id].map { UInt32($0) } }

    /// Adds the mount `id` with a readable `descriptor` on it, used by no node yet. Must not be known already.
    mutating func add(id: UInt64, descriptor: FileDescriptor) -> UInt32 {
        precondition(byID[id] == nil, "mount \(id) added twice")
        let entry = Entry(id: id, descriptor: descriptor, nodes: 0)
        let index: Int
        if let reused = free.popLast() {
            index = reused
            entries[index] = entry
        } else {
            index = entries.count
            entries.append(entry)
        }
        byID[id] = index
        return UInt32(index)
    }

    /// The descriptor of the mount at `index` (a live index from `index(ofMountID:)` or `add`).
    func descriptor(at index: UInt32) -> FileDescriptor? { entries[Int(index)]?.descriptor }

    /// One more node uses the mount at `index`.
    mutating func retain(_ index: UInt32) {
        entries[Int(index)]?.nodes += 1
    }

    /// One node less uses the mount at `index`. Returns the mount's descriptor when that was the last node (the
    /// entry is gone; the caller closes it outside the lock).
    mutating func release(_ index: UInt32) -> FileDescriptor? {
        let i = Int(index)
        guard var entry = entries[i] else { return nil }
        entry.nodes -= 1
        guard entry.nodes <= 0 else {
            entries[i] = entry
            return nil
        }
        entries[i] = nil
        byID.removeValue(forKey: entry.id)
        free.append(i)
        return entry.descriptor
    }
}
