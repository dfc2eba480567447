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

/// The open-handle table of a device, shared by every reactor. Ids are generation-checked slots, as for nodes.
final class HandleTable: Sendable {
    private let state = Mutex(SlotTable<HandleRecord>())

    /// Stores an open handle and returns its id.
    /// - Throws: ENFILE when the table is full.
    func insert(_ record: HandleRecord) throws(Errno) -> HandleID {
        guard let id = state.withLock({ $0.insert(record) }) else { throw Errno(rawValue: ENFILE) }
        return HandleID(rawValue: id)
    }

    /// The record of a live handle opened from `node`.
    /// - Throws: EBADF for an unknown or stale handle, or one opened from another node.
    @inline(__always)
    func resolve(_ handle: HandleID, node: NodeID) throws(Errno) -> HandleRecord {
        guard let rec = state.withLock({ $0.value(of: handle.rawValue) }), rec.node == node else {
            throw .badFileDescriptor
        }
        return rec
    }

    /// Removes a handle (RELEASE, RELEASEDIR); its descriptor closes once in-flight users drop it.
    /// - Throws: EBADF as `resolve`.
    func remove(_ handle: HandleID, node: NodeID) throws(Errno) {
        let removed = state.withLock { s -> HandleRecord? in
            guard let index = s.index(of: handle.rawValue), let rec = s[index], rec.node == node else { return nil }
            return s.remove(at: index)
        }
        guard removed != nil else { throw .badFileDescriptor }
    }

    /// Removes every handle (unmount). Returns how many.
    @discardableResult
    func removeAll() -> Int {
        let removed = state.withLock { s -> [HandleRecord] in
            s.liveIndices.compactMap { s.remove(at: $0) }
        }
        return removed.count
    }

    /// Number of open handles.
    var count: Int { state.withLock { $0.count } }
}
