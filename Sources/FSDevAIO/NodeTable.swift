import FSDev
import Glibc
import LinuxSystem
import Synchronization

/// The node table of a device, shared by every reactor (one uncontended lock per resolution).
///
/// Node ids are generation-checked table slots (never pointers): an id the guest invents, or one it kept after
/// FORGET, is EBADF (virtiofsd's choice). The root is slot 0, id 1 (FUSE_ROOT_ID), and lives as long as the device.
///
/// Descriptors: a node identified by a file handle is opened on demand with open_by_handle_at and its O_PATH
/// descriptor kept in a bounded cache (`NodeStore`); a node without a handle holds its descriptor for its life.
/// `resolve` returns an owned descriptor, so a request using it is safe when the cache drops it meanwhile: the
/// descriptor closes when the last user lets go. Descriptors leave the table (eviction, FORGET) outside the lock.
final class NodeTable: Sendable {
    private let state: Mutex<NodeStore>
    /// The root's inode.
    let rootKey: InodeKey

    /// A table holding the root, pinned around `root`; a root identified by a handle registers its mount with
    /// `mountDescriptor`. At most `cacheCapacity` descriptors of handle nodes stay open.
    init(root: FileDescriptor, status: stat, identity: NodeIdentity, mountDescriptor: FileDescriptor?,
         cacheCapacity: Int) {
        rootKey = InodeKey(status)
        state = Mutex(NodeStore(rootDescriptor: root, identity: identity,
                                fileType: UInt32(status.st_mode) & FileType.mask, mountDescriptor: mountDescriptor,
                                cacheCapacity: cacheCapacity))
    }

    /// The descriptor and type of a live node, opened from its handle when the cache does not hold it.
    /// - Throws: EBADF for an unknown or stale id; ENOENT when the node's inode no longer exists (ESTALE); the
    ///   open's errno otherwise.
    @inline(__always)
    func resolve(_ node: NodeID) throws(Errno) -> (descriptor: FileDescriptor, fileType: UInt32) {
        switch state.withLock({ $0.descriptor(of: node.rawValue) }) {
        case .open(let descriptor, let fileType):
            return (descriptor, fileType)
        case .unknown:
            throw .badFileDescriptor
        case .closed(let handle, let mount, let fileType):
            return (try reopen(node, handle: handle, mount: mount), fileType)
        }
    }

    /// Opens a node's handle and offers the descriptor to the cache.
    private func reopen(_ node: NodeID, handle: KernelFileHandle, mount: FileDescriptor) throws(Errno)
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
        let (use, surplus) = state.withLock { $0.install(opened, for: node.rawValue) }
        withExtendedLifetime(surplus) {}  // a displaced or duplicate descriptor closes here, outside the lock
        return use
    }

    /// Adds one lookup reference to the node of `identity` (the inode `descriptor` names), creating it when new.
    /// Returns nil when the inode is on a mount the table has no descriptor for: call again with
    /// `mountDescriptor`, a descriptor opened for reading on that mount.
    /// - Throws: ENFILE when the table is full.
    func reference(descriptor: FileDescriptor, fileType: UInt32, identity: NodeIdentity,
                   mountDescriptor: FileDescriptor?, inode: OpenInodeKey? = nil) throws(Errno)
        -> (node: NodeID, generation: UInt64)?
    {
        let (result, surplus) = state.withLock {
            $0.reference(identity: identity, fileType: fileType, descriptor: descriptor,
                         mountDescriptor: mountDescriptor, inode: inode)
        }
        // The duplicate descriptor of an existing node, or one displaced from the cache, closes here.
        withExtendedLifetime(surplus) {}
        switch result {
        case .node(let id): return (NodeID(rawValue: id), id >> 32)
        case .needsMountDescriptor: return nil
        case .tableFull: throw .tooManyOpenFilesInSystem
        }
    }

    /// Adds a lookup reference to the node whose cached descriptor's inode is where `inode` says, if any: a
    /// lookup of a node in use needs no file handle. Returns its id and generation.
    @inline(__always)
    func referenceOpen(_ inode: OpenInodeKey) -> (node: NodeID, generation: UInt64)? {
        state.withLock { $0.referenceOpen(inode) }.map { (NodeID(rawValue: $0), $0 >> 32) }
    }

    /// Drops `count` lookup references (FORGET); the node goes away at zero. The root is never forgotten.
    /// - Throws: EBADF for an unknown or stale id.
    func forget(_ node: NodeID, count: UInt64) throws(Errno) {
        let result = state.withLock { $0.forget(node.rawValue, count: count) }
        // A removed node's descriptor (and its mount's, for the mount's last node) closes here, outside the lock.
        guard result.found else { throw .badFileDescriptor }
    }

    /// Drops every node but the root (unmount). Returns how many were dropped.
    @discardableResult
    func forgetAll() -> Int {
        state.withLock { $0.forgetAll() }.records.count
    }

    /// Closes up to `count` cached descriptors (the process ran out). Returns how many.
    @discardableResult
    func evictCachedDescriptors(_ count: Int) -> Int {
        state.withLock { $0.evict(count) }.count
    }

    /// Runs `body`, an open of some descriptor; when the process or the system is out of descriptors (EMFILE,
    /// ENFILE), closes half the cached ones (at least 16) and runs it once more.
    func retryingOnShortage<R>(_ body: () throws(Errno) -> R) throws(Errno) -> R {
        do throws(Errno) {
            return try body()
        } catch {
            guard error == .tooManyOpenFiles || error == .tooManyOpenFilesInSystem else { throw error }
            let cached = state.withLock { $0.cachedCount }
            guard evictCachedDescriptors(max(16, cached / 2)) > 0 else { throw error }
            return try body()
        }
    }

    /// Number of live nodes, the root included.
    var count: Int { state.withLock { $0.slots.count } }

    /// Descriptors the cache holds open now, and nodes that hold theirs for good (the root included).
    var descriptorCounts: (cached: Int, pinned: Int) { state.withLock { ($0.cachedCount, $0.pinnedCount) } }

    /// Mounts with an open descriptor.
    var mountCount: Int { state.withLock { $0.mounts.count } }

    /// Whether a node has an open descriptor now, nil if unknown (tests and diagnostics).
    func hasOpenDescriptor(_ node: NodeID) -> Bool? {
        state.withLock { $0.slots.value(of: node.rawValue).map { $0.descriptor != nil } }
    }

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
