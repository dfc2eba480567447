import CLinux
import FSDev
import FUSEWire
import LinuxSystem
import Virtqueue

/// One request on its way from the chain to the fsdev: the guest's header and the body limited to `in.len`, with
/// what a decoder may use to turn them into an operation (linux/fuse.h; virtio 1.2 §5.11.6).
///
/// Everything here is untrusted: fixed argument structs are read against the body length, names and values are
/// copied once into the dispatcher's scratch buffer and read only there, and a reply that must carry a fixed
/// struct is checked to fit before anything runs.
///
/// Threading: lives for one `decode` call on the queue's reactor.
struct FUSEDecoding {
    /// The request's opcode (known: the table holds a decoder for it).
    let opcode: FUSEOpcode
    /// The guest's header; `nodeid`, `uid`, `gid` and `pid` are untrusted.
    let header: fuse_in_header
    /// The arguments after the header, limited to `in.len`.
    var body: ChainReader
    /// The request's slot: its reply writers, iovecs and reply limit. Unowned: the dispatcher holds every slot
    /// for its lifetime, and a retain/release pair per request showed in callgrind.
    unowned(unsafe) let slot: FUSERequestSlot
    /// Host copy of names, targets and values (the dispatcher's scratch buffer).
    let scratch: UnsafeMutableRawBufferPointer
    /// Set by the decoder: the caller's umask (CREATE, MKNOD, MKDIR, TMPFILE), for the operation's context.
    var umask: UInt32 = 0
    /// Set by the decoder: the request's KILL_SUIDGID flag (honoured only when FUSE_HANDLE_KILLPRIV_V2 was agreed).
    var killSetID = false

    /// The node the request is about (`fuse_in_header.nodeid`), untrusted.
    var node: NodeID { NodeID(rawValue: header.nodeid) }

    /// Size of `fuse_entry_out`, the reply of every request that makes a name.
    static var entrySize: Int { MemoryLayout<fuse_entry_out>.size }

    /// Reads a fixed argument struct; nil when the body is shorter. Always inlined: an unspecialized generic call
    /// here looked up `Result<T, VirtqueueError>` metadata at run time on every request (callgrind: ~330
    /// instructions per GETATTR).
    @inline(__always)
    mutating func read<T: BitwiseCopyable>(_: T.Type) -> T? {
        try? body.readValue(T.self)
    }

    /// Reads a fixed argument struct, or throws EINVAL when the body is shorter.
    @inline(__always)
    mutating func arguments<T: BitwiseCopyable>(_: T.Type) throws(Errno) -> T {
        guard let v = read(T.self) else { throw .invalidArgument }
        return v
    }

    /// The reply body must hold at least `bytes`, checked before the operation runs so that a creation is never
    /// done without the guest learning of it.
    func needReply(_ bytes: Int) throws(Errno) {
        guard (slot.body?.remaining ?? 0) >= bytes else { throw .invalidArgument }
    }

    /// Room for the reply body: what the chain's writable part holds after the header.
    var replyRoom: Int { slot.body?.remaining ?? 0 }

    /// Copies the rest of the body (at most `limit` bytes) into the scratch buffer, once.
    mutating func copyRest(limit: Int) throws(Errno) -> UnsafeRawBufferPointer {
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
        // SAFETY: start < end <= bytes.count; the bytes are the host copy in the scratch buffer, valid until the
        // operation completes inline.
        return (FileName(untrustedBytes: UnsafeRawBufferPointer(rebasing: bytes[start..<end])), end + 1)
    }

    /// One NUL-terminated name making up the rest of the body.
    mutating func name() throws(Errno) -> FileName {
        let bytes = try copyRest(limit: FileName.maximumLinkTargetLength + 1)
        return try cString(bytes, from: 0).0
    }

    /// Two NUL-terminated names making up the rest of the body (RENAME, SYMLINK).
    mutating func twoNames() throws(Errno) -> (FileName, FileName) {
        let bytes = try copyRest(limit: 2 * (FileName.maximumLinkTargetLength + 1))
        let (first, next) = try cString(bytes, from: 0)
        let (second, _) = try cString(bytes, from: next)
        return (first, second)
    }
}
