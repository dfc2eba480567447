import CLinux

// Typed FUSE requests on one queue. Each operation comes as `submitX` (pipelined: post only, the caller kicks and
// reaps, then decodes with the matching static decoder) and as `x` (synchronous: post, kick, wait, decode on an
// idle queue). Sizes follow linux/fuse.h at protocol 7.38; fixed-size replies must have exactly their struct's size.
extension FUSEClient.Queue {
    /// Runs one request synchronously: `submitRequest` posts it, then kick, wait and `decode`.
    /// - Throws: `.queueBusy` if requests are in flight; the reply's errno or problem; `decode`'s errors.
    public func call<R>(
        _ submitRequest: () throws(Failure) -> UInt64, decode: (Completion) throws(Failure) -> R
    ) throws(Failure) -> R {
        guard inFlightCount == 0 else { throw .queueBusy(queue: index) }
        let unique = try submitRequest()
        kick()
        var result: R?
        try reap(minimum: 1) { (c) throws(Failure) in
            guard c.unique == unique else { throw .badReply(.unexpectedCompletion(unique: c.unique)) }
            result = try decode(c)
        }
        guard let result else { throw .timeout(queue: index, inFlight: inFlightCount) }
        return result
    }

    // MARK: - Decoders

    /// Checks a reply that carries no payload (UNLINK, RELEASE, FLUSH...).
    public static func decodeEmpty(_ c: Completion) throws(Failure) {
        try c.check()
        guard c.reply.isEmpty else {
            throw .badReply(.unexpectedLength(opcode: c.opcode, expected: 0, actual: c.reply.count))
        }
    }

    /// Decodes a `fuse_entry_out` reply (LOOKUP, MKDIR, SYMLINK, LINK, MKNOD).
    public static func decodeEntry(_ c: Completion) throws(Failure) -> FUSEClient.Entry {
        FUSEClient.Entry(try c.exactly(fuse_entry_out.self))
    }

    /// Decodes a `fuse_attr_out` reply (GETATTR, SETATTR).
    public static func decodeAttributes(_ c: Completion) throws(Failure) -> FUSEClient.AttributesReply {
        FUSEClient.AttributesReply(try c.exactly(fuse_attr_out.self))
    }

    /// Decodes a `fuse_open_out` reply (OPEN, OPENDIR).
    public static func decodeOpen(_ c: Completion) throws(Failure) -> FUSEClient.OpenReply {
        FUSEClient.OpenReply(try c.exactly(fuse_open_out.self))
    }

    /// Decodes CREATE's `fuse_entry_out` + `fuse_open_out`.
    public static func decodeCreate(_ c: Completion) throws(Failure) -> (entry: FUSEClient.Entry,
                                                                       open: FUSEClient.OpenReply) {
        try c.check()
        let e = MemoryLayout<fuse_entry_out>.size
        let o = MemoryLayout<fuse_open_out>.size
        guard c.reply.count == e + o, let base = c.reply.baseAddress else {
            throw .badReply(.unexpectedLength(opcode: c.opcode, expected: e + o, actual: c.reply.count))
        }
        // SAFETY: the reply holds e + o bytes; unaligned loads of trivial structs.
        let entry = base.loadUnaligned(as: fuse_entry_out.self)
        let open = base.loadUnaligned(fromByteOffset: e, as: fuse_open_out.self)
        return (FUSEClient.Entry(entry), FUSEClient.OpenReply(open))
    }

    /// Decodes WRITE's `fuse_write_out`: the bytes written.
    public static func decodeWrite(_ c: Completion) throws(Failure) -> Int {
        Int(try c.exactly(fuse_write_out.self).size)
    }

    /// Decodes STATFS's `fuse_statfs_out`.
    public static func decodeStatistics(_ c: Completion) throws(Failure) -> FUSEClient.FileSystemStatistics {
        FUSEClient.FileSystemStatistics(try c.exactly(fuse_statfs_out.self).st)
    }

    /// Decodes a READ or READLINK payload: at most the size asked for.
    public static func decodeBytes(_ c: Completion) throws(Failure) -> [UInt8] {
        try c.check()
        guard c.reply.count <= c.replyCapacity else {
            throw .badReply(.longerThanRequested(opcode: c.opcode, capacity: c.replyCapacity, actual: c.reply.count))
        }
        return Array(c.reply)
    }

    /// Decodes a READDIR (`plus == false`) or READDIRPLUS payload into entries; an empty list means the end.
    public static func decodeDirectory(_ c: Completion, plus: Bool) throws(Failure) -> [FUSEClient.DirectoryEntry] {
        try c.check()
        var entries: [FUSEClient.DirectoryEntry] = []
        try FUSEClient.DirectoryEntry.walk(c.reply, opcode: c.opcode, plus: plus) { entries.append($0) }
        return entries
    }

    // MARK: - Requests

    /// FUSE_LOOKUP of `name` in `parent`.
    @discardableResult
    public func submitLookup(parent: UInt64, name: String, tag: UInt64 = 0) throws(Failure) -> UInt64 {
        try submit(opcode: FUSEClient.Opcode.lookup.rawValue, nodeID: parent,
                   replyCapacity: MemoryLayout<fuse_entry_out>.size, tag: tag) { (w) throws(Failure) in
            try w.append(name: name)
        }
    }

    /// FUSE_LOOKUP: the entry of `name` in `parent` (adds one to its lookup count).
    public func lookup(parent: UInt64, name: String) throws(Failure) -> FUSEClient.Entry {
        try call({ () throws(Failure) in try submitLookup(parent: parent, name: name) }, decode: Self.decodeEntry)
    }

    /// FUSE_GETATTR of `node` (through `handle` when given: FUSE_GETATTR_FH).
    @discardableResult
    public func submitGetattr(_ node: UInt64, handle: UInt64? = nil, tag: UInt64 = 0) throws(Failure) -> UInt64 {
        var body = fuse_getattr_in()
        if let handle {
            body.getattr_flags = UInt32(FUSE_GETATTR_FH)
            body.fh = handle
        }
        return try submit(opcode: FUSEClient.Opcode.getattr.rawValue, nodeID: node,
                          replyCapacity: MemoryLayout<fuse_attr_out>.size, tag: tag) { (w) throws(Failure) in
            try w.append(body)
        }
    }

    /// FUSE_GETATTR: the attributes of `node`.
    public func getattr(_ node: UInt64, handle: UInt64? = nil) throws(Failure) -> FUSEClient.AttributesReply {
        try call({ () throws(Failure) in try submitGetattr(node, handle: handle) }, decode: Self.decodeAttributes)
    }

    /// FUSE_SETATTR: changes `node`'s attributes; returns the new ones.
    public func setattr(_ node: UInt64, _ changes: FUSEClient.SetAttributes) throws(Failure)
        -> FUSEClient.AttributesReply
    {
        let body = changes.raw
        return try call({ () throws(Failure) in
            try submit(opcode: FUSEClient.Opcode.setattr.rawValue, nodeID: node,
                       replyCapacity: MemoryLayout<fuse_attr_out>.size) { (w) throws(Failure) in try w.append(body) }
        }, decode: Self.decodeAttributes)
    }

    /// FUSE_OPEN of `node` with open(2) `flags` (O_RDONLY, O_RDWR...).
    @discardableResult
    public func submitOpen(_ node: UInt64, flags: Int32, tag: UInt64 = 0) throws(Failure) -> UInt64 {
        let body = fuse_open_in(flags: UInt32(bitPattern: flags), open_flags: 0)
        return try submit(opcode: FUSEClient.Opcode.open.rawValue, nodeID: node,
                          replyCapacity: MemoryLayout<fuse_open_out>.size, tag: tag) { (w) throws(Failure) in
            try w.append(body)
        }
    }

    /// FUSE_OPEN: a file handle for `node`.
    public func open(_ node: UInt64, flags: Int32) throws(Failure) -> FUSEClient.OpenReply {
        try call({ () throws(Failure) in try submitOpen(node, flags: flags) }, decode: Self.decodeOpen)
    }

    /// FUSE_CREATE of `name` in `parent`, opened with `flags` (O_CREAT is implied by the opcode; add O_EXCL...).
    @discardableResult
    public func submitCreate(parent: UInt64, name: String, flags: Int32, mode: UInt32, umask: UInt32 = 0,
                             tag: UInt64 = 0) throws(Failure) -> UInt64 {
        let body = fuse_create_in(flags: UInt32(bitPattern: flags), mode: mode, umask: umask, open_flags: 0)
        return try submit(
            opcode: FUSEClient.Opcode.create.rawValue, nodeID: parent,
            replyCapacity: MemoryLayout<fuse_entry_out>.size + MemoryLayout<fuse_open_out>.size, tag: tag
        ) { (w) throws(Failure) in
            try w.append(body)
            try w.append(name: name)
        }
    }

    /// FUSE_CREATE: creates and opens `name` in `parent` (`mode` includes only permission bits).
    public func create(parent: UInt64, name: String, flags: Int32, mode: UInt32, umask: UInt32 = 0)
        throws(Failure) -> (entry: FUSEClient.Entry, open: FUSEClient.OpenReply)
    {
        try call({ () throws(Failure) in
            try submitCreate(parent: parent, name: name, flags: flags, mode: mode | UInt32(S_IFREG), umask: umask)
        }, decode: Self.decodeCreate)
    }

    /// FUSE_READ of `size` bytes at `offset`.
    @discardableResult
    public func submitRead(_ node: UInt64, handle: UInt64, offset: UInt64, size: Int, tag: UInt64 = 0)
        throws(Failure) -> UInt64
    {
        guard size >= 0, size <= replyCapacity else { throw .replyTooLarge(needed: size, capacity: replyCapacity) }
        var body = fuse_read_in()
        body.fh = handle
        body.offset = offset
        body.size = UInt32(size)
        return try submit(opcode: FUSEClient.Opcode.read.rawValue, nodeID: node, replyCapacity: size,
                          tag: tag) { (w) throws(Failure) in try w.append(body) }
    }

    /// FUSE_READ: up to `size` bytes at `offset` (fewer at the end of the file).
    public func read(_ node: UInt64, handle: UInt64, offset: UInt64, size: Int) throws(Failure) -> [UInt8] {
        try call({ () throws(Failure) in try submitRead(node, handle: handle, offset: offset, size: size) },
                 decode: Self.decodeBytes)
    }

    /// FUSE_WRITE of `count` bytes at `offset`, which `fill` writes in place in guest memory.
    @discardableResult
    public func submitWrite(_ node: UInt64, handle: UInt64, offset: UInt64, count: Int, tag: UInt64 = 0,
                            fill: (UnsafeMutableRawBufferPointer) -> Void) throws(Failure) -> UInt64 {
        var body = fuse_write_in()
        body.fh = handle
        body.offset = offset
        body.size = UInt32(clamping: count)
        return try submit(opcode: FUSEClient.Opcode.write.rawValue, nodeID: node,
                          replyCapacity: MemoryLayout<fuse_write_out>.size, tag: tag) { (w) throws(Failure) in
            try w.append(body)
            try w.appendData(count: count, fill)
        }
    }

    /// FUSE_WRITE: writes `data` at `offset`; returns the bytes written.
    public func write(_ node: UInt64, handle: UInt64, offset: UInt64, data: [UInt8]) throws(Failure) -> Int {
        try call({ () throws(Failure) in
            try submitWrite(node, handle: handle, offset: offset, count: data.count) { target in
                // SAFETY: `target` has data.count bytes (appendData reserved exactly that).
                data.withUnsafeBytes { source in
                    if let t = target.baseAddress, let s = source.baseAddress, !source.isEmpty {
                        t.copyMemory(from: s, byteCount: source.count)
                    }
                }
            }
        }, decode: Self.decodeWrite)
    }

    /// FUSE_RELEASE (or FUSE_RELEASEDIR with `directory`) of `handle`.
    @discardableResult
    public func submitRelease(_ node: UInt64, handle: UInt64, flags: Int32 = 0, directory: Bool = false,
                              tag: UInt64 = 0) throws(Failure) -> UInt64 {
        var body = fuse_release_in()
        body.fh = handle
        body.flags = UInt32(bitPattern: flags)
        let op: FUSEClient.Opcode = directory ? .releasedir : .release
        return try submit(opcode: op.rawValue, nodeID: node, replyCapacity: 0, tag: tag) { (w) throws(Failure) in
            try w.append(body)
        }
    }

    /// FUSE_RELEASE: closes a file handle.
    public func release(_ node: UInt64, handle: UInt64, flags: Int32 = 0) throws(Failure) {
        try call({ () throws(Failure) in try submitRelease(node, handle: handle, flags: flags) },
                 decode: Self.decodeEmpty)
    }

    /// FUSE_RELEASEDIR: closes a directory handle.
    public func releasedir(_ node: UInt64, handle: UInt64) throws(Failure) {
        try call({ () throws(Failure) in try submitRelease(node, handle: handle, directory: true) },
                 decode: Self.decodeEmpty)
    }

    /// FUSE_MKDIR of `name` in `parent`.
    @discardableResult
    public func submitMkdir(parent: UInt64, name: String, mode: UInt32, umask: UInt32 = 0, tag: UInt64 = 0)
        throws(Failure) -> UInt64
    {
        let body = fuse_mkdir_in(mode: mode, umask: umask)
        return try submit(opcode: FUSEClient.Opcode.mkdir.rawValue, nodeID: parent,
                          replyCapacity: MemoryLayout<fuse_entry_out>.size, tag: tag) { (w) throws(Failure) in
            try w.append(body)
            try w.append(name: name)
        }
    }

    /// FUSE_MKDIR: creates directory `name` in `parent`.
    public func mkdir(parent: UInt64, name: String, mode: UInt32, umask: UInt32 = 0) throws(Failure)
        -> FUSEClient.Entry
    {
        try call({ () throws(Failure) in try submitMkdir(parent: parent, name: name, mode: mode, umask: umask) },
                 decode: Self.decodeEntry)
    }

    /// FUSE_MKNOD: creates `name` in `parent` with `mode` (file type and permission bits: S_IFIFO, S_IFCHR,
    /// S_IFBLK, S_IFSOCK or S_IFREG) and device number `rdev` (the kernel's `new_encode_dev`).
    public func mknod(parent: UInt64, name: String, mode: UInt32, rdev: UInt32 = 0, umask: UInt32 = 0)
        throws(Failure) -> FUSEClient.Entry
    {
        let body = fuse_mknod_in(mode: mode, rdev: rdev, umask: umask, padding: 0)
        return try call({ () throws(Failure) in
            try submit(opcode: FUSEClient.Opcode.mknod.rawValue, nodeID: parent,
                       replyCapacity: MemoryLayout<fuse_entry_out>.size) { (w) throws(Failure) in
                try w.append(body)
                try w.append(name: name)
            }
        }, decode: Self.decodeEntry)
    }

    /// FUSE_UNLINK (or FUSE_RMDIR with `directory`) of `name` in `parent`.
    @discardableResult
    public func submitUnlink(parent: UInt64, name: String, directory: Bool = false, tag: UInt64 = 0)
        throws(Failure) -> UInt64
    {
        let op: FUSEClient.Opcode = directory ? .rmdir : .unlink
        return try submit(opcode: op.rawValue, nodeID: parent, replyCapacity: 0, tag: tag) { (w) throws(Failure) in
            try w.append(name: name)
        }
    }

    /// FUSE_UNLINK: removes file `name` from `parent`.
    public func unlink(parent: UInt64, name: String) throws(Failure) {
        try call({ () throws(Failure) in try submitUnlink(parent: parent, name: name) }, decode: Self.decodeEmpty)
    }

    /// FUSE_RMDIR: removes directory `name` from `parent`.
    public func rmdir(parent: UInt64, name: String) throws(Failure) {
        try call({ () throws(Failure) in try submitUnlink(parent: parent, name: name, directory: true) },
                 decode: Self.decodeEmpty)
    }

    /// FUSE_RENAME (or FUSE_RENAME2 when `flags` is non-zero: RENAME_NOREPLACE, RENAME_EXCHANGE...).
    public func rename(parent: UInt64, name: String, newParent: UInt64, newName: String, flags: UInt32 = 0)
        throws(Failure)
    {
        try call({ () throws(Failure) in
            if flags == 0 {
                return try submit(opcode: FUSEClient.Opcode.rename.rawValue, nodeID: parent,
                                  replyCapacity: 0) { (w) throws(Failure) in
                    try w.append(fuse_rename_in(newdir: newParent))
                    try w.append(name: name)
                    try w.append(name: newName)
                }
            }
            return try submit(opcode: FUSEClient.Opcode.rename2.rawValue, nodeID: parent,
                              replyCapacity: 0) { (w) throws(Failure) in
                try w.append(fuse_rename2_in(newdir: newParent, flags: flags, padding: 0))
                try w.append(name: name)
                try w.append(name: newName)
            }
        }, decode: Self.decodeEmpty)
    }

    /// FUSE_OPENDIR of `node`.
    @discardableResult
    public func submitOpendir(_ node: UInt64, flags: Int32 = 0, tag: UInt64 = 0) throws(Failure) -> UInt64 {
        let body = fuse_open_in(flags: UInt32(bitPattern: flags), open_flags: 0)
        return try submit(opcode: FUSEClient.Opcode.opendir.rawValue, nodeID: node,
                          replyCapacity: MemoryLayout<fuse_open_out>.size, tag: tag) { (w) throws(Failure) in
            try w.append(body)
        }
    }

    /// FUSE_OPENDIR: a directory handle for `node`.
    public func opendir(_ node: UInt64, flags: Int32 = 0) throws(Failure) -> FUSEClient.OpenReply {
        try call({ () throws(Failure) in try submitOpendir(node, flags: flags) }, decode: Self.decodeOpen)
    }

    /// FUSE_READDIR (or FUSE_READDIRPLUS with `plus`) from `offset` into a buffer of `size` bytes.
    @discardableResult
    public func submitReaddir(_ node: UInt64, handle: UInt64, offset: UInt64, size: Int, plus: Bool = false,
                              tag: UInt64 = 0) throws(Failure) -> UInt64 {
        guard size >= 0, size <= replyCapacity else { throw .replyTooLarge(needed: size, capacity: replyCapacity) }
        var body = fuse_read_in()
        body.fh = handle
        body.offset = offset
        body.size = UInt32(size)
        let op: FUSEClient.Opcode = plus ? .readdirplus : .readdir
        return try submit(opcode: op.rawValue, nodeID: node, replyCapacity: size, tag: tag) { (w) throws(Failure) in
            try w.append(body)
        }
    }

    /// FUSE_READDIR: the entries from `offset` that fit in `size` bytes (empty at the end).
    public func readdir(_ node: UInt64, handle: UInt64, offset: UInt64 = 0, size: Int = 4096) throws(Failure)
        -> [FUSEClient.DirectoryEntry]
    {
        try call({ () throws(Failure) in try submitReaddir(node, handle: handle, offset: offset, size: size) },
                 decode: { (c) throws(Failure) in try Self.decodeDirectory(c, plus: false) })
    }

    /// FUSE_READDIRPLUS: entries with their lookups (each non-zero node id must be forgotten).
    public func readdirplus(_ node: UInt64, handle: UInt64, offset: UInt64 = 0, size: Int = 4096) throws(Failure)
        -> [FUSEClient.DirectoryEntry]
    {
        try call({ () throws(Failure) in
            try submitReaddir(node, handle: handle, offset: offset, size: size, plus: true)
        }, decode: { (c) throws(Failure) in try Self.decodeDirectory(c, plus: true) })
    }

    /// FUSE_STATFS of the file system holding `node`.
    public func statfs(_ node: UInt64 = FUSEClient.rootNodeID) throws(Failure) -> FUSEClient.FileSystemStatistics {
        try call({ () throws(Failure) in
            try submit(opcode: FUSEClient.Opcode.statfs.rawValue, nodeID: node,
                       replyCapacity: MemoryLayout<fuse_statfs_out>.size)
        }, decode: Self.decodeStatistics)
    }

    /// FUSE_FSYNC (or FUSE_FSYNCDIR with `directory`) of `handle`; `dataOnly` sets FUSE_FSYNC_FDATASYNC.
    public func fsync(_ node: UInt64, handle: UInt64, dataOnly: Bool = false, directory: Bool = false)
        throws(Failure)
    {
        let body = fuse_fsync_in(fh: handle, fsync_flags: dataOnly ? UInt32(FUSE_FSYNC_FDATASYNC) : 0, padding: 0)
        let op: FUSEClient.Opcode = directory ? .fsyncdir : .fsync
        try call({ () throws(Failure) in
            try submit(opcode: op.rawValue, nodeID: node, replyCapacity: 0) { (w) throws(Failure) in
                try w.append(body)
            }
        }, decode: Self.decodeEmpty)
    }

    /// FUSE_FLUSH of `handle` (sent by close(2)).
    public func flush(_ node: UInt64, handle: UInt64, lockOwner: UInt64 = 0) throws(Failure) {
        let body = fuse_flush_in(fh: handle, unused: 0, padding: 0, lock_owner: lockOwner)
        try call({ () throws(Failure) in
            try submit(opcode: FUSEClient.Opcode.flush.rawValue, nodeID: node,
                       replyCapacity: 0) { (w) throws(Failure) in
                try w.append(body)
            }
        }, decode: Self.decodeEmpty)
    }

    /// FUSE_SYMLINK: creates `name` in `parent` pointing at `target`.
    public func symlink(parent: UInt64, name: String, target: String) throws(Failure) -> FUSEClient.Entry {
        try call({ () throws(Failure) in
            try submit(opcode: FUSEClient.Opcode.symlink.rawValue, nodeID: parent,
                       replyCapacity: MemoryLayout<fuse_entry_out>.size) { (w) throws(Failure) in
                try w.append(name: name)
                try w.append(name: target)
            }
        }, decode: Self.decodeEntry)
    }

    /// FUSE_READLINK: the target of symbolic link `node` (up to `size` bytes).
    public func readlink(_ node: UInt64, size: Int = 4096) throws(Failure) -> [UInt8] {
        let capacity = min(size, replyCapacity)
        return try call({ () throws(Failure) in
            try submit(opcode: FUSEClient.Opcode.readlink.rawValue, nodeID: node, replyCapacity: capacity)
        }, decode: Self.decodeBytes)
    }

    /// FUSE_LINK: a new name `newName` in `newParent` for `node`.
    public func link(_ node: UInt64, newParent: UInt64, newName: String) throws(Failure) -> FUSEClient.Entry {
        try call({ () throws(Failure) in
            try submit(opcode: FUSEClient.Opcode.link.rawValue, nodeID: newParent,
                       replyCapacity: MemoryLayout<fuse_entry_out>.size) { (w) throws(Failure) in
                try w.append(fuse_link_in(oldnodeid: node))
                try w.append(name: newName)
            }
        }, decode: Self.decodeEntry)
    }

    /// FUSE_ACCESS: checks `mask` (R_OK, W_OK, X_OK, F_OK) on `node`.
    public func access(_ node: UInt64, mask: Int32) throws(Failure) {
        let body = fuse_access_in(mask: UInt32(bitPattern: mask), padding: 0)
        try call({ () throws(Failure) in
            try submit(opcode: FUSEClient.Opcode.access.rawValue, nodeID: node,
                       replyCapacity: 0) { (w) throws(Failure) in
                try w.append(body)
            }
        }, decode: Self.decodeEmpty)
    }

    /// FUSE_DESTROY: the guest unmounts.
    public func destroy() throws(Failure) {
        try call({ () throws(Failure) in
            try submit(opcode: FUSEClient.Opcode.destroy.rawValue, nodeID: 0, replyCapacity: 0)
        }, decode: Self.decodeEmpty)
    }

    /// FUSE_FORGET: drops `lookups` from `node`'s lookup count (no reply; waits until the device returns the chain).
    public func forget(_ node: UInt64, lookups: UInt64) throws(Failure) {
        try call({ () throws(Failure) in
            try submit(opcode: FUSEClient.Opcode.forget.rawValue, nodeID: node, replyCapacity: 0,
                       expectsReply: false) { (w) throws(Failure) in try w.append(fuse_forget_in(nlookup: lookups)) }
        }, decode: { _ in })
    }

    /// FUSE_BATCH_FORGET: drops lookups of many nodes, in batches that fit a slot (no reply).
    public func batchForget(_ nodes: [(node: UInt64, lookups: UInt64)]) throws(Failure) {
        let room = (argumentCapacity - MemoryLayout<fuse_batch_forget_in>.size) / MemoryLayout<fuse_forget_one>.size
        guard room > 0 else { throw .requestTooLarge("BATCH_FORGET", needed: 1, capacity: 0) }
        var start = 0
        while start < nodes.count {
            let batch = nodes[start..<min(start + room, nodes.count)]
            try call({ () throws(Failure) in
                try submit(opcode: FUSEClient.Opcode.batchForget.rawValue, nodeID: 0, replyCapacity: 0,
                           expectsReply: false) { (w) throws(Failure) in
                    try w.append(fuse_batch_forget_in(count: UInt32(batch.count), dummy: 0))
                    for n in batch { try w.append(fuse_forget_one(nodeid: n.node, nlookup: n.lookups)) }
                }
            }, decode: { _ in })
            start += batch.count
        }
    }

    /// Sends any opcode with any body and returns the reply as bytes; an errno reply is returned, not thrown.
    /// - Throws: transport failures and malformed replies (`.badReply`).
    public func send(opcode: UInt32, nodeID: UInt64 = FUSEClient.rootNodeID, body: [UInt8], replyCapacity: Int,
                     expectsReply: Bool = true) throws(Failure) -> FUSEClient.RawReply {
        try call({ () throws(Failure) in
            try submit(opcode: opcode, nodeID: nodeID, replyCapacity: replyCapacity,
                       expectsReply: expectsReply) { (w) throws(Failure) in try w.append(bytes: body) }
        }, decode: { (c) throws(Failure) in
            if let problem = c.problem { throw .badReply(problem) }
            return FUSEClient.RawReply(unique: c.unique, error: c.error, body: Array(c.reply), usedLength: c.usedLength)
        })
    }
}
