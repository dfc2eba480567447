import LinuxSystem
import Synchronization

/// The host mounts the node table has seen, each with a descriptor to open handles on (open_by_handle_at needs a
/// descriptor of any file on the mount, opened for reading: an O_PATH one is refused with EBADF) and the number of
/// nodes that use it. The descriptor is released with the last such node, so that a submount the guest no longer
/// uses does not stay busy.
///
/// Shared by every shard of the node table, behind its own lock, which is taken only when a handle node is created
/// or removed: a node's record holds its mount's descriptor, so resolving a node never comes here. It is a leaf
/// lock: taken inside a shard's lock, it never takes another.
final class MountTable: Sendable {
    private struct Entry {
        let descriptor: FileDescriptor
        var nodes: Int
    }

    private let state = Mutex<[UInt64: Entry]>([:])

    /// Number of mounts with a descriptor.
    var count: Int { state.withLock { $0.count } }

    /// One more node uses mount `id`. Returns the mount's descriptor; a mount not known yet is registered with
    /// `descriptor` (a readable descriptor on it), or, without one, nil is returned and nothing changes.
    func retain(_ id: UInt64, descriptor: FileDescriptor?) -> FileDescriptor? {
        state.withLock { entries -> FileDescriptor? in
            if var entry = entries[id] {
                entry.nodes += 1
                entries[id] = entry
                return entry.descriptor
            }
            guard let descriptor else { return nil }
            entries[id] = Entry(descriptor: descriptor, nodes: 1)
            return descriptor
        }
    }

    /// One node less uses mount `id`. Returns the mount's descriptor when that was the last node (the entry is
    /// gone; the caller lets go of it outside its locks).
    func release(_ id: UInt64) -> FileDescriptor? {
        state.withLock { entries -> FileDescriptor? in
            guard var entry = entries[id] else { return nil }
            entry.nodes -= 1
            guard entry.nodes <= 0 else {
                entries[id] = entry
                return nil
            }
            entries.removeValue(forKey: id)
            return entry.descriptor
        }
    }
}
