import VhostUser

extension FUSEClient {
    /// Why a FUSE exchange failed. `.errno` is an ordinary answer from the backend; every other case is a transport
    /// failure or a backend that broke the virtio-fs/FUSE rules the client checks.
    public enum Failure: Error, Equatable, Sendable, CustomStringConvertible {
        /// The backend replied with `fuse_out_header.error == -value` (value is the positive errno, e.g. `ENOENT`).
        case errno(Int32)
        /// The vhost-user handshake failed.
        case frontend(VhostUserFrontend.Failure)
        /// The virtqueue (driver side) failed: out of descriptors, or the device broke the used-ring rules.
        case driver(DriverError)
        /// The guest RAM could not be created (memfd/mmap errno).
        case guestMemory(Int32)
        /// The backend's reply is malformed.
        case badReply(ReplyProblem)
        /// No completion within the timeout (queue index, requests still in flight).
        case timeout(queue: Int, inFlight: Int)
        /// Every request slot of the queue is in flight.
        case queueFull(queue: Int)
        /// A synchronous call was made on a queue with requests in flight.
        case queueBusy(queue: Int)
        /// The request does not fit in a slot (what, bytes needed, capacity).
        case requestTooLarge(String, needed: Int, capacity: Int)
        /// The reply buffer asked for exceeds the slot's capacity.
        case replyTooLarge(needed: Int, capacity: Int)
        /// The backend cannot do what was asked (e.g. fewer queues, no FUSE_INIT answer).
        case unsupported(String)
        /// A caller mistake (an invalid argument to the client).
        case invalidArgument(String)

        public var description: String {
            switch self {
            case .errno(let e): return "backend replied errno \(e) (\(Self.errnoName(e)))"
            case .frontend(let f): return "vhost-user: \(f)"
            case .driver(let d): return "virtqueue: \(d)"
            case .guestMemory(let e): return "guest memory: errno \(e)"
            case .badReply(let p): return "malformed reply: \(p)"
            case .timeout(let q, let n): return "timeout on queue \(q) with \(n) request(s) in flight"
            case .queueFull(let q): return "queue \(q) has no free request slot"
            case .queueBusy(let q): return "queue \(q) has requests in flight; synchronous calls need an idle queue"
            case .requestTooLarge(let what, let n, let c): return "\(what): request needs \(n) bytes, slot holds \(c)"
            case .replyTooLarge(let n, let c): return "reply buffer of \(n) bytes exceeds the slot's \(c)"
            case .unsupported(let s): return "unsupported: \(s)"
            case .invalidArgument(let s): return "invalid argument: \(s)"
            }
        }

        /// A short symbolic name for common errno values ("ENOENT"), or the number.
        public static func errnoName(_ value: Int32) -> String {
            let names: [Int32: String] = [
                1: "EPERM", 2: "ENOENT", 5: "EIO", 9: "EBADF", 11: "EAGAIN", 12: "ENOMEM", 13: "EACCES", 14: "EFAULT",
                16: "EBUSY", 17: "EEXIST", 18: "EXDEV", 20: "ENOTDIR", 21: "EISDIR", 22: "EINVAL", 24: "EMFILE",
                27: "EFBIG", 28: "ENOSPC", 30: "EROFS", 31: "EMLINK", 34: "ERANGE", 36: "ENAMETOOLONG",
                38: "ENOSYS", 39: "ENOTEMPTY", 40: "ELOOP", 61: "ENODATA", 75: "EOVERFLOW", 95: "EOPNOTSUPP",
            ]
            return names[value] ?? "errno \(value)"
        }
    }

    /// How a reply broke the FUSE-over-virtio rules (linux/fuse.h, virtio 1.2 §5.11.6).
    public enum ReplyProblem: Hashable, Sendable, CustomStringConvertible {
        /// The device wrote fewer bytes than a `fuse_out_header` (used length).
        case shorterThanHeader(usedLength: UInt32)
        /// `fuse_out_header.len` is below the header size or above the bytes the device says it wrote.
        case lengthMismatch(headerLength: UInt32, usedLength: UInt32)
        /// `fuse_out_header.unique` is not the request's.
        case uniqueMismatch(expected: UInt64, received: UInt64)
        /// `fuse_out_header.error` is positive or below -4095.
        case invalidError(Int32)
        /// An error reply carries a payload (the kernel rejects that).
        case errorWithPayload(error: Int32, length: UInt32)
        /// The payload length is not what the opcode's reply struct needs.
        case unexpectedLength(opcode: UInt32, expected: Int, actual: Int)
        /// The payload is longer than the reply buffer the request offered.
        case longerThanRequested(opcode: UInt32, capacity: Int, actual: Int)
        /// A variable-length payload (directory entries, names) is malformed.
        case malformed(opcode: UInt32, String)
        /// A completion arrived for no request the client knows (unique, used head).
        case unexpectedCompletion(unique: UInt64)

        public var description: String {
            switch self {
            case .shorterThanHeader(let n): return "device wrote \(n) bytes, less than fuse_out_header"
            case .lengthMismatch(let h, let u): return "fuse_out_header.len \(h) vs \(u) bytes written"
            case .uniqueMismatch(let e, let r): return "unique \(r), expected \(e)"
            case .invalidError(let e): return "fuse_out_header.error \(e) is not 0 or a negative errno"
            case .errorWithPayload(let e, let l): return "error \(e) with len \(l)"
            case .unexpectedLength(let o, let e, let a):
                return "\(FUSEClient.Opcode.name(o)): payload of \(a) bytes, expected \(e)"
            case .longerThanRequested(let o, let c, let a):
                return "\(FUSEClient.Opcode.name(o)): payload of \(a) bytes, buffer offered \(c)"
            case .malformed(let o, let s): return "\(FUSEClient.Opcode.name(o)): \(s)"
            case .unexpectedCompletion(let u): return "completion for unknown request \(u)"
            }
        }
    }
}
