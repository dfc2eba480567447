// The typed calls on the client go to the first request queue, synchronously; forgets go to hiprio, as Linux's
// virtiofs sends them. For pipelining or other queues, use `requestQueues[i]` directly.
extension FUSEClient {
    /// The first request queue (virtqueue 1).
    public var queue: Queue { requestQueues[0] }

    /// FUSE_LOOKUP: the entry of `name` in `parent` (adds one to its lookup count).
    public func lookup(parent: UInt64, name: String) throws(Failure) -> Entry {
        try queue.lookup(parent: parent, name: name)
    }

    /// FUSE_GETATTR: the attributes of `node`.
    public func getattr(_ node: UInt64, handle: UInt64? = nil) throws(Failure) -> AttributesReply {
        try queue.getattr(node, handle: handle)
    }

    /// FUSE_SETATTR: changes `node`'s attributes; returns the new ones.
    public func setattr(_ node: UInt64, _ changes: SetAttributes) throws(Failure) -> AttributesReply {
        try queue.setattr(node, changes)
    }

    /// FUSE_OPEN: a file handle for `node`.
    public func open(_ node: UInt64, flags: Int32) throws(Failure) -> OpenReply {
        try queue.open(node, flags: flags)
    }

    /// FUSE_CREATE: creates and opens `name` in `parent`.
    public func create(parent: UInt64, name: String, flags: Int32, mode: UInt32, umask: UInt32 = 0)
        throws(Failure) -> (entry: Entry, open: OpenReply)
    {
        try queue.create(parent: parent, name: name, flags: flags, mode: mode, umask: umask)
    }

    /// FUSE_READ: up to `size` bytes at `offset`.
    public func read(_ node: UInt64, handle: UInt64, offset: UInt64, size: Int) throws(Failure) -> [UInt8] {
        try queue.read(node, handle: handle, offset: offset, size: size)
    }

    /// FUSE_WRITE: writes `data` at `offset`; returns the bytes written.
    public func write(_ node: UInt64, handle: UInt64, offset: UInt64, data: [UInt8]) throws(Failure) -> Int {
        try queue.write(node, handle: handle, offset: offset, data: data)
    }

    /// FUSE_RELEASE: closes a file handle.
    public func release(_ node: UInt64, handle: UInt64, flags: Int32 = 0) throws(Failure) {
        try queue.release(node, handle: handle, flags: flags)
    }

    /// FUSE_MKDIR: creates directory `name` in `parent`.
    public func mkdir(parent: UInt64, name: String, mode: UInt32, umask: UInt32 = 0) throws(Failure) -> Entry {
        try queue.mkdir(parent: parent, name: name, mode: mode, umask: umask)
    }

    /// FUSE_MKNOD: creates a FIFO, device node, socket or regular file `name` in `parent`.
    public func mknod(parent: UInt64, name: String, mode: UInt32, rdev: UInt32 = 0, umask: UInt32 = 0)
        throws(Failure) -> Entry
    {
        try queue.mknod(parent: parent, name: name, mode: mode, rdev: rdev, umask: umask)
    }

    /// FUSE_RMDIR: removes directory `name` from `parent`.
    public func rmdir(parent: UInt64, name: String) throws(Failure) {
        try queue.rmdir(parent: parent, name: name)
    }

    /// FUSE_UNLINK: removes file `name` from `parent`.
    public func unlink(parent: UInt64, name: String) throws(Failure) {
        try queue.unlink(parent: parent, name: name)
    }

    /// FUSE_RENAME / FUSE_RENAME2 (non-zero `flags`).
    public func rename(parent: UInt64, name: String, newParent: UInt64, newName: String, flags: UInt32 = 0)
        throws(Failure)
    {
        try queue.rename(parent: parent, name: name, newParent: newParent, newName: newName, flags: flags)
    }

    /// FUSE_OPENDIR: a directory handle for `node`.
    public func opendir(_ node: UInt64, flags: Int32 = 0) throws(Failure) -> OpenReply {
        try queue.opendir(node, flags: flags)
    }

    /// FUSE_READDIR: entries from `offset` that fit in `size` bytes (empty at the end).
    public func readdir(_ node: UInt64, handle: UInt64, offset: UInt64 = 0, size: Int = 4096) throws(Failure)
        -> [DirectoryEntry]
    {
        try queue.readdir(node, handle: handle, offset: offset, size: size)
    }

    /// FUSE_READDIRPLUS: entries with their lookups (each non-zero node id must be forgotten).
    public func readdirplus(_ node: UInt64, handle: UInt64, offset: UInt64 = 0, size: Int = 4096) throws(Failure)
        -> [DirectoryEntry]
    {
        try queue.readdirplus(node, handle: handle, offset: offset, size: size)
    }

    /// FUSE_RELEASEDIR: closes a directory handle.
    public func releasedir(_ node: UInt64, handle: UInt64) throws(Failure) {
        try queue.releasedir(node, handle: handle)
    }

    /// FUSE_STATFS of the file system holding `node`.
    public func statfs(_ node: UInt64 = FUSEClient.rootNodeID) throws(Failure) -> FileSystemStatistics {
        try queue.statfs(node)
    }

    /// FUSE_FSYNC of `handle`.
    public func fsync(_ node: UInt64, handle: UInt64, dataOnly: Bool = false) throws(Failure) {
        try queue.fsync(node, handle: handle, dataOnly: dataOnly)
    }

    /// FUSE_FLUSH of `handle`.
    public func flush(_ node: UInt64, handle: UInt64, lockOwner: UInt64 = 0) throws(Failure) {
        try queue.flush(node, handle: handle, lockOwner: lockOwner)
    }

    /// FUSE_SYMLINK: creates `name` in `parent` pointing at `target`.
    public func symlink(parent: UInt64, name: String, target: String) throws(Failure) -> Entry {
        try queue.symlink(parent: parent, name: name, target: target)
    }

    /// FUSE_READLINK: the target of symbolic link `node`.
    public func readlink(_ node: UInt64) throws(Failure) -> [UInt8] {
        try queue.readlink(node)
    }

    /// FUSE_LINK: a new name for `node`.
    public func link(_ node: UInt64, newParent: UInt64, newName: String) throws(Failure) -> Entry {
        try queue.link(node, newParent: newParent, newName: newName)
    }

    /// FUSE_ACCESS: checks `mask` on `node`.
    public func access(_ node: UInt64, mask: Int32) throws(Failure) {
        try queue.access(node, mask: mask)
    }

    /// FUSE_FORGET on the hiprio queue.
    public func forget(_ node: UInt64, lookups: UInt64) throws(Failure) {
        try withHiprio { (q) throws(Failure) in try q.forget(node, lookups: lookups) }
    }

    /// FUSE_BATCH_FORGET on the hiprio queue.
    public func batchForget(_ nodes: [(node: UInt64, lookups: UInt64)]) throws(Failure) {
        try withHiprio { (q) throws(Failure) in try q.batchForget(nodes) }
    }

    /// Any opcode and body on the first request queue; an errno reply is returned, not thrown.
    public func send(opcode: UInt32, nodeID: UInt64 = FUSEClient.rootNodeID, body: [UInt8], replyCapacity: Int)
        throws(Failure) -> RawReply
    {
        try queue.send(opcode: opcode, nodeID: nodeID, body: body, replyCapacity: replyCapacity)
    }
}
