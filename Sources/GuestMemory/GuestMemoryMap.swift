/// An immutable snapshot of guest RAM: sorted, non-overlapping `GuestMemoryRegion`s (rust-vmm vm-memory's
/// `GuestMemoryMmap`).
///
/// vhost-user SET_MEM_TABLE builds a new map; ADD_MEM_REG and REM_MEM_REG derive a new snapshot with `adding(_:)` and
/// `removing(guestPhysicalAddress:size:userAddress:)`, leaving the old one untouched. Readers never block: a reactor
/// swaps its reference between requests, and whoever still holds the old snapshot (in-flight I/O) keeps its mappings
/// alive. Every translation succeeds only if the whole range lies inside one region, so a buffer can never straddle
/// two mappings.
///
/// Host pointers returned by this type are valid while the map (or the region) is alive; callers keep a reference to
/// the map for as long as they use them.
public final class GuestMemoryMap: @unchecked Sendable {
    // SAFETY (Sendable): immutable after init. `entries` holds raw host pointers into mappings owned by `regions`.

    /// The default region limit: QEMU's vhost-user maximum number of memory slots (VHOST_USER_MAX_RAM_SLOTS = 509).
    public static let defaultMaximumRegionCount = 509

    /// The regions, sorted by guest physical address.
    public let regions: [GuestMemoryRegion]
    /// The largest number of regions this map (and maps derived from it) may hold.
    public let maximumRegionCount: Int

    /// A flat copy of what translation needs, sorted by `start`, so that the binary search touches no class.
    @usableFromInline
    struct Entry {
        @usableFromInline let start: UInt64
        @usableFromInline let size: UInt64
        @usableFromInline let host: UnsafeMutableRawPointer

        @usableFromInline
        init(start: UInt64, size: UInt64, host: UnsafeMutableRawPointer) {
            self.start = start
            self.size = size
            self.host = host
        }
    }

    @usableFromInline
    let entries: ContiguousArray<Entry>

    /// Builds a map from `regions` (any order).
    /// - Parameters:
    ///   - regions: the regions; overlap in guest physical or in frontend virtual address space is refused.
    ///   - maximumRegionCount: the limit the caller advertises (VHOST_USER_GET_MAX_MEM_SLOTS). Default 509.
    /// - Throws: `GuestMemoryError.tooManyRegions`, `.overlappingGuestAddresses`, `.overlappingUserAddresses`.
    public init(
        regions: [GuestMemoryRegion] = [], maximumRegionCount: Int = GuestMemoryMap.defaultMaximumRegionCount
    ) throws(GuestMemoryError) {
        guard regions.count <= maximumRegionCount else { throw .tooManyRegions(limit: maximumRegionCount) }
        let byGuest = regions.sorted { $0.guestPhysicalAddress < $1.guestPhysicalAddress }
        for (previous, next) in zip(byGuest, byGuest.dropFirst())
        where previous.guestEnd > next.guestPhysicalAddress.rawValue {
            throw .overlappingGuestAddresses(previous.guestPhysicalAddress, next.guestPhysicalAddress)
        }
        let byUser = regions.sorted { $0.userAddress < $1.userAddress }
        for (previous, next) in zip(byUser, byUser.dropFirst()) where previous.userEnd > next.userAddress {
            throw .overlappingUserAddresses(previous.userAddress, next.userAddress)
        }
        self.regions = byGuest
        self.maximumRegionCount = maximumRegionCount
        self.entries = ContiguousArray(byGuest.map {
            Entry(start: $0.guestPhysicalAddress.rawValue, size: $0.size, host: $0.hostAddress)
        })
    }

    /// Whether an access hit a page that a region's file lost after the mapping (see `GuestMemoryRegion.faults`).
    /// Not for the data path: check `MemoryMapping.guardedFaultGeneration` first.
    public var hasFaulted: Bool { regions.contains { $0.faults > 0 } }

    /// Translates [address, address + length) to a host pointer.
    ///
    /// Succeeds only when the whole range lies inside one region. A zero length is allowed when `address` itself is
    /// inside a region. Binary search over the sorted regions: O(log n).
    /// - Returns: the host address of `address`, or nil.
    @inlinable
    public func translate(_ address: GuestAddress, length: Int) -> UnsafeMutableRawPointer? {
        hostRange(containing: address)?.pointer(for: address, length: length)
    }

    /// The host mapping of the region holding `address`, as a small value a hot loop can cache and test first
    /// (a queue's buffers usually all lie in one region). Valid while this map is alive.
    @inlinable
    public func hostRange(containing address: GuestAddress) -> GuestHostRange? {
        let gpa = address.rawValue
        return entries.withUnsafeBufferPointer { table -> GuestHostRange? in
            var low = 0
            var high = table.count
            while low < high {
                let middle = (low &+ high) &>> 1
                if table[middle].start <= gpa { low = middle &+ 1 } else { high = middle }
            }
            guard low > 0 else { return nil }
            let entry = table[low &- 1]
            guard gpa &- entry.start < entry.size else { return nil }
            return GuestHostRange(start: entry.start, size: entry.size, host: entry.host)
        }
    }

    /// The region holding `address`, or nil.
    public func region(containing address: GuestAddress) -> GuestMemoryRegion? {
        var low = 0
        var high = regions.count
        while low < high {
            let middle = (low &+ high) &>> 1
            if regions[middle].guestPhysicalAddress <= address { low = middle &+ 1 } else { high = middle }
        }
        guard low > 0, regions[low &- 1].contains(address) else { return nil }
        return regions[low &- 1]
    }

    /// Translates a frontend virtual address range to a guest physical address (vhost-user SET_VRING_ADDR carries
    /// the rings' addresses in the frontend's address space).
    ///
    /// Succeeds only when [userAddress, userAddress + length) lies inside one region.
    public func guestAddress(forUserAddress userAddress: UInt64, length: UInt64) -> GuestAddress? {
        for region in regions where userAddress >= region.userAddress {
            let offset = userAddress &- region.userAddress
            guard offset < region.size, length <= region.size &- offset else { continue }
            // offset < size, so gpa + offset < guestEnd, which did not overflow.
            return GuestAddress(region.guestPhysicalAddress.rawValue &+ offset)
        }
        return nil
    }

    /// A new snapshot with `region` added (vhost-user ADD_MEM_REG). This map is not changed.
    /// - Throws: as `init(regions:maximumRegionCount:)`.
    public func adding(_ region: GuestMemoryRegion) throws(GuestMemoryError) -> GuestMemoryMap {
        try GuestMemoryMap(regions: regions + [region], maximumRegionCount: maximumRegionCount)
    }

    /// A new snapshot without the region identified by its guest address, size and user address (vhost-user
    /// REM_MEM_REG; the mmap offset is ignored, as the spec says). This map, and the removed region's mapping for
    /// whoever still holds it, are not changed.
    /// - Throws: `GuestMemoryError.regionNotFound` when no region matches all three.
    public func removing(
        guestPhysicalAddress: GuestAddress, size: UInt64, userAddress: UInt64
    ) throws(GuestMemoryError) -> GuestMemoryMap {
        guard let index = regions.firstIndex(where: {
            $0.guestPhysicalAddress == guestPhysicalAddress && $0.size == size && $0.userAddress == userAddress
        }) else {
            throw .regionNotFound(guestPhysicalAddress, size: size, userAddress: userAddress)
        }
        var remaining = regions
        remaining.remove(at: index)
        return try GuestMemoryMap(regions: remaining, maximumRegionCount: maximumRegionCount)
    }

    /// The host address of `address` and how many bytes from there stay inside the same region, or nil.
    @usableFromInline
    func hostSpan(at address: GuestAddress) -> (pointer: UnsafeMutableRawPointer, available: UInt64)? {
        guard let pointer = translate(address, length: 0), let region = region(containing: address) else {
            return nil
        }
        return (pointer, region.guestEnd &- address.rawValue)
    }
}
