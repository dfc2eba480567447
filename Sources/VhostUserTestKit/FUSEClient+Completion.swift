extension FUSEClient {
    /// A request the device returned, as `Queue.reap` hands it over.
    ///
    /// `reply` points into the request's slot in guest memory: it stays valid until the next `kick()` on the queue
    /// (a new request may reuse the slot, but the device cannot write it before it is published). Copy what you need.
    public struct Completion {
        /// The request's unique id.
        public var unique: UInt64
        /// The request's opcode.
        public var opcode: UInt32
        /// The caller's tag given to `submit`.
        public var tag: UInt64
        /// Bytes the device said it wrote (the used element's length).
        public var usedLength: UInt32
        /// 0, or the positive errno of the reply (`-fuse_out_header.error`).
        public var error: Int32
        /// The payload after `fuse_out_header` (`len - 16` bytes).
        public var reply: UnsafeRawBufferPointer
        /// The reply room the request offered.
        public var replyCapacity: Int
        /// Set when the reply broke the rules; `error` and `reply` are then meaningless.
        public var problem: ReplyProblem?
        /// Monotonic nanoseconds when the request was posted.
        public var submittedAt: UInt64
        /// Monotonic nanoseconds when the client saw it returned.
        public var completedAt: UInt64

        /// Time from posting to seeing the completion.
        public var latencyNanoseconds: UInt64 { completedAt &- submittedAt }

        /// Throws the reply's problem or errno, if any.
        public func check() throws(Failure) {
            if let problem { throw .badReply(problem) }
            if error != 0 { throw .errno(error) }
        }

        /// The payload as exactly one `T` (the kernel rejects fixed-size replies of any other length).
        public func exactly<T: BitwiseCopyable>(_ type: T.Type) throws(Failure) -> T {
            try check()
            guard reply.count == MemoryLayout<T>.size, let base = reply.baseAddress else {
                throw .badReply(.unexpectedLength(opcode: opcode, expected: MemoryLayout<T>.size, actual: reply.count))
            }
            // SAFETY: `reply` holds MemoryLayout<T>.size bytes; unaligned load of a trivial value.
            return base.loadUnaligned(as: T.self)
        }

        /// A `T` from the first `min(reply.count, size of T)` bytes, zero-filled (for replies whose length varies
        /// with the protocol minor, like `fuse_init_out`). Throws unless at least `minimum` bytes came.
        public func prefix<T: BitwiseCopyable>(_ type: T.Type, zeroed: T, minimum: Int) throws(Failure) -> T {
            try check()
            guard reply.count >= minimum else {
                throw .badReply(.unexpectedLength(opcode: opcode, expected: minimum, actual: reply.count))
            }
            var value = zeroed
            let n = min(reply.count, MemoryLayout<T>.size)
            // SAFETY: n <= the size of T and <= reply.count; T is trivial, so any bytes are a valid T.
            withUnsafeMutableBytes(of: &value) { target in
                if let t = target.baseAddress, let s = reply.baseAddress, n > 0 { t.copyMemory(from: s, byteCount: n) }
            }
            return value
        }

        /// The payload copied out.
        public var bytes: [UInt8] { Array(reply) }
    }
}
