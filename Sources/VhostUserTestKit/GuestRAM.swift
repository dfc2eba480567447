import CLinux
import Glibc
import GuestMemory
import LinuxSystem

/// Fake guest RAM for tests and benchmarks, as QEMU's `memory-backend-memfd,share=on`: one memfd holding one or more
/// regions at given guest physical addresses, mapped here for the driver side.
///
/// A vhost-user frontend sends each `Region`'s descriptor, mmap offset, guest address, size and (fake) user address
/// in SET_MEM_TABLE / ADD_MEM_REG; `makeMemoryMap()` builds the backend's view directly, with its own mappings, for
/// tests that skip the socket. The regions share one file so their mmap offsets are non-zero, as they are in QEMU.
///
/// Guest buffers come from a bump allocator per region. Access helpers bounds-check against the regions and read or
/// write through this object's mapping (the "guest" side of the shared memory).
///
/// Threading: not thread-safe; use it from one thread (the simulated guest) at a time.
public final class GuestRAM {
    /// One region of guest RAM, with what a vhost-user frontend sends for it.
    public struct Region: Sendable {
        /// The memfd holding all regions (send it with SCM_RIGHTS).
        public let descriptor: FileDescriptor
        /// Offset of the region in the memfd (vhost-user `mmap_offset`).
        public let mmapOffset: UInt64
        /// First guest physical address.
        public let guestPhysicalAddress: GuestAddress
        /// Size in bytes.
        public let size: UInt64
        /// The frontend's virtual address of the region (fake, but distinct from the GPA and unique per region).
        public let userAddress: UInt64

        /// One past the last guest physical address.
        public var guestEnd: UInt64 { guestPhysicalAddress.rawValue + size }
    }

    /// Base of the fake frontend virtual addresses: user address = base + mmap offset.
    public static let userAddressBase: UInt64 = 0x7f00_0000_0000

    /// The memfd behind every region.
    public let descriptor: FileDescriptor
    /// The regions, in the order given.
    public let regions: [Region]

    private let mapping: MemoryMapping
    private var allocationCursor: [UInt64]

    /// Creates guest RAM with regions at the given guest physical addresses.
    /// - Parameters:
    ///   - layout: (guest physical address, size) per region; sizes are rounded up to whole pages; regions must not
    ///     overlap in guest physical address space.
    ///   - name: the memfd name (shows in /proc/<pid>/fd).
    /// - Throws: `Errno.invalidArgument` for an empty layout, a zero size, overflow or overlap; memfd/mmap errors.
    public init(layout: [(guestPhysicalAddress: UInt64, size: UInt64)], name: String = "guest-ram",
                allowSealing: Bool = false) throws(Errno) {
        guard !layout.isEmpty else { throw .invalidArgument }
        let page = UInt64(max(sysconf(Int32(_SC_PAGESIZE)), 1))
        var offset: UInt64 = 0
        var pending: [(offset: UInt64, gpa: UInt64, size: UInt64)] = []
        for entry in layout {
            guard entry.size > 0 else { throw .invalidArgument }
            let (rounded, o1) = entry.size.addingReportingOverflow(page - 1)
            let size = rounded / page * page
            let (_, o2) = entry.guestPhysicalAddress.addingReportingOverflow(size)
            let (next, o3) = offset.addingReportingOverflow(size)
            guard !o1, !o2, !o3 else { throw .invalidArgument }
            pending.append((offset, entry.guestPhysicalAddress, size))
            offset = next
        }
        let sorted = pending.sorted { $0.gpa < $1.gpa }
        for (a, b) in zip(sorted, sorted.dropFirst()) where a.gpa + a.size > b.gpa { throw .invalidArgument }

        let fd = try MemFD.create(name: name, size: offset, allowSealing: allowSealing)
        descriptor = fd
        mapping = try MemoryMapping(descriptor: fd, offset: 0, length: offset)
        regions = pending.map {
            Region(
                descriptor: fd, mmapOffset: $0.offset, guestPhysicalAddress: GuestAddress($0.gpa), size: $0.size,
                userAddress: GuestRAM.userAddressBase + $0.offset)
        }
        allocationCursor = Array(repeating: 0, count: regions.count)
    }

    /// Convenience: one region of `size` bytes at guest physical address `guestPhysicalAddress`.
    public convenience init(size: UInt64, guestPhysicalAddress: UInt64 = 0x1_0000) throws(Errno) {
        try self.init(layout: [(guestPhysicalAddress, size)])
    }

    /// The backend's view of this RAM, mapped separately from the driver's view (as a vhost-user backend would after
    /// SET_MEM_TABLE).
    public func makeMemoryMap(
        maximumRegionCount: Int = GuestMemoryMap.defaultMaximumRegionCount
    ) throws(GuestMemoryError) -> GuestMemoryMap {
        var made: [GuestMemoryRegion] = []
        for region in regions {
            made.append(try makeMemoryRegion(region))
        }
        return try GuestMemoryMap(regions: made, maximumRegionCount: maximumRegionCount)
    }

    /// The backend's view of one region (for ADD_MEM_REG-style tests).
    public func makeMemoryRegion(_ region: Region) throws(GuestMemoryError) -> GuestMemoryRegion {
        try GuestMemoryRegion(
            descriptor: region.descriptor, mmapOffset: region.mmapOffset,
            guestPhysicalAddress: region.guestPhysicalAddress, userAddress: region.userAddress, size: region.size)
    }

    // MARK: - Allocation

    /// Allocates `size` bytes (`alignment` a power of two) from region `region`; nil when it does not fit.
    /// Memory is not cleared.
    public func allocate(size: Int, alignment: Int = 16, region: Int = 0) -> GuestAddress? {
        guard size >= 0, alignment > 0, alignment & (alignment - 1) == 0, regions.indices.contains(region) else {
            return nil
        }
        let r = regions[region]
        let align = UInt64(alignment)
        let start = (allocationCursor[region] + align - 1) / align * align
        guard start <= r.size, UInt64(size) <= r.size - start else { return nil }
        allocationCursor[region] = start + UInt64(size)
        return GuestAddress(r.guestPhysicalAddress.rawValue + start)
    }

    /// Allocates `size` bytes ending exactly at the end of region `region` (to test buffers at region edges).
    public func allocateAtEnd(size: Int, region: Int = 0) -> GuestAddress? {
        guard size >= 0, regions.indices.contains(region) else { return nil }
        let r = regions[region]
        guard UInt64(size) <= r.size - allocationCursor[region] else { return nil }
        return GuestAddress(r.guestEnd - UInt64(size))
    }

    /// Bytes still free in region `region` (ignoring alignment).
    public func freeBytes(region: Int = 0) -> UInt64 {
        guard regions.indices.contains(region) else { return 0 }
        return regions[region].size - allocationCursor[region]
    }

    /// Forgets every allocation (memory contents stay).
    public func resetAllocator() {
        for index in allocationCursor.indices { allocationCursor[index] = 0 }
    }

    // MARK: - Access (driver side)

    /// The driver-side host pointer of [address, address + length), which must lie in one region; nil otherwise.
    public func pointer(at address: GuestAddress, length: Int) -> UnsafeMutableRawPointer? {
        guard length >= 0 else { return nil }
        for region in regions where address >= region.guestPhysicalAddress {
            let offset = address.rawValue - region.guestPhysicalAddress.rawValue
            guard offset < region.size, UInt64(length) <= region.size - offset else { continue }
            // SAFETY: region.mmapOffset + offset < the memfd size, which is the mapping's length.
            return mapping.base + Int(region.mmapOffset + offset)
        }
        return nil
    }

    /// Writes `bytes` at `address`. Returns false when the range is not inside one region.
    @discardableResult
    public func write(_ bytes: UnsafeRawBufferPointer, at address: GuestAddress) -> Bool {
        guard let target = pointer(at: address, length: bytes.count) else { return false }
        if let source = bytes.baseAddress {
            // SAFETY: `pointer(at:length:)` checked the range.
            target.copyMemory(from: source, byteCount: bytes.count)
        }
        return true
    }

    /// Writes `bytes` at `address`. Returns false when the range is not inside one region.
    @discardableResult
    public func write(_ bytes: [UInt8], at address: GuestAddress) -> Bool {
        bytes.withUnsafeBytes { write($0, at: address) }
    }

    /// Fills `count` bytes at `address` with `byte`. Returns false when out of range.
    @discardableResult
    public func fill(_ byte: UInt8, at address: GuestAddress, count: Int) -> Bool {
        guard let target = pointer(at: address, length: count) else { return false }
        // SAFETY: `pointer(at:length:)` checked the range.
        memset(target, Int32(byte), count)
        return true
    }

    /// Reads `count` bytes at `address`; nil when out of range.
    public func read(at address: GuestAddress, count: Int) -> [UInt8]? {
        guard let source = pointer(at: address, length: count) else { return nil }
        // SAFETY: `pointer(at:length:)` checked the range.
        return Array(UnsafeRawBufferPointer(start: source, count: count))
    }

    /// Loads a little-endian integer at `address`; nil when out of range.
    public func load<T: FixedWidthInteger & BitwiseCopyable>(_ type: T.Type, at address: GuestAddress) -> T? {
        guard let p = pointer(at: address, length: MemoryLayout<T>.size) else { return nil }
        // SAFETY: range checked; unaligned load of a trivial integer.
        return T(littleEndian: p.loadUnaligned(as: T.self))
    }

    /// Stores a little-endian integer at `address`. Returns false when out of range.
    @discardableResult
    public func store<T: FixedWidthInteger & BitwiseCopyable>(_ value: T, at address: GuestAddress) -> Bool {
        guard let p = pointer(at: address, length: MemoryLayout<T>.size) else { return false }
        // SAFETY: range checked; unaligned store of a trivial integer.
        p.storeBytes(of: value.littleEndian, as: T.self)
        return true
    }

    /// Loads a 2-aligned little-endian UInt16 with acquire ordering; nil when out of range or misaligned.
    public func loadAcquire(_ type: UInt16.Type, at address: GuestAddress) -> UInt16? {
        guard address.isAligned(to: 2), let p = pointer(at: address, length: 2) else { return nil }
        // SAFETY: 2 mapped bytes; the memfd mapping is page-aligned and mmap offsets are page multiples, so the host
        // address is 2-aligned like the guest address.
        return UInt16(littleEndian: SharedMemory.loadAcquireUInt16(p))
    }

    /// Stores a 2-aligned little-endian UInt16 with release ordering. Returns false when out of range or misaligned.
    @discardableResult
    public func storeRelease(_ value: UInt16, at address: GuestAddress) -> Bool {
        guard address.isAligned(to: 2), let p = pointer(at: address, length: 2) else { return false }
        // SAFETY: as in loadAcquire.
        SharedMemory.storeReleaseUInt16(p, value.littleEndian)
        return true
    }
}
