import GuestMemory
import LinuxSystem
import Testing

@Suite("GuestMemoryMap")
struct GuestMemoryMapTests {
    /// Two regions: [0x10000, 0x12000) and [0x12000, 0x13000) (adjacent), plus [0x100000, 0x101000).
    func threeRegions() throws -> (FileDescriptor, GuestMemoryMap) {
        let fd = try makeBacking(pages: 8)
        let a = try region(fd, gpa: 0x10000, size: 8192, offset: 0)
        let b = try region(fd, gpa: 0x12000, size: 4096, offset: 8192)
        let c = try region(fd, gpa: 0x100000, size: 4096, offset: 12288)
        return (fd, try GuestMemoryMap(regions: [c, a, b]))
    }

    @Test("regions are sorted by guest address")
    func sorted() throws {
        let (_, map) = try threeRegions()
        #expect(map.regions.map(\.guestPhysicalAddress.rawValue) == [0x10000, 0x12000, 0x100000])
    }

    @Test("translation at region edges")
    func edges() throws {
        let (_, map) = try threeRegions()
        let a = map.regions[0]
        #expect(map.translate(GuestAddress(0x10000), length: 8192) == a.hostAddress)
        #expect(map.translate(GuestAddress(0x11fff), length: 1) == a.hostAddress + 8191)
        #expect(map.translate(GuestAddress(0x11fff), length: 0) == a.hostAddress + 8191)
        // Straddling two regions, even adjacent ones, is refused.
        #expect(map.translate(GuestAddress(0x11fff), length: 2) == nil)
        #expect(map.translate(GuestAddress(0x12000), length: 4096) == map.regions[1].hostAddress)
        #expect(map.translate(GuestAddress(0x12000), length: 4097) == nil)
        // Below, between and above regions.
        #expect(map.translate(GuestAddress(0xffff), length: 1) == nil)
        #expect(map.translate(GuestAddress(0xffff), length: 0) == nil)
        #expect(map.translate(GuestAddress(0x13000), length: 0) == nil)
        #expect(map.translate(GuestAddress(0x101000), length: 1) == nil)
        #expect(map.translate(GuestAddress(UInt64.max), length: 1) == nil)
        // Negative and huge lengths.
        #expect(map.translate(GuestAddress(0x10000), length: -1) == nil)
        #expect(map.translate(GuestAddress(0x10000), length: Int.max) == nil)
    }

    @Test("an empty map translates nothing")
    func empty() throws {
        let map = try GuestMemoryMap()
        #expect(map.translate(GuestAddress(0), length: 0) == nil)
        #expect(map.guestAddress(forUserAddress: 0, length: 1) == nil)
        #expect(map.load(UInt8.self, at: GuestAddress(0)) == nil)
    }

    @Test("frontend virtual address to guest address, one region only")
    func userAddresses() throws {
        let fd = try makeBacking(pages: 4)
        let a = try region(fd, gpa: 0x10000, size: 4096, uva: 0x7000_0000, offset: 0)
        let b = try region(fd, gpa: 0x40000, size: 4096, uva: 0x7000_1000, offset: 4096)
        let map = try GuestMemoryMap(regions: [a, b])
        #expect(map.guestAddress(forUserAddress: 0x7000_0010, length: 16) == GuestAddress(0x10010))
        #expect(map.guestAddress(forUserAddress: 0x7000_1ff0, length: 16) == GuestAddress(0x40ff0))
        // Contiguous in user space but not in guest space: refused.
        #expect(map.guestAddress(forUserAddress: 0x7000_0ff0, length: 32) == nil)
        #expect(map.guestAddress(forUserAddress: 0x6fff_ffff, length: 1) == nil)
        #expect(map.guestAddress(forUserAddress: 0x7000_2000, length: 0) == nil)
    }

    @Test("overlap in guest address space is refused")
    func guestOverlap() throws {
        let fd = try makeBacking(pages: 4)
        let a = try region(fd, gpa: 0x10000, size: 8192, uva: 0x1000_0000)
        let b = try region(fd, gpa: 0x11fff, size: 4096, uva: 0x2000_0000)
        #expect(throws: GuestMemoryError.overlappingGuestAddresses(GuestAddress(0x10000), GuestAddress(0x11fff))) {
            try GuestMemoryMap(regions: [b, a])
        }
        // The same region twice overlaps itself.
        #expect(throws: GuestMemoryError.self) { try GuestMemoryMap(regions: [a, a]) }
    }

    @Test("overlap in frontend virtual address space is refused")
    func userOverlap() throws {
        let fd = try makeBacking(pages: 4)
        let a = try region(fd, gpa: 0x10000, size: 4096, uva: 0x1000_0000)
        let b = try region(fd, gpa: 0x20000, size: 4096, uva: 0x1000_0800)
        #expect(throws: GuestMemoryError.overlappingUserAddresses(0x1000_0000, 0x1000_0800)) {
            try GuestMemoryMap(regions: [a, b])
        }
    }

    @Test("the region limit is enforced when building and when adding")
    func regionLimit() throws {
        let fd = try makeBacking(pages: 4)
        let regions = try (0..<3).map { try region(fd, gpa: UInt64($0) * 0x10000, offset: UInt64($0) * 4096) }
        #expect(throws: GuestMemoryError.tooManyRegions(limit: 2)) {
            try GuestMemoryMap(regions: regions, maximumRegionCount: 2)
        }
        let two = try GuestMemoryMap(regions: Array(regions.prefix(2)), maximumRegionCount: 2)
        #expect(throws: GuestMemoryError.tooManyRegions(limit: 2)) { try two.adding(regions[2]) }
    }

    @Test("adding and removing make new snapshots; the old one stays valid")
    func snapshots() throws {
        let fd = try makeBacking(pages: 4)
        let a = try region(fd, gpa: 0x10000, size: 4096, uva: 0xA000, offset: 0)
        let b = try region(fd, gpa: 0x20000, size: 4096, uva: 0xB000, offset: 4096)
        let first = try GuestMemoryMap(regions: [a])
        let second = try first.adding(b)
        #expect(first.regions.count == 1)
        #expect(second.regions.count == 2)
        #expect(first.translate(GuestAddress(0x20000), length: 1) == nil)
        #expect(second.translate(GuestAddress(0x20000), length: 1) != nil)

        #expect(throws: GuestMemoryError.regionNotFound(GuestAddress(0x20000), size: 4096, userAddress: 0xC000)) {
            try second.removing(guestPhysicalAddress: GuestAddress(0x20000), size: 4096, userAddress: 0xC000)
        }
        #expect(throws: GuestMemoryError.self) {
            try second.removing(guestPhysicalAddress: GuestAddress(0x20000), size: 8192, userAddress: 0xB000)
        }
        var third: GuestMemoryMap? = try second.removing(
            guestPhysicalAddress: GuestAddress(0x20000), size: 4096, userAddress: 0xB000)
        #expect(third?.translate(GuestAddress(0x20000), length: 1) == nil)
        #expect(third?.translate(GuestAddress(0x10000), length: 1) != nil)
        third = nil

        // The old snapshot still reads and writes the removed region, through its own reference to the mapping.
        #expect(second.store(UInt32(0xDEAD_BEEF), at: GuestAddress(0x20010)))
        #expect(second.load(UInt32.self, at: GuestAddress(0x20010)) == 0xDEAD_BEEF)
    }

    @Test("a removed region stays mapped while an old snapshot holds it")
    func removedRegionStaysMapped() throws {
        let fd = try makeBacking(pages: 2)
        var old: GuestMemoryMap? = try GuestMemoryMap(regions: [try region(fd, gpa: 0x1000, uva: 0x9000)])
        let pointer = try #require(old?.translate(GuestAddress(0x1000), length: 4096))
        let new = try #require(try old?.removing(guestPhysicalAddress: GuestAddress(0x1000), size: 4096,
                                                 userAddress: 0x9000))
        #expect(new.regions.isEmpty)
        pointer.storeBytes(of: 7, as: UInt8.self)  // still mapped: `old` is alive
        #expect(old?.load(UInt8.self, at: GuestAddress(0x1000)) == 7)
        old = nil
    }

    @Test("binary search over many regions")
    func manyRegions() throws {
        let fd = try makeBacking(pages: 64)
        let regions = try (0..<64).map {
            try region(fd, gpa: UInt64($0) * 0x10_0000 + 0x1000, size: 4096, offset: UInt64($0) * 4096)
        }
        let map = try GuestMemoryMap(regions: regions.shuffled())
        for (i, r) in regions.enumerated() {
            let base = UInt64(i) * 0x10_0000 + 0x1000
            #expect(map.translate(GuestAddress(base), length: 4096) == r.hostAddress)
            #expect(map.translate(GuestAddress(base + 4095), length: 1) == r.hostAddress + 4095)
            #expect(map.translate(GuestAddress(base - 1), length: 1) == nil)
            #expect(map.translate(GuestAddress(base + 4096), length: 0) == nil)
            #expect(map.region(containing: GuestAddress(base + 17)) === r)
        }
    }
}
