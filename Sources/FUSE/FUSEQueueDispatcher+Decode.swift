import CLinux
import FSDev
import FUSEWire
import Glibc
import LinuxSystem
import Virtqueue

/// Bits of `fuse_setattr_in.valid` that map onto `SetAttributes.Fields` (same bit positions: FATTR_MODE, UID, GID,
/// SIZE, ATIME, MTIME, ATIME_NOW, MTIME_NOW).
private let setattrFieldBits: UInt32 = 0x1bf & ~UInt32(FATTR_FH)

extension FUSEQueueDispatcher {
    // MARK: - Reading the request body

    /// Reads a fixed argument struct; nil when the body is shorter. Always inlined: an unspecialized generic call
    /// here looked up `Result<T, VirtqueueError>` metadata at run time on every request (callgrind: ~330
    /// instructions per GETATTR).
    @inline(__always)
    func read<T: BitwiseCopyable>(_: T.Type, _ body: inout ChainReader) -> T? {
        try? body.readValue(T.self)
    }

    /// Reads a fixed argument struct, or throws EINVAL when the body is shorter. A method rather than a local
    /// function: as a generic local function it instantiated `Optional<T>` metadata at run time on every request.
    @inline(__always)
    func arguments<T: BitwiseCopyable>(_: T.Type, _ body: inout ChainReader) throws(Errno) -> T {
        guard let v = read(T.self, &body) else { throw .invalidArgument }
        return v
    }

    /// Copies the rest of the body (at most `limit` bytes) into the scratch buffer, once.
    func copyRest(_ body: inout ChainReader, limit: Int) throws(Errno) -> UnsafeRawBufferPointer {
        let n = body.remaining
        guard n <= limit, n <= scratch.count else { throw .nameTooLong }
        // SAFETY: n <= scratch.count was checked; the scratch buffer lives as long as the dispatcher.
        let target = UnsafeMutableRawBufferPointer(rebasing: scratch[0..<n])
        do { try body.read(into: target) } catch { throw .invalidArgument }
        return UnsafeRawBufferPointer(target)
    }

    /// The NUL-terminated string starting at `start` in `bytes`, and the index after its NUL.
    func cString(_ bytes: UnsafeRawBufferPointer, from start: Int) throws(Errno) -> (FileName, Int) {
        guard start < bytes.count, let end = bytes[start...].firstIndex(of: 0) else { throw .invalidArgument }
        // SAFETY: start < end <= bytes.count; the bytes are the host copy in the scratch buffer, valid until the operation completes inline.
        return (FileName(untrustedBytes: UnsafeRawBufferPointer(rebasing: bytes[start..<end])), end + 1)
    }

    /// One NUL-terminated name making up the rest of the body.
    func name(_ body: inout ChainReader) throws(Errno) -> FileName {
        let bytes = try copyRest(&body, limit: FileName.maximumLinkTargetLength + 1)
        return try cString(bytes, from: 0).0
    }

    /// Two NUL-terminated names making up the rest of the body (RENAME, SYMLINK).
    func twoNames(_ body: inout ChainReader) throws(Errno) -> (FileName, FileName) {
        let bytes = try copyRest(&body, limit: 2 * (FileName.maximumLinkTargetLength + 1))
        let (first, next) = try cString(bytes, from: 0)
        let (second, _) = try cString(bytes, from: next)
        return (first, second)
    }

    // MARK: - Requests without a reply

    func serveNoReply(_ slot: FUSERequestSlot, _ opcode: FUSEOpcode, _ header: fuse_in_header,
                      _ body: inout ChainReader) {
        defer { finish(slot) }  // FORGET, BATCH_FORGET and INTERRUPT get their chain back with 0 bytes
        guard session.isInitialized else { return }
        let context = RequestContext(uid: header.uid, gid: header.gid, pid: header.pid)
        switch opcode {
        case .forget:
            guard let f = read(fuse_forget_in.self, &body) else { return }
            try? channel.submit(.forget(node: NodeID(rawValue: header.nodeid), count: f.nlookup), context: context,
                                token: Self.ignoredToken, target: self)
        case .batchForget:
            guard let b = read(fuse_batch_forget_in.self, &body) else { return }
            // The count must fit the body (in.len) and the batch limit; a request that claims more is malformed
            // and ignored whole (FORGET has no reply to carry an error). Records are copied into host memory
            // chunk by chunk.
            guard Int(b.count) <= body.remaining / MemoryLayout<fuse_forget_one>.size,
                  b.count <= Self.maximumBatchForget
            else { return }
            var left = Int(b.count)
            let perChunk = scratch.count / 16
            while left > 0 {
                let n = min(left, perChunk)
                // SAFETY: n <= scratch.count / 16, so the records fit the scratch buffer.
                let target = UnsafeMutableRawBufferPointer(rebasing: scratch[0..<(n * 16)])
                guard (try? body.read(into: target)) != nil else { return }
                try? channel.submit(.batchForget(ForgetBatch(untrustedRecords: UnsafeRawBufferPointer(target))),
                                    context: context, token: Self.ignoredToken, target: self)
                left -= n
            }
        default:
            // INTERRUPT: the spec allows ignoring it; the interrupted request completes normally.
            break
        }
    }

    // MARK: - INIT

    func serveInit(_ slot: FUSERequestSlot, _ header: fuse_in_header, _ body: inout ChainReader) {
        // The first 16 bytes exist in every version; flags2 (7.36+) only counts with FUSE_INIT_EXT.
        guard let major = read(UInt32.self, &body), let minor = read(UInt32.self, &body),
              let readahead = read(UInt32.self, &body), let flags = read(UInt32.self, &body)
        else {
            reply(slot, error: .invalidArgument)
            return
        }
        var kernelFlags = UInt64(flags)
        if flags & UInt32(FUSE_INIT_EXT) != 0, let flags2 = read(UInt32.self, &body) {
            kernelFlags |= UInt64(flags2) << 32
        }
        switch FUSEInitNegotiation.negotiate(major: major, minor: minor, maxReadahead: readahead,
                                             kernelFlags: FUSEInitFlags(rawValue: kernelFlags),
                                             options: session.options) {
        case .refused:
            reply(slot, error: .protocolError)
        case .retryWithMajor:
            var out = fuse_init_out()
            out.major = FUSEInitNegotiation.major
            out.minor = FUSEInitNegotiation.maxMinor
            reply(slot, out)
        case .accepted(let out, _, let agreed):
            if session.isInitialized {
                // A new INIT without DESTROY (the guest rebooted under a running back-end): release what the old
                // mount held first.
                session.reset()
                try? channel.submit(.unmount, context: .root, token: Self.ignoredToken, target: self)
            }
            slot.pendingInit = out
            submit(slot, .mount(MountRequest(maxWrite: out.max_write,
                                             writebackCache: agreed.contains(.writebackCache))), header)
        }
    }

    // MARK: - Everything else

    func serve(_ slot: FUSERequestSlot, _ opcode: FUSEOpcode, _ header: fuse_in_header,
               _ body: inout ChainReader) {
        do throws(Errno) {
            try decodeAndSubmit(slot, opcode, header, &body)
        } catch {
            reply(slot, error: error)
        }
    }

    /// Decodes the arguments of `opcode` and submits the operation. Throws for malformed arguments (nothing was
    /// submitted, the caller replies with the error).
    private func decodeAndSubmit(_ slot: FUSERequestSlot, _ opcode: FUSEOpcode, _ header: fuse_in_header,
                                 _ body: inout ChainReader) throws(Errno) {
        let node = NodeID(rawValue: header.nodeid)
        /// The reply body must hold at least `bytes`, checked before the operation runs so that a creation is
        /// never done without the guest learning of it.
        func needReply(_ bytes: Int) throws(Errno) {
            guard (slot.body?.remaining ?? 0) >= bytes else { throw .invalidArgument }
        }
        let entrySize = MemoryLayout<fuse_entry_out>.size
        switch opcode {
        case .lookup:
            try needReply(entrySize)
            submit(slot, .lookup(parent: node, name: try name(&body)), header)
        case .getattr:
            try needReply(MemoryLayout<fuse_attr_out>.size)
            let a = try arguments(fuse_getattr_in.self, &body)
            let handle = a.getattr_flags & UInt32(FUSE_GETATTR_FH) != 0 ? HandleID(rawValue: a.fh) : nil
            submit(slot, .getattr(node: node, handle: handle), header)
        case .setattr:
            try needReply(MemoryLayout<fuse_attr_out>.size)
            let a = try arguments(fuse_setattr_in.self, &body)
            let fields = SetAttributes.Fields(rawValue: a.valid & setattrFieldBits)
            let attributes = SetAttributes(
                fields: fields, mode: a.mode, uid: a.uid, gid: a.gid, size: a.size,
                accessTime: FileTime(seconds: Int64(bitPattern: a.atime), nanoseconds: min(a.atimensec, 999_999_999)),
                modificationTime: FileTime(seconds: Int64(bitPattern: a.mtime),
                                           nanoseconds: min(a.mtimensec, 999_999_999)))
            let handle = a.valid & UInt32(FATTR_FH) != 0 ? HandleID(rawValue: a.fh) : nil
            submit(slot, .setattr(node: node, handle: handle, attributes: attributes), header,
                   killSetID: a.valid & UInt32(FATTR_KILL_SUIDGID) != 0)
        case .readlink:
            let capacity = min(FileName.maximumLinkTargetLength + 1, slot.body?.remaining ?? 0)
            slot.replyLimit = capacity
            // SAFETY: capacity <= 4096 < scratch.count; readlink completes before submit returns.
            submit(slot, .readlink(node: node, buffer: UnsafeMutableRawBufferPointer(rebasing: scratch[0..<capacity])),
                   header)
        case .symlink:
            try needReply(entrySize)
            let (linkName, target) = try twoNames(&body)
            submit(slot, .symlink(parent: node, name: linkName, target: target), header)
        case .mknod:
            try needReply(entrySize)
            let a = try arguments(fuse_mknod_in.self, &body)
            submit(slot, .mknod(parent: node, name: try name(&body), mode: a.mode, rdev: a.rdev), header,
                   umask: a.umask)
        case .mkdir:
            try needReply(entrySize)
            let a = try arguments(fuse_mkdir_in.self, &body)
            submit(slot, .mkdir(parent: node, name: try name(&body), mode: a.mode), header, umask: a.umask)
        case .unlink:
            submit(slot, .unlink(parent: node, name: try name(&body)), header)
        case .rmdir:
            submit(slot, .rmdir(parent: node, name: try name(&body)), header)
        case .rename:
            let a = try arguments(fuse_rename_in.self, &body)
            let (old, new) = try twoNames(&body)
            submit(slot, .rename(parent: node, name: old, newParent: NodeID(rawValue: a.newdir), newName: new,
                                 flags: []), header)
        case .rename2:
            let a = try arguments(fuse_rename2_in.self, &body)
            let (old, new) = try twoNames(&body)
            submit(slot, .rename(parent: node, name: old, newParent: NodeID(rawValue: a.newdir), newName: new,
                                 flags: RenameFlags(rawValue: a.flags)), header)
        case .link:
            try needReply(entrySize)
            let a = try arguments(fuse_link_in.self, &body)
            submit(slot, .link(node: NodeID(rawValue: a.oldnodeid), newParent: node, newName: try name(&body)), header)
        case .open, .opendir:
            try needReply(MemoryLayout<fuse_open_out>.size)
            let a = try arguments(fuse_open_in.self, &body)
            let flags = Int32(bitPattern: a.flags)
            submit(slot, opcode == .open ? .open(node: node, flags: flags) : .opendir(node: node, flags: flags), header,
                   killSetID: a.open_flags & UInt32(FUSE_OPEN_KILL_SUIDGID) != 0)
        case .create:
            try needReply(entrySize + MemoryLayout<fuse_open_out>.size)
            let a = try arguments(fuse_create_in.self, &body)
            submit(slot, .create(parent: node, name: try name(&body), mode: a.mode, flags: Int32(bitPattern: a.flags)),
                   header, umask: a.umask, killSetID: a.open_flags & UInt32(FUSE_OPEN_KILL_SUIDGID) != 0)
        case .tmpfile:
            try needReply(entrySize + MemoryLayout<fuse_open_out>.size)
            let a = try arguments(fuse_create_in.self, &body)
            // The kernel sends the placeholder name of its unnamed dentry; it is not used.
            submit(slot, .tmpfile(parent: node, mode: a.mode, flags: Int32(bitPattern: a.flags)), header, umask: a.umask)
        case .read:
            let a = try arguments(fuse_read_in.self, &body)
            guard let data = slot.body else { throw .invalidArgument }
            // Never more than max_pages pages, however long the chain (indirect descriptors aliasing one page can
            // make it close to 4 GiB).
            guard a.size <= session.maxPayload else { throw .invalidArgument }
            let size = min(Int(a.size), data.remaining)
            let n: Int
            do { n = try data.iovecs(count: size, into: slot.iovecs) } catch { throw .invalidArgument }
            // SAFETY: the iovecs point into this chain's guest memory, which the slot's storage keeps mapped until completion.
            submit(slot, .read(node: node, handle: HandleID(rawValue: a.fh), offset: a.offset, size: UInt32(size),
                               buffers: UnsafeBufferPointer(rebasing: slot.iovecs[0..<n])), header)
        case .write:
            try needReply(MemoryLayout<fuse_write_out>.size)
            let a = try arguments(fuse_write_in.self, &body)
            let size = Int(a.size)
            guard size <= body.remaining else { throw .invalidArgument }
            let maxWrite = session.maxWrite
            guard maxWrite == 0 || a.size <= maxWrite else { throw .invalidArgument }
            let n: Int
            do { n = try body.iovecs(count: size, into: slot.iovecs) } catch { throw .invalidArgument }
            // SAFETY: the iovecs point into this chain's guest memory, which the slot's storage keeps mapped until completion.
            submit(slot, .write(node: node, handle: HandleID(rawValue: a.fh), offset: a.offset, size: a.size,
                                buffers: UnsafeBufferPointer(rebasing: slot.iovecs[0..<n])), header,
                   killSetID: a.write_flags & UInt32(FUSE_WRITE_KILL_SUIDGID) != 0)
        case .statfs:
            try needReply(MemoryLayout<fuse_statfs_out>.size)
            submit(slot, .statfs(node: node), header)
        case .release, .releasedir:
            let a = try arguments(fuse_release_in.self, &body)
            let h = HandleID(rawValue: a.fh)
            submit(slot, opcode == .release ? .release(node: node, handle: h) : .releasedir(node: node, handle: h),
                   header)
        case .fsync, .fsyncdir:
            let a = try arguments(fuse_fsync_in.self, &body)
            let h = HandleID(rawValue: a.fh)
            let dataOnly = a.fsync_flags & 1 != 0  // FUSE_FSYNC_FDATASYNC
            submit(slot, opcode == .fsync ? .fsync(node: node, handle: h, dataOnly: dataOnly)
                                          : .fsyncdir(node: node, handle: h, dataOnly: dataOnly), header)
        case .flush:
            let a = try arguments(fuse_flush_in.self, &body)
            submit(slot, .flush(node: node, handle: HandleID(rawValue: a.fh)), header)
        case .setxattr:
            // The 8-byte compat form, or with FUSE_SETXATTR_EXT (--posix-acl) 16 bytes with setxattr_flags.
            guard let size = read(UInt32.self, &body), var flags = read(UInt32.self, &body) else {
                throw .invalidArgument
            }
            if session.flags.contains(.setxattrExt) {
                guard let extended = read(UInt32.self, &body), read(UInt32.self, &body) != nil else {
                    throw .invalidArgument
                }
                if extended & UInt32(FUSE_SETXATTR_ACL_KILL_SGID) != 0 {
                    flags |= UInt32(bitPattern: FSOperation.setxattrKillSetGroupID)
                }
            }
            guard size <= 65536 else { throw .outOfRange }
            let bytes = try copyRest(&body, limit: FileName.maximumAttributeNameLength + 1 + Int(size))
            let (attrName, next) = try cString(bytes, from: 0)
            guard bytes.count - next >= Int(size) else { throw .invalidArgument }
            // SAFETY: bytes.count - next >= size was checked just above.
            let value = UnsafeRawBufferPointer(rebasing: bytes[next..<(next + Int(size))])
            submit(slot, .setxattr(node: node, name: attrName, value: value, flags: Int32(bitPattern: flags)), header)
        case .getxattr, .listxattr:
            let a = try arguments(fuse_getxattr_in.self, &body)
            let attrName: FileName? = opcode == .getxattr ? try name(&body) : nil
            let wanted = Int(a.size)
            if wanted == 0 {
                try needReply(MemoryLayout<fuse_getxattr_out>.size)
            } else {
                try needReply(min(wanted, 1))
            }
            // Values go to the scratch buffer after the name (which the device copies before it reads the value).
            let room = min(wanted, slot.body?.remaining ?? 0, scratch.count - 4096)
            slot.replyLimit = wanted
            // SAFETY: room <= scratch.count - 4096, and the name copied below offset 4096 is not overwritten.
            let buffer = UnsafeMutableRawBufferPointer(rebasing: scratch[4096..<(4096 + room)])
            if let attrName {
                submit(slot, .getxattr(node: node, name: attrName, buffer: buffer), header)
            } else {
                submit(slot, .listxattr(node: node, buffer: buffer), header)
            }
        case .removexattr:
            submit(slot, .removexattr(node: node, name: try name(&body)), header)
        case .readdir, .readdirplus:
            let a = try arguments(fuse_read_in.self, &body)
            slot.replyLimit = min(Int(a.size), slot.body?.remaining ?? 0, Int(session.maxPayload))
            let h = HandleID(rawValue: a.fh)
            submit(slot, opcode == .readdir ? .readdir(node: node, handle: h, offset: a.offset, sink: slot)
                                            : .readdirplus(node: node, handle: h, offset: a.offset, sink: slot), header)
        case .getlk, .setlk, .setlkw:
            let a = try arguments(fuse_lk_in.self, &body)
            guard let lock = FileLock(fuse: a.lk) else { throw .invalidArgument }
            let h = HandleID(rawValue: a.fh)
            if opcode == .getlk {
                try needReply(MemoryLayout<fuse_lk_out>.size)
                submit(slot, .getlk(node: node, handle: h, lock: lock), header)
            } else if a.lk_flags & UInt32(FUSE_LK_FLOCK) != 0 {
                let op: FlockOperation = switch lock.kind {
                case .read: .shared
                case .write: .exclusive
                case .unlock: .unlock
                }
                submit(slot, .flock(node: node, handle: h, operation: op, wait: opcode == .setlkw), header)
            } else {
                submit(slot, .setlk(node: node, handle: h, lock: lock, wait: opcode == .setlkw), header)
            }
        case .access:
            let a = try arguments(fuse_access_in.self, &body)
            submit(slot, .access(node: node, mask: a.mask), header)
        case .destroy:
            session.reset()
            submit(slot, .unmount, header)
        case .fallocate:
            let a = try arguments(fuse_fallocate_in.self, &body)
            submit(slot, .fallocate(node: node, handle: HandleID(rawValue: a.fh), mode: FallocateMode(rawValue: a.mode),
                                    offset: a.offset, length: a.length), header)
        case .lseek:
            try needReply(MemoryLayout<fuse_lseek_out>.size)
            let a = try arguments(fuse_lseek_in.self, &body)
            guard let whence = SeekWhence(rawValue: a.whence) else { throw .invalidArgument }
            submit(slot, .lseek(node: node, handle: HandleID(rawValue: a.fh), offset: Int64(bitPattern: a.offset),
                                whence: whence), header)
        case .copyFileRange:
            try needReply(MemoryLayout<fuse_write_out>.size)
            let a = try arguments(fuse_copy_file_range_in.self, &body)
            submit(slot, .copyFileRange(node: node, handle: HandleID(rawValue: a.fh_in), offset: a.off_in,
                                        destinationNode: NodeID(rawValue: a.nodeid_out),
                                        destinationHandle: HandleID(rawValue: a.fh_out), destinationOffset: a.off_out,
                                        length: a.len, flags: a.flags), header)
        case .syncfs:
            submit(slot, .syncfs(node: node), header)
        case .bmap, .ioctl, .poll, .notifyReply, .setupMapping, .removeMapping:
            throw .notImplemented
        case .`init`, .forget, .batchForget, .interrupt:
            throw .invalidArgument  // handled before; unreachable for a well-behaved caller
        }
    }
}
