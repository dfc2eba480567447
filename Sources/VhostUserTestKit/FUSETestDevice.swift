import CLinux
import GuestMemory
import Virtqueue

/// The device side of one `FUSEClient.Queue`, played by a test in the same process: pops the chains the client
/// posted and returns them with any bytes and any used length, including malformed ones, so that tests can check
/// the client never trusts a reply it should not.
///
/// It walks direct chains only (the client never posts indirect ones) and assumes the ring is not shared with a
/// real backend. Threading: use from the thread that drives the queue, between `kick()` and `reap`.
public struct FUSETestDevice {
    /// A chain the client posted.
    public struct Chain: Sendable {
        /// Head descriptor index (the used element's id).
        public var head: UInt16
        /// The device-readable bytes, concatenated (fuse_in_header, arguments, data).
        public var readable: [UInt8]
        /// The device-writable buffers (guest physical address, length).
        public var writable: [(address: UInt64, length: UInt32)]

        /// Bytes the chain can take.
        public var writableLength: Int { writable.reduce(0) { $0 + Int($1.length) } }

        /// The request's `fuse_in_header`, if the readable part holds one.
        public var header: fuse_in_header? {
            guard readable.count >= MemoryLayout<fuse_in_header>.size else { return nil }
            // SAFETY: at least the header's size is there (checked above); unaligned load of a trivial struct.
            return readable.withUnsafeBytes { $0.loadUnaligned(as: fuse_in_header.self) }
        }
    }

    private let queue: FUSEClient.Queue
    private var lastAvail: UInt16 = 0
    private var usedIndex: UInt16 = 0

    /// Plays the device of `queue`.
    public init(queue: FUSEClient.Queue) {
        self.queue = queue
    }

    private var ram: GuestRAM { queue.driver.ram }
    private var size: Int { queue.driver.size }

    private func address(_ base: GuestAddress, _ offset: Int) -> GuestAddress {
        GuestAddress(base.rawValue &+ UInt64(offset))
    }

    /// Takes the next chain the client published; nil when there is none (or the ring is malformed).
    public mutating func pop() -> Chain? {
        let d = queue.driver
        guard let availIndex = ram.loadAcquire(UInt16.self, at: address(d.availRingAddress, 2)),
            availIndex != lastAvail,
            let head = ram.load(UInt16.self, at: address(d.availRingAddress, 4 + 2 * Int(lastAvail % UInt16(size))))
        else { return nil }
        lastAvail &+= 1
        var chain = Chain(head: head, readable: [], writable: [])
        var index = Int(head)
        for _ in 0..<size {
            guard index < size, let p = ram.pointer(at: address(d.descriptorTableAddress, 16 * index), length: 16)
            else { return nil }
            let descriptor = Descriptor(readingOnceFrom: p)
            if descriptor.flags.contains(.write) {
                chain.writable.append((descriptor.address.rawValue, descriptor.length))
            } else if let bytes = ram.read(at: descriptor.address, count: Int(descriptor.length)) {
                chain.readable += bytes
            }
            guard descriptor.flags.contains(.next) else { return chain }
            index = Int(descriptor.next)
        }
        return nil
    }

    /// Writes `bytes` across the chain's writable buffers (as much as fits) and returns the chain with
    /// `usedLength` (default: the bytes written).
    public mutating func complete(_ chain: Chain, writing bytes: [UInt8], usedLength: UInt32? = nil) {
        var offset = 0
        for buffer in chain.writable where offset < bytes.count {
            let n = min(Int(buffer.length), bytes.count - offset)
            ram.write(Array(bytes[offset..<(offset + n)]), at: GuestAddress(buffer.address))
            offset += n
        }
        pushUsed(id: UInt32(chain.head), length: usedLength ?? UInt32(offset))
    }

    /// Writes a reply made of `fuse_out_header` (len, error, unique) and `payload`.
    public mutating func reply(_ chain: Chain, error: Int32 = 0, unique: UInt64? = nil, declaredLength: UInt32? = nil,
                               payload: [UInt8] = [], usedLength: UInt32? = nil) {
        let length = declaredLength ?? UInt32(MemoryLayout<fuse_out_header>.size + payload.count)
        let header = fuse_out_header(len: length, error: error, unique: unique ?? chain.header?.unique ?? 0)
        let bytes = withUnsafeBytes(of: header) { Array($0) } + payload
        complete(chain, writing: bytes, usedLength: usedLength)
    }

    /// Publishes a used element as is (any id, any length).
    public mutating func pushUsed(id: UInt32, length: UInt32) {
        let d = queue.driver
        let slot = Int(usedIndex % UInt16(size))
        ram.store(id, at: address(d.usedRingAddress, 4 + 8 * slot))
        ram.store(length, at: address(d.usedRingAddress, 8 + 8 * slot))
        usedIndex &+= 1
        ram.storeRelease(usedIndex, at: address(d.usedRingAddress, 2))
    }

    /// Sets used.idx to any value (hostile jumps).
    public mutating func setUsedIndex(_ value: UInt16) {
        usedIndex = value
        ram.storeRelease(value, at: address(queue.driver.usedRingAddress, 2))
    }
}
