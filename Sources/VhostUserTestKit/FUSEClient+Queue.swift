import CLinux
import Glibc
import GuestMemory
import LinuxSystem
import Virtqueue

extension FUSEClient {
    /// One virtqueue of the device with its request slots: the guest side of virtio-fs (virtio 1.2 §5.11.6).
    ///
    /// A request is one descriptor chain: device-readable `fuse_in_header` (40 bytes), the arguments, and bulk data
    /// if any, then device-writable `fuse_out_header` (16 bytes) and the reply room; FORGET and BATCH_FORGET have no
    /// writable part. Each request occupies a preallocated slot of guest memory until the device returns it, so the
    /// queue depth is bounded by `slotCount`.
    ///
    /// Two ways to drive it:
    /// - synchronous: the typed calls (`lookup`, `read`...) post one request, kick, wait and decode;
    /// - pipelined: `submit` (or `submitRead`...) several requests, `kick()` once, then `reap` completions and
    ///   submit more from inside the handler.
    ///
    /// Every reply is checked (used length, `fuse_out_header.len`, unique id, error range) before it is handed
    /// over; a device that breaks the rules yields a `Completion.problem` or a thrown `Failure`, never a trap.
    ///
    /// Threading: not thread-safe. One thread drives a queue at a time; different queues may be driven from
    /// different threads concurrently (they share only read-only state).
    public final class Queue: @unchecked Sendable {
        /// `FUSEClient.Failure`, for extensions of the queue.
        public typealias Failure = FUSEClient.Failure
        /// `FUSEClient.Completion`, for extensions of the queue.
        public typealias Completion = FUSEClient.Completion

        /// Size of `fuse_in_header`.
        public static let inHeaderSize = MemoryLayout<fuse_in_header>.size
        /// Size of `fuse_out_header`.
        public static let outHeaderSize = MemoryLayout<fuse_out_header>.size

        /// Virtqueue index: 0 is hiprio, 1... are request queues.
        public let index: Int
        /// The ring (guest side).
        public let driver: DriverQueue
        /// Eventfd the client writes to kick the device.
        public let kickEvent: EventFD
        /// Eventfd the device writes when it wants the guest interrupted.
        public let callEvent: EventFD
        /// How `reap` waits.
        public let wait: CompletionWait
        /// Request slots: the largest number of requests in flight.
        public let slotCount: Int
        /// Room for arguments and names per request.
        public let argumentCapacity: Int
        /// Room for bulk data per request.
        public let dataCapacity: Int
        /// Largest reply payload per request.
        public let replyCapacity: Int
        /// Nanoseconds `reap` waits for progress before throwing `.timeout`.
        public var timeoutNanoseconds: UInt64

        /// Kicks actually sent (eventfd writes; EVENT_IDX or NO_NOTIFY can suppress them).
        public private(set) var kicks: UInt64 = 0
        /// Blocking waits the call eventfd ended.
        public private(set) var wakeups: UInt64 = 0
        /// Requests submitted.
        public private(set) var submitted: UInt64 = 0
        /// Requests returned by the device.
        public private(set) var completed: UInt64 = 0

        private struct Slot {
            let inAddress: GuestAddress
            let inPointer: UnsafeMutableRawPointer
            let outAddress: GuestAddress
            let outPointer: UnsafeMutableRawPointer
            var unique: UInt64 = 0
            var opcode: UInt32 = 0
            var tag: UInt64 = 0
            var submittedAt: UInt64 = 0
            var replyCapacity = 0
            var expectsReply = true
            var validates = true
        }

        private var slots: [Slot]
        private var freeSlots: [Int]
        private var slotOfHead: [Int]
        private var nextUnique: UInt64
        private var interruptsOn = true
        private let uid: UInt32
        private let gid: UInt32
        private let pid: UInt32

        /// Lays out the ring and the slots in `ram`.
        /// - Parameters:
        ///   - index: the virtqueue index (also the top byte of the unique ids, so ids never repeat across queues).
        ///   - ram: guest RAM (used from this thread only during `init`).
        ///   - features: ring features negotiated with the device.
        init(index: Int, ram: GuestRAM, queueSize: Int, features: RingFeatures, slotCount: Int, argumentCapacity: Int,
             dataCapacity: Int, replyCapacity: Int, wait: CompletionWait, timeoutMilliseconds: Int,
             uid: UInt32, gid: UInt32, pid: UInt32) throws(Failure) {
            self.index = index
            do { driver = try DriverQueue(ram: ram, size: queueSize, features: features) } catch {
                throw .driver(error)
            }
            do {
                kickEvent = try EventFD()
                callEvent = try EventFD()
            } catch {
                throw .guestMemory(error.rawValue)
            }
            self.wait = wait
            self.slotCount = slotCount
            self.argumentCapacity = argumentCapacity
            self.dataCapacity = dataCapacity
            self.replyCapacity = replyCapacity
            self.timeoutNanoseconds = UInt64(max(timeoutMilliseconds, 1)) * 1_000_000
            self.uid = uid
            self.gid = gid
            self.pid = pid
            self.nextUnique = (UInt64(index & 0xff) << 56) | 2
            var made: [Slot] = []
            made.reserveCapacity(slotCount)
            let inSize = Self.inHeaderSize + argumentCapacity + dataCapacity
            let outSize = Self.outHeaderSize + replyCapacity
            for _ in 0..<slotCount {
                guard let inAddress = ram.allocate(size: inSize, alignment: 64),
                    let outAddress = ram.allocate(size: outSize, alignment: 64),
                    let inPointer = ram.pointer(at: inAddress, length: inSize),
                    let outPointer = ram.pointer(at: outAddress, length: outSize)
                else { throw .driver(.outOfGuestMemory) }
                made.append(Slot(inAddress: inAddress, inPointer: inPointer, outAddress: outAddress,
                                 outPointer: outPointer))
            }
            slots = made
            freeSlots = Array((0..<slotCount).reversed())
            slotOfHead = Array(repeating: -1, count: queueSize)
            switch wait {
            case .poll:
                driver.disableInterrupts()
                interruptsOn = false
            case .interrupt, .hybrid:
                break
            }
        }

        /// A queue over RAM of the caller's, with no device attached: for tests that play the device themselves
        /// (`FUSETestDevice`) to check how the client takes malformed replies.
        /// - Parameters:
        ///   - eventIndex: whether the ring uses VIRTIO_RING_F_EVENT_IDX.
        public convenience init(
            testingIndex index: Int, ram: GuestRAM, queueSize: Int, eventIndex: Bool = true, slotCount: Int,
            argumentCapacity: Int = 4096, dataCapacity: Int = 4096, replyCapacity: Int = 4096,
            wait: CompletionWait = .poll, timeoutMilliseconds: Int = 1_000
        ) throws(Failure) {
            try self.init(index: index, ram: ram, queueSize: queueSize, features: eventIndex ? [.eventIndex] : [],
                          slotCount: slotCount, argumentCapacity: argumentCapacity, dataCapacity: dataCapacity,
                          replyCapacity: replyCapacity, wait: wait, timeoutMilliseconds: timeoutMilliseconds,
                          uid: 0, gid: 0, pid: 0)
        }

        /// Guest RAM bytes `init` takes for a queue with these parameters (rings, alignment and slots).
        static func guestMemoryNeeded(queueSize: Int, slotCount: Int, argumentCapacity: Int, dataCapacity: Int,
                                      replyCapacity: Int) -> Int {
            let rings = SplitRingLayout.descriptorTableSize(queueSize: queueSize)
                + SplitRingLayout.availRingSize(queueSize: queueSize)
                + SplitRingLayout.usedRingSize(queueSize: queueSize) + 3 * 4096
            let inSize = (inHeaderSize + argumentCapacity + dataCapacity + 63) / 64 * 64
            let outSize = (outHeaderSize + replyCapacity + 63) / 64 * 64
            return rings + slotCount * (inSize + outSize + 128)
        }

        /// Requests posted and not yet returned.
        public var inFlightCount: Int { slotCount - freeSlots.count }

        /// Free slots.
        public var freeSlotCount: Int { freeSlots.count }

        // MARK: - Submitting

        /// Posts one request (not yet visible to the device: call `kick()`).
        /// - Parameters:
        ///   - opcode: the FUSE opcode (any value, for hostile tests).
        ///   - nodeID: `fuse_in_header.nodeid`.
        ///   - replyCapacity: bytes of reply room after `fuse_out_header` (up to `replyCapacity` of the queue).
        ///   - expectsReply: false for FORGET and BATCH_FORGET: the chain then has no device-writable part.
        ///   - tag: returned in the completion (e.g. the caller's lane).
        ///   - encode: writes the arguments and data.
        /// - Returns: the request's unique id.
        @discardableResult
        public func submit(
            opcode: UInt32, nodeID: UInt64, replyCapacity: Int, expectsReply: Bool = true, tag: UInt64 = 0,
            _ encode: (inout RequestWriter) throws(Failure) -> Void = { _ in }
        ) throws(Failure) -> UInt64 {
            guard replyCapacity >= 0, replyCapacity <= self.replyCapacity else {
                throw .replyTooLarge(needed: replyCapacity, capacity: self.replyCapacity)
            }
            guard let s = freeSlots.popLast() else { throw .queueFull(queue: index) }
            let slot = slots[s]
            let unique = nextUnique
            nextUnique &+= 2
            let header = fuse_in_header(len: 0, opcode: opcode, unique: unique, nodeid: nodeID, uid: uid, gid: gid,
                                        pid: pid, total_extlen: 0, padding: 0)
            // SAFETY: the slot's in buffer is inHeaderSize + argumentCapacity + dataCapacity bytes.
            var writer = RequestWriter(
                header: header, arguments: slot.inPointer + Self.inHeaderSize, argumentCapacity: argumentCapacity,
                data: slot.inPointer + Self.inHeaderSize + argumentCapacity, dataCapacity: dataCapacity)
            do { try encode(&writer) } catch {
                freeSlots.append(s)
                throw error
            }
            let total = Self.inHeaderSize + writer.argumentLength + writer.dataLength
            writer.header.len = writer.declaredLength ?? UInt32(truncatingIfNeeded: total)
            // SAFETY: the slot's in buffer starts with inHeaderSize bytes for the header.
            slot.inPointer.storeBytes(of: writer.header, as: fuse_in_header.self)
            var readable = [DriverQueue.Buffer(slot.inAddress, length: UInt32(Self.inHeaderSize))]
            if writer.argumentLength > 0 {
                readable.append(DriverQueue.Buffer(GuestAddress(slot.inAddress.rawValue &+ UInt64(Self.inHeaderSize)),
                                                   length: UInt32(writer.argumentLength)))
            }
            if writer.dataLength > 0 {
                readable.append(DriverQueue.Buffer(
                    GuestAddress(slot.inAddress.rawValue &+ UInt64(Self.inHeaderSize + argumentCapacity)),
                    length: UInt32(writer.dataLength)))
            }
            var writable: [DriverQueue.Buffer] = []
            if expectsReply {
                // SAFETY: the out buffer holds at least outHeaderSize bytes; clearing the header makes a device that
                // claims bytes it never wrote show up as a unique mismatch instead of a stale reply.
                memset(slot.outPointer, 0, Self.outHeaderSize)
                writable.append(DriverQueue.Buffer(slot.outAddress, length: UInt32(Self.outHeaderSize)))
                if replyCapacity > 0 {
                    writable.append(DriverQueue.Buffer(
                        GuestAddress(slot.outAddress.rawValue &+ UInt64(Self.outHeaderSize)),
                                                       length: UInt32(replyCapacity)))
                }
            }
            try post(slot: s, readable: readable, writable: writable, unique: writer.header.unique, opcode: opcode,
                     tag: tag, replyCapacity: replyCapacity, expectsReply: expectsReply, validates: true)
            return writer.header.unique
        }

        /// Posts a chain made of exactly the given readable chunks (one descriptor each, any content: a split
        /// header, zero-length buffers...) and writable buffers of the given lengths, for hostile tests. The
        /// completion is not validated: its `reply` is the raw writable bytes (header included), up to the used
        /// length.
        public func submitRaw(readable chunks: [[UInt8]], writableLengths: [Int], tag: UInt64 = 0) throws(Failure) {
            let totalIn = chunks.reduce(0) { $0 + $1.count }
            let totalOut = writableLengths.reduce(0) { $0 + max($1, 0) }
            let inRoom = Self.inHeaderSize + argumentCapacity + dataCapacity
            guard totalIn <= inRoom else { throw .requestTooLarge("raw chain", needed: totalIn, capacity: inRoom) }
            guard totalOut <= Self.outHeaderSize + replyCapacity, writableLengths.allSatisfy({ $0 >= 0 }) else {
                throw .replyTooLarge(needed: totalOut, capacity: Self.outHeaderSize + replyCapacity)
            }
            guard let s = freeSlots.popLast() else { throw .queueFull(queue: index) }
            let slot = slots[s]
            var readable: [DriverQueue.Buffer] = []
            var offset = 0
            for chunk in chunks {
                chunk.withUnsafeBytes { bytes in
                    if let base = bytes.baseAddress, !bytes.isEmpty {
                        // SAFETY: offset + chunk.count <= totalIn <= the in buffer's size.
                        (slot.inPointer + offset).copyMemory(from: base, byteCount: bytes.count)
                    }
                }
                readable.append(DriverQueue.Buffer(GuestAddress(slot.inAddress.rawValue &+ UInt64(offset)),
                                                   length: UInt32(chunk.count)))
                offset += chunk.count
            }
            var writable: [DriverQueue.Buffer] = []
            offset = 0
            for length in writableLengths {
                writable.append(DriverQueue.Buffer(GuestAddress(slot.outAddress.rawValue &+ UInt64(offset)),
                                                   length: UInt32(length)))
                offset += length
            }
            try post(slot: s, readable: readable, writable: writable, unique: 0, opcode: 0, tag: tag,
                     replyCapacity: totalOut, expectsReply: !writable.isEmpty, validates: false)
        }

        private func post(slot s: Int, readable: [DriverQueue.Buffer], writable: [DriverQueue.Buffer], unique: UInt64,
                          opcode: UInt32, tag: UInt64, replyCapacity: Int, expectsReply: Bool,
                          validates: Bool) throws(Failure) {
            let head: UInt16
            do { head = try driver.post(readable: readable, writable: writable) } catch {
                freeSlots.append(s)
                throw .driver(error)
            }
            slotOfHead[Int(head)] = s
            slots[s].unique = unique
            slots[s].opcode = opcode
            slots[s].tag = tag
            slots[s].replyCapacity = replyCapacity
            slots[s].expectsReply = expectsReply
            slots[s].validates = validates
            slots[s].submittedAt = SystemClock.monotonicNanoseconds()
            submitted &+= 1
        }

        /// Publishes the posted requests and kicks the device unless it asked not to be (EVENT_IDX avail_event
        /// or VRING_USED_F_NO_NOTIFY).
        public func kick() {
            if driver.publish() {
                kickEvent.signal()
                kicks &+= 1
            }
        }

        // MARK: - Completions

        /// Hands every returned request to `body`, waiting (as `wait` says) until at least `minimum` have come back
        /// or none is left in flight. `body` may submit new requests.
        /// - Returns: the number of completions handed over.
        /// - Throws: `.timeout` when nothing comes back for `timeoutNanoseconds`; `.driver` when the device broke the
        ///   used-ring rules; whatever `body` throws.
        @discardableResult
        public func reap(
            minimum: Int = 1, _ body: (Completion) throws(Failure) -> Void
        ) throws(Failure) -> Int {
            var reaped = 0
            var waitStart: UInt64 = 0
            while true {
                while let element = try popUsed() {
                    reaped += 1
                    waitStart = 0
                    try deliver(element, body)
                }
                if reaped >= minimum || inFlightCount == 0 { return reaped }
                try waitForUsed(since: &waitStart)
            }
        }

        private func popUsed() throws(Failure) -> DriverQueue.UsedElement? {
            do { return try driver.popUsed() } catch { throw .driver(error) }
        }

        private func waitForUsed(since start: inout UInt64) throws(Failure) {
            let now = SystemClock.monotonicNanoseconds()
            if start == 0 { start = now }
            let waited = now &- start
            guard waited < timeoutNanoseconds else { throw .timeout(queue: index, inFlight: inFlightCount) }
            switch wait {
            case .poll:
                spin()
            case .hybrid(let spinNanoseconds) where waited < spinNanoseconds:
                if interruptsOn {
                    driver.disableInterrupts()
                    interruptsOn = false
                }
                spin()
            case .interrupt, .hybrid:
                if !interruptsOn {
                    interruptsOn = true
                    if driver.enableInterrupts() { return }
                }
                let remaining = (timeoutNanoseconds - waited + 999_999) / 1_000_000
                if callEvent.wait(timeoutMilliseconds: Int32(clamping: remaining)) != 0 { wakeups &+= 1 }
            }
        }

        /// Busy-waits briefly for used.idx to move.
        private func spin() {
            for _ in 0..<256 where driver.deviceUsedIndex == driver.lastUsed {}
        }

        private func deliver(_ element: DriverQueue.UsedElement, _ body: (Completion) throws(Failure) -> Void)
            throws(Failure)
        {
            let s = slotOfHead[Int(element.head)]
            guard s >= 0 else { throw .badReply(.unexpectedCompletion(unique: 0)) }
            slotOfHead[Int(element.head)] = -1
            let slot = slots[s]
            freeSlots.append(s)
            completed &+= 1
            var c = Completion(
                unique: slot.unique, opcode: slot.opcode, tag: slot.tag, usedLength: element.length, error: 0,
                reply: UnsafeRawBufferPointer(start: nil, count: 0), replyCapacity: slot.replyCapacity, problem: nil,
                submittedAt: slot.submittedAt, completedAt: SystemClock.monotonicNanoseconds())
            if !slot.expectsReply {
                // No writable buffers: the driver queue already refused a used length above 0.
            } else if !slot.validates {
                let n = min(Int(element.length), slot.replyCapacity)
                c.reply = UnsafeRawBufferPointer(start: slot.outPointer, count: n)
            } else if element.length < UInt32(Self.outHeaderSize) {
                c.problem = .shorterThanHeader(usedLength: element.length)
            } else {
                // SAFETY: the out buffer starts with outHeaderSize bytes; the device wrote them (used length).
                let h = UnsafeRawPointer(slot.outPointer).loadUnaligned(as: fuse_out_header.self)
                if h.unique != slot.unique {
                    c.problem = .uniqueMismatch(expected: slot.unique, received: h.unique)
                } else if h.len < UInt32(Self.outHeaderSize) || h.len > element.length {
                    c.problem = .lengthMismatch(headerLength: h.len, usedLength: element.length)
                } else if h.error > 0 || h.error < -4095 {
                    c.problem = .invalidError(h.error)
                } else if h.error != 0 && h.len != UInt32(Self.outHeaderSize) {
                    c.problem = .errorWithPayload(error: h.error, length: h.len)
                } else {
                    c.error = -h.error
                    // SAFETY: h.len <= used length <= outHeaderSize + replyCapacity (checked by the driver queue
                    // against the chain's writable bytes), all inside the slot's out buffer.
                    c.reply = UnsafeRawBufferPointer(start: slot.outPointer + Self.outHeaderSize,
                                                     count: Int(h.len) - Self.outHeaderSize)
                }
            }
            try body(c)
        }
    }
}
