import CLinux
import FSDev
import FUSEWire
import Glibc
import LinuxSystem
import Virtqueue

extension FUSEQueueDispatcher {
    // MARK: - Reading the request body

    /// Reads a fixed argument struct; nil when the body is shorter. Always inlined: an unspecialized generic call
    /// here looked up `Result<T, VirtqueueError>` metadata at run time on every request (callgrind: ~330
    /// instructions per GETATTR).
    @inline(__always)
    func read<T: BitwiseCopyable>(_: T.Type, _ body: inout ChainReader) -> T? {
        try? body.readValue(T.self)
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
                // A new INIT without DESTROY (the guest rebooted under a running back-end): a new session. The
                // mount below drops what the old one held.
                session.reset()
            }
            slot.pendingInit = out
            submit(slot, .mount(MountRequest(maxWrite: out.max_write,
                                             writebackCache: agreed.contains(.writebackCache))), header)
        }
    }

    // MARK: - Everything else

    /// Decodes the request with its opcode's decoder and submits the operation; a request without a decoder gets
    /// ENOSYS, malformed arguments the decoder's errno (nothing is submitted then).
    func serve(_ slot: FUSERequestSlot, _ opcode: FUSEOpcode, _ header: fuse_in_header,
               _ body: inout ChainReader) {
        var request = FUSEDecoding(opcode: opcode, header: header, body: body, slot: slot, scratch: scratch)
        do throws(Errno) {
            try decode(&request)
        } catch {
            reply(slot, error: error)
        }
    }

    /// Chooses the request's decoder: one small method per FUSE request (`+DecodeEntries`, `+DecodeFiles`,
    /// `+DecodeAttributes`) that reads and checks its arguments, throws the errno of a malformed request before
    /// anything is submitted, and ends by submitting one `FSOperation`. SPDK's fuse_dispatcher keeps one handler
    /// per opcode; this is rust-vmm's short match. Adding a request: its decoder, and one line here.
    ///
    /// A match rather than an array of functions indexed by opcode: measured with callgrind on the whole daemon,
    /// the array cost about 500 instructions more per GETATTR (closure calls the optimizer cannot see through, the
    /// returned operation copied and destroyed through value witnesses); decoders returning the operation to this
    /// match still cost about 270 more. Called statically and submitting at the end, as the single switch did, they
    /// cost about 50 more than it (BENCHMARKS.md, "Restructuring (issue 11)").
    ///
    /// FORGET, BATCH_FORGET, INTERRUPT and INIT are served before (no reply, or the session's negotiation);
    /// opcodes without a decoder get ENOSYS.
    @inline(__always)
    func decode(_ r: inout FUSEDecoding) throws(Errno) {
        switch r.opcode {
        case .lookup: try decodeLookup(&r)
        case .getattr: try decodeGetattr(&r)
        case .setattr: try decodeSetattr(&r)
        case .readlink: try decodeReadlink(&r)
        case .symlink: try decodeSymlink(&r)
        case .mknod: try decodeMknod(&r)
        case .mkdir: try decodeMkdir(&r)
        case .unlink: try decodeUnlink(&r)
        case .rmdir: try decodeRmdir(&r)
        case .rename: try decodeRename(&r)
        case .link: try decodeLink(&r)
        case .open: try decodeOpen(&r)
        case .read: try decodeRead(&r)
        case .write: try decodeWrite(&r)
        case .statfs: try decodeStatfs(&r)
        case .release: try decodeRelease(&r)
        case .fsync: try decodeFsync(&r)
        case .setxattr: try decodeSetxattr(&r)
        case .getxattr: try decodeGetxattr(&r)
        case .listxattr: try decodeListxattr(&r)
        case .removexattr: try decodeRemovexattr(&r)
        case .flush: try decodeFlush(&r)
        case .opendir: try decodeOpendir(&r)
        case .readdir: try decodeReaddir(&r)
        case .releasedir: try decodeReleasedir(&r)
        case .fsyncdir: try decodeFsyncdir(&r)
        case .getlk: try decodeGetlk(&r)
        case .setlk: try decodeSetlk(&r)
        case .setlkw: try decodeSetlkw(&r)
        case .access: try decodeAccess(&r)
        case .create: try decodeCreate(&r)
        case .destroy: try decodeDestroy(&r)
        case .fallocate: try decodeFallocate(&r)
        case .readdirplus: try decodeReaddirplus(&r)
        case .rename2: try decodeRename2(&r)
        case .lseek: try decodeLseek(&r)
        case .copyFileRange: try decodeCopyFileRange(&r)
        case .syncfs: try decodeSyncfs(&r)
        case .tmpfile: try decodeTmpfile(&r)
        case .`init`, .forget, .batchForget, .interrupt, .bmap, .ioctl, .poll, .notifyReply, .setupMapping,
             .removeMapping:
            throw .notImplemented
        }
    }

    /// Submits what a decoder made of `r`, with the umask and KILL_SUIDGID flag it found.
    @inline(__always)
    func submit(_ r: inout FUSEDecoding, _ operation: FSOperation) {
        submit(r.slot, operation, r.header, umask: r.umask, killSetID: r.killSetID)
    }
}
