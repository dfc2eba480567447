import CLinux
import FSDev
import LinuxSystem

/// Decoders of the requests on open files and directories: open, I/O, sync, locks, directory reads.
extension FUSEQueueDispatcher {
    /// FUSE_OPEN: `fuse_open_in`.
    func decodeOpen(_ r: inout FUSEDecoding) throws(Errno) {
        let (flags, killSetID) = try openArguments(&r)
        r.killSetID = killSetID
        submit(&r, .open(node: r.node, flags: flags))
    }

    /// FUSE_OPENDIR: `fuse_open_in`.
    func decodeOpendir(_ r: inout FUSEDecoding) throws(Errno) {
        let (flags, killSetID) = try openArguments(&r)
        r.killSetID = killSetID
        submit(&r, .opendir(node: r.node, flags: flags))
    }

    /// The guest's open flags (kept raw: the device converts them) and FUSE_OPEN_KILL_SUIDGID.
    private func openArguments(_ r: inout FUSEDecoding) throws(Errno) -> (Int32, Bool) {
        try r.needReply(MemoryLayout<fuse_open_out>.size)
        let a = try r.arguments(fuse_open_in.self)
        return (Int32(bitPattern: a.flags), a.open_flags & UInt32(FUSE_OPEN_KILL_SUIDGID) != 0)
    }

    /// FUSE_READ: `fuse_read_in`; the data goes straight into the reply body through the slot's iovecs.
    func decodeRead(_ r: inout FUSEDecoding) throws(Errno) {
        let a = try r.arguments(fuse_read_in.self)
        guard let data = r.slot.body else { throw .invalidArgument }
        // Never more than max_pages pages, however long the chain (indirect descriptors aliasing one page can make
        // it close to 4 GiB).
        guard a.size <= session.maxPayload else { throw .invalidArgument }
        let size = min(Int(a.size), data.remaining)
        let n: Int
        do { n = try data.iovecs(count: size, into: r.slot.iovecs) } catch { throw .invalidArgument }
        // SAFETY: the iovecs point into this chain's guest memory, which the slot's storage keeps mapped until
        // completion.
        submit(&r, .read(node: r.node, handle: HandleID(rawValue: a.fh), offset: a.offset,
                     size: UInt32(size), buffers: UnsafeBufferPointer(rebasing: r.slot.iovecs[0..<n])))
    }

    /// FUSE_WRITE: `fuse_write_in`, then the data, passed to the device as iovecs into guest memory.
    func decodeWrite(_ r: inout FUSEDecoding) throws(Errno) {
        try r.needReply(MemoryLayout<fuse_write_out>.size)
        let a = try r.arguments(fuse_write_in.self)
        let size = Int(a.size)
        guard size <= r.body.remaining else { throw .invalidArgument }
        let maxWrite = session.maxWrite
        guard maxWrite == 0 || a.size <= maxWrite else { throw .invalidArgument }
        let n: Int
        do { n = try r.body.iovecs(count: size, into: r.slot.iovecs) } catch { throw .invalidArgument }
        // SAFETY: the iovecs point into this chain's guest memory, which the slot's storage keeps mapped until
        // completion.
        r.killSetID = a.write_flags & UInt32(FUSE_WRITE_KILL_SUIDGID) != 0
        submit(&r, .write(node: r.node, handle: HandleID(rawValue: a.fh), offset: a.offset, size: a.size,
                      buffers: UnsafeBufferPointer(rebasing: r.slot.iovecs[0..<n])))
    }

    /// FUSE_RELEASE: `fuse_release_in`.
    func decodeRelease(_ r: inout FUSEDecoding) throws(Errno) {
        let a = try r.arguments(fuse_release_in.self)
        submit(&r, .release(node: r.node, handle: HandleID(rawValue: a.fh)))
    }

    /// FUSE_RELEASEDIR: `fuse_release_in`.
    func decodeReleasedir(_ r: inout FUSEDecoding) throws(Errno) {
        let a = try r.arguments(fuse_release_in.self)
        submit(&r, .releasedir(node: r.node, handle: HandleID(rawValue: a.fh)))
    }

    /// FUSE_FSYNC: `fuse_fsync_in` (FUSE_FSYNC_FDATASYNC in bit 0).
    func decodeFsync(_ r: inout FUSEDecoding) throws(Errno) {
        let a = try r.arguments(fuse_fsync_in.self)
        submit(&r, .fsync(node: r.node, handle: HandleID(rawValue: a.fh), dataOnly: a.fsync_flags & 1 != 0))
    }

    /// FUSE_FSYNCDIR: `fuse_fsync_in`.
    func decodeFsyncdir(_ r: inout FUSEDecoding) throws(Errno) {
        let a = try r.arguments(fuse_fsync_in.self)
        submit(&r, .fsyncdir(node: r.node, handle: HandleID(rawValue: a.fh),
                         dataOnly: a.fsync_flags & 1 != 0))
    }

    /// FUSE_FLUSH: `fuse_flush_in`.
    func decodeFlush(_ r: inout FUSEDecoding) throws(Errno) {
        let a = try r.arguments(fuse_flush_in.self)
        submit(&r, .flush(node: r.node, handle: HandleID(rawValue: a.fh)))
    }

    /// FUSE_READDIR: `fuse_read_in`; entries are encoded into the reply by the slot (`DirectorySink`).
    func decodeReaddir(_ r: inout FUSEDecoding) throws(Errno) {
        let (handle, offset) = try directoryReadArguments(&r)
        submit(&r, .readdir(node: r.node, handle: handle, offset: offset, sink: r.slot))
    }

    /// FUSE_READDIRPLUS: `fuse_read_in`, as READDIR.
    func decodeReaddirplus(_ r: inout FUSEDecoding) throws(Errno) {
        let (handle, offset) = try directoryReadArguments(&r)
        submit(&r, .readdirplus(node: r.node, handle: handle, offset: offset, sink: r.slot))
    }

    /// The handle and offset of a directory read; sets the reply's byte limit (the guest's size, the chain's room
    /// and max_pages, whichever is least).
    private func directoryReadArguments(_ r: inout FUSEDecoding) throws(Errno) -> (HandleID, UInt64) {
        let a = try r.arguments(fuse_read_in.self)
        r.slot.replyLimit = min(Int(a.size), r.replyRoom, Int(session.maxPayload))
        return (HandleID(rawValue: a.fh), a.offset)
    }

    /// FUSE_GETLK: `fuse_lk_in`; the reply is the conflicting lock.
    func decodeGetlk(_ r: inout FUSEDecoding) throws(Errno) {
        let (a, lock) = try lockArguments(&r)
        try r.needReply(MemoryLayout<fuse_lk_out>.size)
        submit(&r, .getlk(node: r.node, handle: HandleID(rawValue: a.fh), lock: lock))
    }

    /// FUSE_SETLK: `fuse_lk_in`; a POSIX lock, or flock(2) with FUSE_LK_FLOCK.
    func decodeSetlk(_ r: inout FUSEDecoding) throws(Errno) {
        submit(&r, try setLock(&r, wait: false))
    }

    /// FUSE_SETLKW: as SETLK, waiting for the lock.
    func decodeSetlkw(_ r: inout FUSEDecoding) throws(Errno) {
        submit(&r, try setLock(&r, wait: true))
    }

    private func setLock(_ r: inout FUSEDecoding, wait: Bool) throws(Errno) -> FSOperation {
        let (a, lock) = try lockArguments(&r)
        let handle = HandleID(rawValue: a.fh)
        guard a.lk_flags & UInt32(FUSE_LK_FLOCK) != 0 else {
            return .setlk(node: r.node, handle: handle, lock: lock, wait: wait)
        }
        let operation: FlockOperation = switch lock.kind {
        case .read: .shared
        case .write: .exclusive
        case .unlock: .unlock
        }
        return .flock(node: r.node, handle: handle, operation: operation, wait: wait)
    }

    /// `fuse_lk_in` and its lock, validated (EINVAL for an unknown lock type).
    private func lockArguments(_ r: inout FUSEDecoding) throws(Errno) -> (fuse_lk_in, FileLock) {
        let a = try r.arguments(fuse_lk_in.self)
        guard let lock = FileLock(fuse: a.lk) else { throw .invalidArgument }
        return (a, lock)
    }

    /// FUSE_FALLOCATE: `fuse_fallocate_in`.
    func decodeFallocate(_ r: inout FUSEDecoding) throws(Errno) {
        let a = try r.arguments(fuse_fallocate_in.self)
        submit(&r, .fallocate(node: r.node, handle: HandleID(rawValue: a.fh),
                          mode: FallocateMode(rawValue: a.mode), offset: a.offset, length: a.length))
    }

    /// FUSE_LSEEK: `fuse_lseek_in` (SEEK_DATA, SEEK_HOLE and the classic three).
    func decodeLseek(_ r: inout FUSEDecoding) throws(Errno) {
        try r.needReply(MemoryLayout<fuse_lseek_out>.size)
        let a = try r.arguments(fuse_lseek_in.self)
        guard let whence = SeekWhence(rawValue: a.whence) else { throw .invalidArgument }
        submit(&r, .lseek(node: r.node, handle: HandleID(rawValue: a.fh),
                      offset: Int64(bitPattern: a.offset), whence: whence))
    }

    /// FUSE_COPY_FILE_RANGE: `fuse_copy_file_range_in`.
    func decodeCopyFileRange(_ r: inout FUSEDecoding) throws(Errno) {
        try r.needReply(MemoryLayout<fuse_write_out>.size)
        let a = try r.arguments(fuse_copy_file_range_in.self)
        submit(&r, .copyFileRange(node: r.node, handle: HandleID(rawValue: a.fh_in), offset: a.off_in,
                              destinationNode: NodeID(rawValue: a.nodeid_out),
                              destinationHandle: HandleID(rawValue: a.fh_out),
                              destinationOffset: a.off_out, length: a.len, flags: a.flags))
    }
}
