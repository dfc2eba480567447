// Message bodies (vhost-user.rst, "Message Specification"). Each decoder demands the exact body size of its type;
// each type validates its own fields (`VhostUserPayload.validate(for:)`), and the checks that need the device's
// limits are methods taking those limits, called by the request handler.

/// A vring state description: `struct vhost_vring_state` (SET_VRING_NUM, SET_VRING_BASE, GET_VRING_BASE,
/// SET_VRING_ENABLE).
public struct VringStatePayload: VhostUserPayload, Equatable {
    /// Size on the wire.
    public static let size = 8
    /// Queue index, untrusted.
    public var index: UInt32
    /// Size, base index, or enable flag depending on the request, untrusted.
    public var num: UInt32

    public init(index: UInt32, num: UInt32) {
        self.index = index
        self.num = num
    }

    /// Decodes an exact-size body.
    public init?(decoding body: [UInt8]) {
        guard body.count == Self.size else { return nil }
        var r = WireReader(body)
        guard let i = r.u32(), let n = r.u32() else { return nil }
        index = i
        num = n
    }

    /// The wire form.
    public var encoded: [UInt8] {
        var w = WireWriter()
        w.u32(index)
        w.u32(num)
        return w.bytes
    }

    /// The queue index, checked against the device's `queueCount`.
    public func validatedIndex(queueCount: Int, for request: VhostUserRequest) throws(VhostUserError) -> Int {
        try Self.validatedIndex(index, queueCount: queueCount, for: request)
    }

    /// `raw` as a queue index below `queueCount`.
    static func validatedIndex(_ raw: UInt32, queueCount: Int, for request: VhostUserRequest) throws(VhostUserError)
        -> Int
    {
        guard let i = Int(exactly: raw), i < queueCount else {
            throw .invalidParameter("\(request): queue index \(raw) out of range (queues: \(queueCount))")
        }
        return i
    }

    /// SET_VRING_NUM: `num` as a ring size, a power of two in 1...`maxQueueSize` (virtio 1.2 §2.7).
    public func validatedQueueSize(maxQueueSize: Int) throws(VhostUserError) -> UInt16 {
        guard num >= 1, num <= UInt32(maxQueueSize), num & (num - 1) == 0, let size = UInt16(exactly: num) else {
            throw .invalidParameter("SET_VRING_NUM: size \(num) not a power of two in 1...\(maxQueueSize)")
        }
        return size
    }

    /// SET_VRING_BASE: `num` as the next available index. Split rings: 16 bits (packed rings, not offered, use bit
    /// 15 as the wrap counter).
    public func validatedBase() throws(VhostUserError) -> UInt16 {
        guard let base = UInt16(exactly: num) else { throw .invalidParameter("SET_VRING_BASE: \(num)") }
        return base
    }

    /// SET_VRING_ENABLE: `num` as a flag, 0 or 1.
    public func validatedEnable() throws(VhostUserError) -> Bool {
        guard num <= 1 else { throw .invalidParameter("SET_VRING_ENABLE: \(num)") }
        return num == 1
    }
}

/// A vring address description: `struct vhost_vring_addr` (SET_VRING_ADDR). The ring addresses are front-end
/// virtual addresses ("user addresses"), translated through the memory table's user_addr fields.
public struct VringAddressPayload: VhostUserPayload, Equatable {
    /// Size on the wire.
    public static let size = 40
    /// Flag bit 0: the log address is valid (VHOST_VRING_F_LOG).
    public static let logFlag: UInt32 = 1

    /// Queue index, untrusted.
    public var index: UInt32
    /// Flags, untrusted.
    public var flags: UInt32
    /// Descriptor table, front-end virtual address.
    public var descriptorTable: UInt64
    /// Used ring, front-end virtual address.
    public var usedRing: UInt64
    /// Available ring, front-end virtual address.
    public var availableRing: UInt64
    /// Log guest address (migration only).
    public var log: UInt64

    public init(index: UInt32, flags: UInt32 = 0, descriptorTable: UInt64, usedRing: UInt64, availableRing: UInt64,
                log: UInt64 = 0) {
        self.index = index
        self.flags = flags
        self.descriptorTable = descriptorTable
        self.usedRing = usedRing
        self.availableRing = availableRing
        self.log = log
    }

    /// Decodes an exact-size body.
    public init?(decoding body: [UInt8]) {
        guard body.count == Self.size else { return nil }
        var r = WireReader(body)
        guard let i = r.u32(), let f = r.u32(), let d = r.u64(), let u = r.u64(), let a = r.u64(), let l = r.u64()
        else { return nil }
        self.init(index: i, flags: f, descriptorTable: d, usedRing: u, availableRing: a, log: l)
    }

    /// The wire form.
    public var encoded: [UInt8] {
        var w = WireWriter()
        w.u32(index)
        w.u32(flags)
        w.u64(descriptorTable)
        w.u64(usedRing)
        w.u64(availableRing)
        w.u64(log)
        return w.bytes
    }

    /// No flag but VHOST_VRING_F_LOG. (Ring ranges are checked when the ring starts and its size is known.)
    public func validate(for request: VhostUserRequest) throws(VhostUserError) {
        guard flags & ~Self.logFlag == 0 else { throw .invalidParameter("SET_VRING_ADDR: flags") }
    }
}

/// One memory region description: `VhostUserMemoryRegion` (guest_addr, size, user_addr, mmap_offset).
public struct MemoryRegionPayload: Sendable, Equatable {
    /// Size on the wire.
    public static let size = 32
    /// Guest physical address, untrusted.
    public var guestPhysicalAddress: UInt64
    /// Size in bytes, untrusted.
    public var size: UInt64
    /// Front-end virtual address, untrusted.
    public var userAddress: UInt64
    /// Offset of the region in the attached fd, untrusted.
    public var mmapOffset: UInt64

    public init(guestPhysicalAddress: UInt64, size: UInt64, userAddress: UInt64, mmapOffset: UInt64) {
        self.guestPhysicalAddress = guestPhysicalAddress
        self.size = size
        self.userAddress = userAddress
        self.mmapOffset = mmapOffset
    }

    init?(reading r: inout WireReader) {
        guard let g = r.u64(), let s = r.u64(), let u = r.u64(), let m = r.u64() else { return nil }
        self.init(guestPhysicalAddress: g, size: s, userAddress: u, mmapOffset: m)
    }

    func write(to w: inout WireWriter) {
        w.u64(guestPhysicalAddress)
        w.u64(size)
        w.u64(userAddress)
        w.u64(mmapOffset)
    }

    /// Whether size is non-zero and no end (GPA, user address, mmap offset) overflows 64 bits.
    public var isWellFormed: Bool {
        size > 0
            && !guestPhysicalAddress.addingReportingOverflow(size).overflow
            && !userAddress.addingReportingOverflow(size).overflow
            && !mmapOffset.addingReportingOverflow(size).overflow
    }

    /// Whether the GPA or user-address ranges of `self` and `other` intersect. Both must be well formed.
    public func overlaps(_ other: MemoryRegionPayload) -> Bool {
        func intersects(_ a: UInt64, _ b: UInt64, _ len: UInt64, _ olen: UInt64) -> Bool {
            a < b &+ olen && b < a &+ len
        }
        return intersects(guestPhysicalAddress, other.guestPhysicalAddress, size, other.size)
            || intersects(userAddress, other.userAddress, size, other.size)
    }

    /// Each region well formed, and no two overlapping in guest-physical or front-end-virtual space (a memory
    /// table, or the table with a region added).
    public static func validate(_ regions: [MemoryRegionPayload]) throws(VhostUserError) {
        for (i, r) in regions.enumerated() {
            guard r.isWellFormed else {
                throw .invalidParameter("memory region \(i): size 0 or address overflow")
            }
            for j in 0..<i where regions[j].overlaps(r) {
                throw .invalidParameter("memory regions \(j) and \(i) overlap")
            }
        }
    }
}

/// SET_MEM_TABLE body: `VhostUserMemory` (u32 nregions, u32 padding, regions[nregions]).
public struct MemoryTablePayload: VhostUserPayload, Equatable {
    /// Most regions one SET_MEM_TABLE may carry (VHOST_MEMORY_BASELINE_NREGIONS).
    public static let maxRegions = 8
    /// The regions, untrusted.
    public var regions: [MemoryRegionPayload]

    public init(regions: [MemoryRegionPayload]) { self.regions = regions }

    /// Decodes a body whose size must be exactly 8 + 32 * nregions, with 1 <= nregions <= 8.
    public init?(decoding body: [UInt8]) {
        var r = WireReader(body)
        guard let n = r.u32(), r.u32() != nil, n >= 1, n <= UInt32(Self.maxRegions),
              body.count == 8 + Int(n) * MemoryRegionPayload.size
        else { return nil }
        var regions: [MemoryRegionPayload] = []
        for _ in 0..<n {
            guard let region = MemoryRegionPayload(reading: &r) else { return nil }
            regions.append(region)
        }
        self.regions = regions
    }

    /// The wire form.
    public var encoded: [UInt8] {
        var w = WireWriter()
        w.u32(UInt32(truncatingIfNeeded: regions.count))
        w.u32(0)
        for r in regions { r.write(to: &w) }
        return w.bytes
    }

    /// Every region well formed, none overlapping another.
    public func validate(for request: VhostUserRequest) throws(VhostUserError) {
        try MemoryRegionPayload.validate(regions)
    }
}

/// ADD_MEM_REG / REM_MEM_REG body: `VhostUserSingleMemoryRegion` (u64 padding, region).
public struct SingleMemoryRegionPayload: VhostUserPayload, Equatable {
    /// Size on the wire.
    public static let size = 40
    /// The region, untrusted.
    public var region: MemoryRegionPayload

    public init(region: MemoryRegionPayload) { self.region = region }

    /// Decodes an exact-size body.
    public init?(decoding body: [UInt8]) {
        guard body.count == Self.size else { return nil }
        var r = WireReader(body)
        guard r.u64() != nil, let region = MemoryRegionPayload(reading: &r) else { return nil }
        self.region = region
    }

    /// The wire form.
    public var encoded: [UInt8] {
        var w = WireWriter()
        w.u64(0)
        region.write(to: &w)
        return w.bytes
    }
}

/// GET_CONFIG / SET_CONFIG body: `VhostUserConfig` (u32 offset, u32 size, u32 flags, payload[size]).
public struct ConfigPayload: VhostUserPayload, Equatable {
    /// Largest config payload (VHOST_USER_MAX_CONFIG_SIZE).
    public static let maxPayload = 256
    /// Offset into the device config space, untrusted.
    public var offset: UInt32
    /// Flags (bit 0: live migration write), untrusted.
    public var flags: UInt32
    /// The payload bytes; their count is the message's size field.
    public var payload: [UInt8]

    public init(offset: UInt32, flags: UInt32 = 0, payload: [UInt8]) {
        self.offset = offset
        self.flags = flags
        self.payload = payload
    }

    /// Decodes a body of exactly 12 + size bytes with size <= 256.
    public init?(decoding body: [UInt8]) {
        var r = WireReader(body)
        guard let o = r.u32(), let s = r.u32(), let f = r.u32(), s <= UInt32(Self.maxPayload),
              r.remaining == Int(s), let p = r.bytes(Int(s))
        else { return nil }
        offset = o
        flags = f
        payload = p
    }

    /// The wire form.
    public var encoded: [UInt8] {
        var w = WireWriter()
        w.u32(offset)
        w.u32(UInt32(truncatingIfNeeded: payload.count))
        w.u32(flags)
        w.append(payload)
        return w.bytes
    }

    /// The range `offset ..< offset + size` of a `spaceSize`-byte config space, which it must lie inside.
    public func validatedRange(spaceSize: Int, for request: VhostUserRequest) throws(VhostUserError) -> Range<Int> {
        guard let start = Int(exactly: offset), start <= spaceSize, payload.count <= spaceSize - start else {
            throw .invalidParameter("\(request): range outside the \(spaceSize)-byte config space")
        }
        return start..<(start + payload.count)
    }
}

/// SET_VRING_KICK / SET_VRING_CALL / SET_VRING_ERR body: a u64 with the queue index in bits 0-7 and bit 8 set
/// when no file descriptor is attached (polling).
public struct VringFileDescriptorPayload: VhostUserPayload, Equatable {
    /// Bit 8: no fd is passed.
    public static let noFDFlag: UInt64 = 0x100
    /// Bits 0-7: queue index.
    public static let indexMask: UInt64 = 0xff

    /// The raw value, untrusted.
    public var rawValue: UInt64

    public init(rawValue: UInt64) { self.rawValue = rawValue }
    public init(index: UInt8, hasFD: Bool) {
        rawValue = UInt64(index) | (hasFD ? 0 : Self.noFDFlag)
    }

    /// The queue index.
    public var index: Int { Int(rawValue & Self.indexMask) }
    /// Whether an fd should be attached.
    public var hasFD: Bool { rawValue & Self.noFDFlag == 0 }
    /// Whether bits other than the index and the no-fd flag are set (invalid).
    public var hasReservedBits: Bool { rawValue & ~(Self.indexMask | Self.noFDFlag) != 0 }

    /// Decodes an exact-size (8-byte) body.
    public init?(decoding body: [UInt8]) {
        guard body.count == 8, let v = WireReader(body).u64Value() else { return nil }
        rawValue = v
    }

    /// No reserved bit set.
    public func validate(for request: VhostUserRequest) throws(VhostUserError) {
        guard !hasReservedBits else { throw .invalidBody(request) }
    }
}
