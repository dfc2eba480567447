import CLinux
import FSDev
import LinuxSystem

/// Requests on open files and directories: open, I/O, sync, locks, directory reads.
extension FUSERequestDecoders {
    /// FUSE_OPEN: `fuse_open_in`.
    static func open(_ r: inout FUSEDecoding) throws(Errno) -> FUSESubmission {
        let (flags, killSetID) = try openArguments(&r)
        return FUSESubmission(.open(node: r.node, flags: flags), killSetID: killSetID)
    }

    /// FUSE_OPENDIR: `fuse_open_in`.
    static func opendir(_ r: inout FUSEDecoding) throws(Errno) -> FUSESubmission {
        let (flags, killSetID) = try openArguments(&r)
        return FUSESubmission(.opendir(node: r.node, flags: flags), killSetID: killSetID)
    }

    /// The guest's open flags (kept raw: the device converts them) and FUSE_OPEN_KILL_SUIDGID.
    private static func openArguments(_ r: inout FUSEDecoding) throws(Errno) -> (Int32, Bool) {
        try r.needReply(MemoryLayout<fuse_open_out>.size)
        let a = try r.arguments(fuse_open_in.self)
        return (Int32(bitPattern: a.flags), a.open_flags & UInt32(FUSE_OPEN_KILL_SUIDGID) != 0)
    }

    /// FUSE_READ: `fuse_read_in`; the data goes straight into the reply body through the slot's iovecs.
    static func read(_ r: inout FUSEDecoding) throws(Errno) -> FUSESubmission {
        let a = try r.arguments(fuse_read_in.self)
        guard let data = r.slot.body else { throw .invalidArgument }
        // Never more than max_pages pages, however long the chain (indirect descriptors aliasing one page can make
        // it close to 4 GiB).
        guard a.size <= r.session.maxPayload else { throw .invalidArgument }
        let size = min(Int(a.size), data.remaining)
        let n: Int
        do { n = try data.iovecs(count: size, into: r.slot.iovecs) } catch { throw .invalidArgument }
        // SAFETY: the iovecs point into this chain's guest memory, which the slot's storage keeps mapped until
        // completion.
        return FUSESubmission(.read(node: r.node, handle: HandleID(rawValue: a.fh), offset: a.offset,
                                    size: UInt32(size), buffers: UnsafeBufferPointer(rebasing: r.slot.iovecs[0..<n])))
    }

    /// FUSE_WRITE: `fuse_write_in`, then the data, passed to the device as iovecs into guest memory.
    static func write(_ r: inout FUSEDecoding) throws(Errno) -> FUSESubmission {
        try r.needReply(MemoryLayout<fuse_write_out>.size)
        let a = try r.arguments(fuse_write_in.self)
        let size = Int(a.size)
        guard size <= r.body.remaining else { throw .invalidArgument }
        let maxWrite = r.session.maxWrite
        guard maxWrite == 0 || a.size <= maxWrite else { throw .invalidArgument }
        let n: Int
        do { n = try r.body.iovecs(count: size, into: r.slot.iovecs) } catch { throw .invalidArgument }
        // SAFETY: the iovecs point into this chain's guest memory, which the slot's storage keeps mapped until
        // completion.
        return FUSESubmission(.write(node: r.node, handle: HandleID(rawValue: a.fh), offset: a.offset, size: a.size,
                                     buffers: UnsafeBufferPointer(rebasing: r.slot.iovecs[0..<n])),
                              killSetID: a.write_flags & UInt32(FUSE_WRITE_KILL_SUIDGID) != 0)
    }

    /// FUSE_RELEASE: `fuse_release_in`.
    static func release(_ r: inout FUSEDecoding) throws(Errno) -> FUSESubmission {
        let a = try r.arguments(fuse_release_in.self)
        return FUSESubmission(.release(node: r.node, handle: HandleID(rawValue: a.fh)))
    }

    /// FUSE_RELEASEDIR: `fuse_release_in`.
    static func releasedir(_ r: inout FUSEDecoding) throws(Errno) -> FUSESubmission {
        let a = try r.arguments(fuse_release_in.self)
        return FUSESubmission(.releasedir(node: r.node, handle: HandleID(rawValue: a.fh)))
    }

    /// FUSE_FSYNC: `fuse_fsync_in` (FUSE_FSYNC_FDATASYNC in bit 0).
    static func fsync(_ r: inout FUSEDecoding) throws(Errno) -> FUSESubmission {
        let a = try r.arguments(fuse_fsync_in.self)
        return FUSESubmission(.fsync(node: r.node, handle: HandleID(rawValue: a.fh), dataOnly: a.fsync_flags & 1 != 0))
    }

    /// FUSE_FSYNCDIR: `fuse_fsync_in`.
    static func fsyncdir(_ r: inout FUSEDecoding) throws(Errno) -> FUSESubmission {
        let a = try r.arguments(fuse_fsync_in.self)
        return FUSESubmission(.fsyncdir(node: r.node, handle: HandleID(rawValue: a.fh),
                                        dataOnly: a.fsync_flags & 1 != 0))
    }

    /// FUSE_FLUSH: `fuse_flush_in`.
    static func flush(_ r: inout FUSEDecoding) throws(Errno) -> FUSESubmission {
        let a = try r.arguments(fuse_flush_in.self)
        return FUSESubmission(.flush(node: r.node, handle: HandleID(rawValue: a.fh)))
    }

    /// FUSE_READDIR: `fuse_read_in`; entries are encoded into the reply by the slot (`DirectorySink`).
    static func readdir(_ r: inout FUSEDecoding) throws(Errno) -> FUSESubmission {
        let (handle, offset) = try directoryReadArguments(&r)
        return FUSESubmission(.readdir(node: r.node, handle: handle, offset: offset, sink: r.slot))
    }

    /// FUSE_READDIRPLUS: `fuse_read_in`, as READDIR.
    static func readdirplus(_ r: inout FUSEDecoding) throws(Errno) -> FUSESubmission {
        let (handle, offset) = try directoryReadArguments(&r)
        return FUSESubmission(.readdirplus(node: r.node, handle: handle, offset: offset, sink: r.slot))
    }

    /// The handle and offset of a directory read; sets the reply's byte limit (the guest's size, the chain's room
    /// and max_pages, whichever is least).
    private static func directoryReadArguments(_ r: inout FUSEDecoding) throws(Errno) -> (HandleID, UInt64) {
        let a = try r.arguments(fuse_read_in.self)
        r.slot.replyLimit = min(Int(a.size), r.replyRoom, Int(r.session.maxPayload))
        return (HandleID(rawValue: a.fh), a.offset)
    }

    /// FUSE_GETLK: `fuse_lk_in`; the reply is the conflicting lock.
    static func getlk(_ r: inout FUSEDecoding) throws(Errno) -> FUSESubmission {
        let (a, lock) = try lockArguments(&r)
        try r.needReply(MemoryLayout<fuse_lk_out>.size)
        return FUSESubmission(.getlk(node: r.node, handle: HandleID(rawValue: a.fh), lock: lock))
    }

    /// FUSE_SETLK: `fuse_lk_in`; a POSIX lock, or flock(2) with FUSE_LK_FLOCK.
    static func setlk(_ r: inout FUSEDecoding) throws(Errno) -> FUSESubmission {
        try setLock(&r, wait: false)
    }

    /// FUSE_SETLKW: as SETLK, waiting for the lock.
    static func setlkw(_ r: inout FUSEDecoding) throws(Errno) -> FUSESubmission {
        try setLock(&r, wait: true)
    }

    private static func setLock(_ r: inout FUSEDecoding, wait: Bool) throws(Errno) -> FUSESubmission {
        let (a, lock) = try lockArguments(&r)
        let handle = HandleID(rawValue: a.fh)
        guard a.lk_flags & UInt32(FUSE_LK_FLOCK) != 0 else {
            return FUSESubmission(.setlk(node: r.node, handle: handle, lock: lock, wait: wait))
        }
        let operation: FlockOperation = switch lock.kind {
        case .read: .shared
        case .write: .exclusive
        case .unlock: .unlock
        }
        return FUSESubmission(.flock(node: r.node, handle: handle, operation: operation, wait: wait))
    }

    /// `fuse_lk_in` and its lock, validated (EINVAL for an unknown lock type).
    private static func lockArguments(_ r: inout FUSEDecoding) throws(Errno) -> (fuse_lk_in, FileLock) {
        let a = try r.arguments(fuse_lk_in.self)
        guard let lock = FileLock(fuse: a.lk) else { throw .invalidArgument }
        return (a, lock)
    }

    /// FUSE_FALLOCATE: `fuse_fallocate_in`.
    static func fallocate(_ r: inout FUSEDecoding) throws(Errno) -> FUSESubmission {
        let a = try r.arguments(fuse_fallocate_in.self)
        return FUSESubmission(.fallocate(node: r.node, handle: HandleID(rawValue: a.fh),
                                         mode: FallocateMode(rawValue: a.mode), offset: a.offset, length: a.length))
    }

    /// FUSE_LSEEK: `fuse_lseek_in` (SEEK_DATA, SEEK_HOLE and the classic three).
    static func lseek(_ r: inout FUSEDecoding) throws(Errno) -> FUSESubmission {
        try r.needReply(MemoryLayout<fuse_lseek_out>.size)
        let a = try r.arguments(fuse_lseek_in.self)
        guard let whence = SeekWhence(rawValue: a.whence) else { throw .invalidArgument }
        return FUSESubmission(.lseek(node: r.node, handle: HandleID(rawValue: a.fh),
                                     offset: Int64(bitPattern: a.offset), whence: whence))
    }

    /// FUSE_COPY_FILE_RANGE: `fuse_copy_file_range_in`.
    static func copyFileRange(_ r: inout FUSEDecoding) throws(Errno) -> FUSESubmission {
        try r.needReply(MemoryLayout<fuse_write_out>.size)
        let a = try r.arguments(fuse_copy_file_range_in.self)
        return FUSESubmission(.copyFileRange(node: r.node, handle: HandleID(rawValue: a.fh_in), offset: a.off_in,
                                             destinationNode: NodeID(rawValue: a.nodeid_out),
                                             destinationHandle: HandleID(rawValue: a.fh_out),
                                             destinationOffset: a.off_out, length: a.len, flags: a.flags))
    }
}
