import CLinux
import FSDev
import FUSEWire
import Glibc
import GuestMemory
import LinuxSystem
import Virtqueue

/// Serves the FUSE requests of one virtqueue: decodes each chain into an `FSOperation`, submits it to the queue's
/// fsdev channel and encodes the reply into the chain (linux/fuse.h; virtio 1.2 §5.11.6).
///
/// The SPDK split: the virtio transport only pops chains and pushes used entries (`Sink`); this type is the FUSE
/// dispatcher; the fsdev does the file system work. Generic over the channel and the sink so that every call on the
/// data path is static.
///
/// Everything the guest sent is untrusted: the header's length is checked against the chain, every fixed struct
/// against the body length, names are copied once into host memory and validated there, and a reply that does not
/// fit the chain's writable part becomes an error reply (or a 0-byte used entry when not even the 16-byte header
/// fits). A malformed request never stops the queue.
///
/// Threading: owned by one reactor; every method must be called on it.
public final class FUSEQueueDispatcher<Channel: FSChannel, Sink: FUSERequestSink>: FSCompletionTarget {
    /// The shared connection state (INIT).
    public let session: FUSESession
    /// The fsdev channel of this queue's reactor.
    public let channel: Channel
    /// Where finished requests go.
    unowned let sink: Sink
    /// High bits of this dispatcher's completion tokens: queues sharing a channel (same reactor) must not share
    /// tokens, or an abort meant for one could hit the other's request.
    let tokenBase: UInt64

    let slots: [FUSERequestSlot]
    // Exclusivity: checked dynamically, the accesses to `freeSlots` cost about 80 instructions each, three per
    // request (callgrind, GETATTR through the daemon). The dispatcher is confined to its reactor and never hands
    // out an inout reference to it, so the check cannot fire.
    @exclusivity(unchecked) var freeSlots: [Int]
    /// Host copy of names, symlink targets, xattr values and forget records: guest bytes are copied here once and
    /// validated in this copy. Used only by operations that complete before `submit` returns (the fsdev contract
    /// for metadata operations).
    let scratch: UnsafeMutableRawBufferPointer

    /// Size of the scratch buffer: an xattr value (XATTR_SIZE_MAX, 64 KiB) plus a name, or a symlink name + target.
    public static var scratchSize: Int { 64 * 1024 + 8 * 1024 }
    /// Most records one BATCH_FORGET may carry: Linux fills a batch from one read buffer (fuse_dev_do_read), at
    /// most FUSE_MAX_MAX_PAGES (256) pages, so 65,536 records; its virtio-fs driver sends single FORGETs. A bigger
    /// batch is ignored instead of holding the reactor for millions of records.
    static var maximumBatchForget: UInt32 { 65536 }
    /// Token of requests whose completion is not replied to (FORGET, BATCH_FORGET, the implicit unmount done when
    /// INIT arrives on an initialized session).
    static var ignoredToken: UInt64 { UInt64.max }

    /// - Parameters:
    ///   - queueIndex: the virtqueue's index, which makes this dispatcher's tokens unique on a shared channel.
    ///   - slotCount: requests that may be in flight at once on this queue.
    ///   - segmentCapacity: most buffers per chain (DescriptorChainStorage capacity).
    public init(session: FUSESession, channel: Channel, sink: Sink, queueIndex: Int = 0, slotCount: Int = 128,
                segmentCapacity: Int = DescriptorChainStorage.defaultCapacity) {
        self.session = session
        self.channel = channel
        self.sink = sink
        tokenBase = UInt64(UInt32(clamping: queueIndex)) << 32
        let count = max(1, slotCount)
        slots = (0..<count).map { FUSERequestSlot(index: $0, segmentCapacity: segmentCapacity) }
        freeSlots = Array((0..<count).reversed())
        freeSlots.reserveCapacity(count)
        // SAFETY: deallocated in deinit; never handed out beyond a synchronous operation.
        scratch = .allocate(byteCount: Self.scratchSize, alignment: 16)
    }

    deinit {
        scratch.deallocate()
    }

    /// Requests in flight (submitted, not yet finished).
    public var inFlight: Int { slots.count - freeSlots.count }

    /// Set when the queue was handed back to the front-end with requests in flight: their completions write no
    /// reply into guest memory (the buffers are the guest's again) and return the chain to the sink with 0 bytes.
    public var abandoned = false

    /// Asks the fsdev to abort every request in flight (a blocking lock wait ends with EINTR; a read or write is
    /// cancelled if the kernel can, and completes either way). Used when a ring must stop and a request would
    /// otherwise hold it forever.
    public func abortAll() {
        for slot in slots where slot.inUse {
            try? channel.submit(.abort(token: token(of: slot)), context: .root, token: Self.ignoredToken, target: self)
        }
    }

    /// The completion token of `slot`.
    func token(of slot: FUSERequestSlot) -> UInt64 { tokenBase | UInt64(slot.index) }

    /// The storage of the next free slot, to pop a chain into; nil when every slot is in flight.
    public func nextFreeStorage() -> DescriptorChainStorage? {
        guard let i = freeSlots.last else { return nil }
        return slots[i].storage
    }

    /// Serves `chain`, which was popped into `nextFreeStorage()`. The reply may be finished (and the sink called)
    /// before this returns.
    public func start(_ chain: DescriptorChain) {
        guard let i = freeSlots.popLast() else {
            // The caller popped without a free slot: a bug in the caller, but never worth a crash.
            sink.fuseRequestFinished(head: chain.headIndex, usedLength: 0)
            return
        }
        let slot = slots[i]
        slot.inUse = true
        slot.head = chain.headIndex
        slot.unique = 0
        slot.header = nil
        slot.body = nil
        var writer = chain.makeWriter()
        if writer.remaining >= MemoryLayout<fuse_out_header>.size,
           let body = try? writer.split(at: MemoryLayout<fuse_out_header>.size) {
            slot.header = writer
            slot.body = body
        }
        var reader = chain.makeReader()
        guard let header = try? reader.readValue(fuse_in_header.self) else {
            finish(slot)  // not even a header: return the chain untouched
            return
        }
        slot.unique = header.unique
        guard let opcode = FUSEOpcode(rawValue: header.opcode) else {
            reply(slot, error: .notImplemented)
            return
        }
        slot.opcode = opcode
        // in.len covers the header and the operation's arguments; it may not claim more than the chain holds.
        let headerSize = UInt32(MemoryLayout<fuse_in_header>.size)
        guard header.len >= headerSize, header.len <= chain.readableLength else {
            reply(slot, error: .invalidArgument)
            return
        }
        var body = reader
        // Limit the body to in.len: bytes after it are not part of this request.
        _ = try? body.split(at: Int(header.len - headerSize))
        if opcode.hasNoReply {
            serveNoReply(slot, opcode, header, &body)
            return
        }
        guard slot.header != nil else {
            finish(slot)  // a reply is due but cannot fit: give the chain back with 0 bytes
            return
        }
        if opcode == .`init` {
            serveInit(slot, header, &body)
            return
        }
        guard session.isInitialized else {
            reply(slot, error: .ioError)
            return
        }
        serve(slot, opcode, header, &body)
    }

    // MARK: - Completion

    public func fsdevDidComplete(token: UInt64, result: Result<FSReply, Errno>) {
        // The ignored token (forgets, the implicit unmount), or a token of another dispatcher: nothing to reply.
        guard token != Self.ignoredToken, token & 0xffff_ffff_0000_0000 == tokenBase,
              let i = Int(exactly: token & 0xffff_ffff), i < slots.count, slots[i].inUse
        else { return }
        let slot = slots[i]
        if abandoned {
            finish(slot)
            return
        }
        switch result {
        case .failure(let e): reply(slot, error: e)
        case .success(let r): encode(slot, r)
        }
    }

    // MARK: - Replies

    /// Writes `fuse_out_header` (len = 16 + body bytes, error, unique) and finishes the request.
    func finishReply(_ slot: FUSERequestSlot, error: Int32 = 0) {
        guard var header = slot.header else {
            finish(slot)
            return
        }
        let bodyBytes = error == 0 ? (slot.body?.bytesWritten ?? 0) : 0
        var out = fuse_out_header()
        out.len = UInt32(truncatingIfNeeded: MemoryLayout<fuse_out_header>.size + bodyBytes)
        out.error = error
        out.unique = slot.unique
        guard (try? header.writeValue(out)) != nil else {
            finish(slot)
            return
        }
        slot.header = header
        finish(slot, usedLength: out.len)
    }

    /// An error reply: the header only, with `-errno`.
    func reply(_ slot: FUSERequestSlot, error: Errno) {
        finishReply(slot, error: -error.rawValue)
    }

    /// Writes `value` as the whole reply body, or answers EINVAL when the chain's writable part is too short.
    /// Always inlined, so that each reply struct is written by specialized code.
    @inline(__always)
    func reply<T: BitwiseCopyable>(_ slot: FUSERequestSlot, _ value: T) {
        guard var body = slot.body, (try? body.writeValue(value)) != nil else {
            reply(slot, error: .invalidArgument)
            return
        }
        slot.body = body
        finishReply(slot)
    }

    /// Returns the slot and hands the chain back to the sink.
    func finish(_ slot: FUSERequestSlot, usedLength: UInt32 = 0) {
        slot.header = nil
        slot.body = nil
        slot.inUse = false
        freeSlots.append(slot.index)
        sink.fuseRequestFinished(head: slot.head, usedLength: usedLength)
    }

    /// Submits `operation`; a synchronous refusal becomes an error reply. `killSetID` is the request's
    /// KILL_SUIDGID flag, honoured only when FUSE_HANDLE_KILLPRIV_V2 was agreed at INIT.
    func submit(_ slot: FUSERequestSlot, _ operation: FSOperation, _ header: fuse_in_header, umask: UInt32 = 0,
                killSetID: Bool = false) {
        let context = RequestContext(
            uid: header.uid, gid: header.gid, pid: header.pid, umask: umask,
            killSetIDBits: killSetID && session.flags.contains(.handleKillprivV2))
        do {
            try channel.submit(operation, context: context, token: token(of: slot), target: self)
        } catch {
            reply(slot, error: error)
        }
    }
}
