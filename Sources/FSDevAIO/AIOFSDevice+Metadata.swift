import FSDev
import Glibc
import LinuxSystem

extension AIOFSDevice {
    /// INIT: settle writeback caching and max_write with what the FUSE layer negotiated.
    func mount(_ request: MountRequest) throws(Errno) -> MountReply {
        let writeback = options.writebackCache && request.writebackCache && !options.readOnly
        writebackActive.store(writeback, ordering: .relaxed)
        let limit = request.maxWrite == 0 ? options.maxWrite : min(request.maxWrite, options.maxWrite)
        maxWrite.store(limit, ordering: .relaxed)
        return MountReply(maxWrite: limit, writebackCache: writeback, posixLocks: options.posixLocks,
                          flockLocks: options.flockLocks, root: try attributes(of: .root, handle: nil))
    }

    /// DESTROY: drop every node but the root and every handle.
    func unmount() {
        handles.removeAll()
        nodes.forgetAll()
        writebackActive.store(false, ordering: .relaxed)
    }

    /// BATCH_FORGET: each record read once; unknown ids are skipped (FORGET has no reply to carry an error).
    func batchForget(_ batch: ForgetBatch) {
        for i in 0..<batch.count {
            let r = batch.record(i)
            try? nodes.forget(r.node, count: r.count)
        }
    }

    /// SETATTR. Through the handle when given, else through the node (chmod, truncate and utimes by
    /// /proc/self/fd path, chown on the O_PATH descriptor). Symlinks cannot be chmod'ed or truncated. With
    /// `context.killSetIDBits` a truncate or owner change clears the set-ID bits (FATTR_KILL_SUIDGID).
    func setattr(node: NodeID, handle: HandleID?, attributes a: SetAttributes,
                 context: RequestContext = .root) throws(Errno) -> AttributesReply {
        try requireWritable()
        let (nodeFD, fileType) = try nodes.resolve(node)
        let handleFD: FileDescriptor?
        if let handle { handleFD = try handles.resolve(handle, node: node).descriptor } else { handleFD = nil }
        let fields = a.fields
        try nodeFD.use { (fd) throws(Errno) in
            if fields.contains(.mode) {
                let mode = mode_t(a.mode & 0o7777)
                if let handleFD {
                    try handleFD.use { (h) throws(Errno) in try FileSystemCall.setMode(of: h, mode: mode) }
                } else {
                    guard fileType != FileType.symbolicLink else { throw .notSupported }
                    try ProcPath.with(fd, relative: true) { (name) throws(Errno) in
                        try procSelfFD.use { (proc) throws(Errno) in
                            try FileSystemCall.setMode(name, relativeTo: proc, mode: mode)
                        }
                    }
                }
            }
            if fields.contains(.uid) || fields.contains(.gid) {
                let uid = fields.contains(.uid) ? uid_t(a.uid) : uid_t.max
                let gid = fields.contains(.gid) ? gid_t(a.gid) : gid_t.max
                try FileSystemCall.setOwner("", relativeTo: fd, owner: uid, group: gid,
                                            flags: AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW)
            }
            if fields.contains(.size) {
                guard let size = Int64(exactly: a.size) else { throw .fileTooLarge }
                if let handleFD {
                    try handleFD.use { (h) throws(Errno) in try FileSystemCall.truncate(h, size: size) }
                } else {
                    guard fileType == FileType.regular else {
                        throw fileType == FileType.directory ? .isDirectory : .invalidArgument
                    }
                    try ProcPath.with(fd) { (path) throws(Errno) in try FileSystemCall.truncate(path, size: size) }
                }
            }
            if context.killSetIDBits && !fields.isDisjoint(with: [.size, .uid, .gid]) {
                if let handleFD { try dropSetIDBits(openFile: handleFD) } else { try dropSetIDBits(path: nodeFD) }
            }
            if !fields.isDisjoint(with: [.accessTime, .modificationTime, .accessTimeNow, .modificationTimeNow]) {
                let access = try Self.timespec(fields, now: .accessTimeNow, set: .accessTime, a.accessTime)
                let modification = try Self.timespec(fields, now: .modificationTimeNow, set: .modificationTime,
                                                     a.modificationTime)
                if let handleFD {
                    try handleFD.use { (h) throws(Errno) in
                        try FileSystemCall.setTimes(of: h, access: access, modification: modification)
                    }
                } else if fileType == FileType.symbolicLink {
                    // The link's own times, on its O_PATH descriptor (utimensat takes AT_EMPTY_PATH since Linux
                    // 5.8); the /proc/self/fd link would follow the symlink.
                    try FileSystemCall.setTimes("", relativeTo: fd, access: access, modification: modification,
                                                flags: AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW)
                } else {
                    try ProcPath.with(fd, relative: true) { (name) throws(Errno) in
                        try procSelfFD.use { (proc) throws(Errno) in
                            try FileSystemCall.setTimes(name, relativeTo: proc, access: access,
                                                        modification: modification, flags: 0)
                        }
                    }
                }
            }
        }
        return try attributes(of: node, handle: nil)
    }

    private static func timespec(
        _ fields: SetAttributes.Fields, now: SetAttributes.Fields, set: SetAttributes.Fields, _ time: FileTime
    ) throws(Errno) -> Glibc.timespec {
        if fields.contains(now) { return Glibc.timespec(tv_sec: 0, tv_nsec: FileSystemCall.timeNow) }
        if fields.contains(set) {
            guard time.nanoseconds < 1_000_000_000, let seconds = Int(exactly: time.seconds) else {
                throw .invalidArgument
            }
            return Glibc.timespec(tv_sec: seconds, tv_nsec: Int(time.nanoseconds))
        }
        return Glibc.timespec(tv_sec: 0, tv_nsec: FileSystemCall.timeOmit)
    }

    /// READLINK into `buffer`. ENAMETOOLONG when the target fills the buffer (it may be cut).
    func readlink(node: NodeID, buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int {
        let (fd, fileType) = try nodes.resolve(node)
        guard fileType == FileType.symbolicLink else { throw .invalidArgument }
        let n = try fd.use { (raw) throws(Errno) in try FileSystemCall.readLink("", relativeTo: raw, into: buffer) }
        guard n < buffer.count else { throw .nameTooLong }
        return n
    }

    /// STATFS.
    func statfs(node: NodeID) throws(Errno) -> FileSystemStatistics {
        let fd = try nodes.resolve(node).descriptor
        return FileSystemStatistics(try fd.use { (raw) throws(Errno) in try FileSystemCall.fileSystemStatus(of: raw) })
    }

    /// ACCESS, checked with the caller's effective ids. A symlink itself is always accessible.
    func access(node: NodeID, mask: UInt32, context: RequestContext) throws(Errno) {
        guard mask & ~UInt32(R_OK | W_OK | X_OK) == 0 else { throw .invalidArgument }
        let (fd, fileType) = try nodes.resolve(node)
        if fileType == FileType.symbolicLink { return }
        if mask & UInt32(W_OK) != 0 && options.readOnly { throw .readOnlyFileSystem }
        try fd.use { (raw) throws(Errno) in
            try ProcPath.with(raw, relative: true) { (name) throws(Errno) in
                try procSelfFD.use { (proc) throws(Errno) in
                    try CallerCredentials.with(context) { () throws(Errno) in
                        try FileSystemCall.checkAccess(name, relativeTo: proc, mode: CInt(mask))
                    }
                }
            }
        }
    }

    /// SYNCFS: syncfs(2) needs a real open; the node is reopened read-only if it is a directory or regular file,
    /// otherwise the root is.
    func syncfs(node: NodeID) throws(Errno) {
        var (fd, fileType) = try nodes.resolve(node)
        if fileType != FileType.directory && fileType != FileType.regular { fd = root }
        let opened = try reopen(fd, options: [.nonBlocking, .noControllingTerminal])
        try opened.use { (raw) throws(Errno) in try FileSystemCall.synchronizeFileSystem(raw) }
    }
}
