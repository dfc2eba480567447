import CLinux
import FSDev
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

    /// Decodes the request with its opcode's decoder (`FUSERequestDecoders`) and submits the operation; a request
    /// without a decoder gets ENOSYS, malformed arguments the decoder's errno (nothing is submitted then).
    func serve(_ slot: FUSERequestSlot, _ opcode: FUSEOpcode, _ header: fuse_in_header,
               _ body: inout ChainReader) {
        guard let decoder = FUSERequestDecoders.decoder(for: opcode) else {
            reply(slot, error: .notImplemented)
            return
        }
        var request = FUSEDecoding(opcode: opcode, header: header, body: body, slot: slot, session: session,
                                   scratch: scratch)
        do throws(Errno) {
            let s = try decoder(&request)
            submit(slot, s.operation, header, umask: s.umask, killSetID: s.killSetID)
        } catch {
            reply(slot, error: error)
        }
    }
}
