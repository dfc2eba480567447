import FSDev
import Glibc
import LinuxSystem
import Synchronization

/// An open directory: its stream and the lock that serializes READDIR on it (a hostile guest may send two at
/// once; the guest kernel itself serializes them).
final class DirectoryHandle: @unchecked Sendable {
    // SAFETY (Sendable): `stream` is only used inside `lock`, by `withStream`.
    private let lock = Mutex<Void>(())
    private let stream: DirectoryStream

    init(stream: DirectoryStream) {
        self.stream = stream
    }

    /// Runs `body` with the stream, holding the directory's lock.
    func withStream<R>(_ body: (DirectoryStream) throws(Errno) -> R) throws(Errno) -> R {
        try lock.withLock { (_: inout Void) throws(Errno) -> R in try body(stream) }
    }
}

/// An open file or directory the guest holds.
struct HandleRecord {
    /// The open descriptor.
    var descriptor: FileDescriptor
    /// The node it was opened from: a request naming another node with this handle is refused.
    var node: NodeID
    /// Set for directories.
    var directory: DirectoryHandle?
}

/// The open-handle table of a device, shared by every reactor, in the node table's lock shards: a handle lives in
/// the shard of the node it was opened from, and its id carries that shard (`ShardLayout`), so a request with a
/// handle takes that one shard's lock, from whatever queue it comes. Ids are generation-checked slots, as for
/// nodes.
final class HandleTable: Sendable {
    private let shards: LockShards<SlotTable<HandleRecord>>
    private let layout: ShardLayout

    /// A table in the shards of `layout` (the node table's).
    init(layout: ShardLayout = ShardLayout(count: 1)) {
        self.layout = layout
        shards = LockShards(count: layout.count) { _ in SlotTable(limit: layout.slotsPerShard) }
    }

    /// Stores an open handle, in its node's shard, and returns its id.
    /// - Throws: ENFILE when the shard is full.
    func insert(_ record: HandleRecord) throws(Errno) -> HandleID {
        let shard = layout.split(record.node.rawValue)?.shard ?? 0
        guard let local = shards.withLock(shard, { $0.insert(record) }) else { throw Errno(rawValue: ENFILE) }
        return HandleID(rawValue: layout.join(shard: shard, local: local))
    }

    /// The record of a live handle opened from `node`.
    /// - Throws: EBADF for an unknown or stale handle, or one opened from another node.
    @inline(__always)
    func resolve(_ handle: HandleID, node: NodeID) throws(Errno) -> HandleRecord {
        guard let (shard, local) = layout.split(handle.rawValue),
              let rec = shards.withLock(shard, { $0.value(of: local) }), rec.node == node
        else { throw .badFileDescriptor }
        return rec
    }

    /// Removes a handle (RELEASE, RELEASEDIR); its descriptor closes once in-flight users drop it.
    /// - Throws: EBADF as `resolve`.
    func remove(_ handle: HandleID, node: NodeID) throws(Errno) {
        guard let (shard, local) = layout.split(handle.rawValue) else { throw .badFileDescriptor }
        let removed = shards.withLock(shard) { s -> HandleRecord? in
            guard let index = s.index(of: local), let rec = s[index], rec.node == node else { return nil }
            return s.remove(at: index)
        }
        guard removed != nil else { throw .badFileDescriptor }
    }

    /// Removes every handle (unmount). Returns how many.
    @discardableResult
    func removeAll() -> Int {
        (0..<shards.count).reduce(0) { sum, shard in
            let removed = shards.withLock(shard) { s -> [HandleRecord] in
                s.liveIndices.compactMap { s.remove(at: $0) }
            }
            return sum + removed.count
        }
    }

    /// Number of open handles.
    var count: Int { (0..<shards.count).reduce(0) { sum, shard in sum + shards.withLock(shard) { $0.count } } }
}
