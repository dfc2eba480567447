import FSDev
import Glibc
import LinuxSystem
import Synchronization

/// A node the guest holds: an O_PATH descriptor of the inode and how many lookups the guest has not forgotten.
struct NodeRecord {
    /// O_PATH | O_NOFOLLOW descriptor of the inode (never opened for I/O).
    var descriptor: FileDescriptor
    var key: InodeKey
    /// S_IFMT bits of the inode.
    var fileType: UInt32
    /// Lookup references (FUSE's nlookup).
    var lookups: UInt64
}

/// The node table of a device, shared by every reactor (one uncontended lock per resolution).
///
/// Node ids are generation-checked table slots (never pointers): an id the guest invents, or one it kept after
/// FORGET, is EBADF (virtiofsd's choice). The root is slot 0, id 1 (FUSE_ROOT_ID), and lives as long as the device.
final class NodeTable: Sendable {
    private struct State: ~Copyable {
        var slots: SlotTable<NodeRecord>
        var byKey: [InodeKey: Int]
    }

    private let state: Mutex<State>
    /// The root's inode.
    let rootKey: InodeKey

    init(root: FileDescriptor, status: stat) {
        let key = InodeKey(status)
        rootKey = key
        let record = NodeRecord(descriptor: root, key: key, fileType: UInt32(status.st_mode) & FileType.mask,
                                lookups: 1)
        state = Mutex(State(slots: SlotTable(permanent: record), byKey: [key: 0]))
    }

    /// The descriptor and type of a live node.
    @inline(__always)
    func resolve(_ node: NodeID) throws(Errno) -> (descriptor: FileDescriptor, fileType: UInt32) {
        let r = state.withLock { s -> (FileDescriptor, UInt32)? in
            guard let rec = s.slots.value(of: node.rawValue) else { return nil }
            return (rec.descriptor, rec.fileType)
        }
        guard let r else { throw .badFileDescriptor }
        return r
    }

    /// Adds one lookup reference to the node of `status`'s inode, creating it around `descriptor` when new.
    /// Returns the node id and its generation.
    /// - Throws: ENFILE when the table is full.
    func reference(descriptor: FileDescriptor, status: stat) throws(Errno) -> (node: NodeID, generation: UInt64) {
        let key = InodeKey(status)
        let fileType = UInt32(status.st_mode) & FileType.mask
        let r = state.withLock { s -> UInt64? in
            if let index = s.byKey[key], var rec = s.slots[index] {
                rec.lookups = rec.lookups == .max ? .max : rec.lookups + 1
                s.slots[index] = rec
                return s.slots.id(ofIndex: index)
            }
            let rec = NodeRecord(descriptor: descriptor, key: key, fileType: fileType, lookups: 1)
            guard let id = s.slots.insert(rec), let index = s.slots.index(of: id) else { return nil }
            s.byKey[key] = index
            return id
        }
        // The duplicate descriptor of an existing node, if any, closes here, outside the lock.
        guard let id = r else { throw Errno(rawValue: ENFILE) }
        return (NodeID(rawValue: id), id >> 32)
    }

    /// Drops `count` lookup references (FORGET); the node goes away at zero. The root is never forgotten.
    /// - Throws: EBADF for an unknown or stale id.
    func forget(_ node: NodeID, count: UInt64) throws(Errno) {
        let result = state.withLock { s -> (found: Bool, removed: NodeRecord?) in
            guard let index = s.slots.index(of: node.rawValue), var rec = s.slots[index] else { return (false, nil) }
            if index == 0 { return (true, nil) }
            rec.lookups = count >= rec.lookups ? 0 : rec.lookups - count
            if rec.lookups > 0 {
                s.slots[index] = rec
                return (true, nil)
            }
            s.byKey.removeValue(forKey: rec.key)
            return (true, s.slots.remove(at: index))
        }
        // A removed node's descriptor closes here, outside the lock.
        guard result.found else { throw .badFileDescriptor }
    }

    /// Drops every node but the root (unmount). Returns how many were dropped.
    @discardableResult
    func forgetAll() -> Int {
        let removed = state.withLock { s -> [NodeRecord] in
            var out: [NodeRecord] = []
            for index in s.slots.liveIndices where index != 0 {
                if let rec = s.slots.remove(at: index) {
                    s.byKey.removeValue(forKey: rec.key)
                    out.append(rec)
                }
            }
            return out
        }
        return removed.count
    }

    /// Number of live nodes, the root included.
    var count: Int { state.withLock { $0.slots.count } }

    /// Lookup count of a node (tests and diagnostics).
    func lookups(of node: NodeID) -> UInt64? {
        state.withLock { $0.slots.value(of: node.rawValue)?.lookups }
    }
}

/// S_IFMT values as UInt32 (Glibc's are macros of another type).
enum FileType {
    static let mask: UInt32 = 0o170000
    static let directory: UInt32 = 0o040000
    static let regular: UInt32 = 0o100000
    static let symbolicLink: UInt32 = 0o120000
}
