import GuestMemory
import LinuxSystem
import Testing

@Suite("GuestMemoryMap access")
struct GuestMemoryAccessTests {
    /// Two regions adjacent in guest space: [0x10000, 0x11000) and [0x11000, 0x12000); a third far away.
    func map() throws -> GuestMemoryMap {
        let fd = try makeBacking(pages: 4)
        return try GuestMemoryMap(regions: [
            try region(fd, gpa: 0x10000, offset: 4096),
            try region(fd, gpa: 0x11000, offset: 0),
            try region(fd, gpa: 0x40000, offset: 8192),
        ])
    }

    @Test("little-endian loads and stores, unaligned")
    func loadsAndStores() throws {
        let map = try map()
        #expect(map.store(UInt64(0x0102_0304_0506_0708), at: GuestAddress(0x10003)))
        #expect(map.load(UInt64.self, at: GuestAddress(0x10003)) == 0x0102_0304_0506_0708)
        #expect(map.load(UInt8.self, at: GuestAddress(0x10003)) == 0x08)  // little-endian
        #expect(map.load(UInt16.self, at: GuestAddress(0x10004)) == 0x0607)
    }

    @Test("loads and stores out of bounds or straddling regions fail without touching memory")
    func outOfBounds() throws {
        let map = try map()
        #expect(map.load(UInt32.self, at: GuestAddress(0x10ffe)) == nil)  // straddles two regions
        #expect(!map.store(UInt32(1), at: GuestAddress(0x10ffe)))
        #expect(map.load(UInt8.self, at: GuestAddress(0x12000)) == nil)
        #expect(!map.store(UInt8(1), at: GuestAddress(0xffff)))
        #expect(map.load(UInt64.self, at: GuestAddress(UInt64.max - 3)) == nil)
    }

    @Test("copies span regions contiguous in guest space, and fail past them")
    func copies() throws {
        let map = try map()
        let source = (0..<100).map { UInt8($0) }
        let ok = source.withUnsafeBytes { map.copy(to: GuestAddress(0x10fd0), from: $0) }
        #expect(ok)
        var back = [UInt8](repeating: 0, count: 100)
        #expect(back.withUnsafeMutableBytes { map.copy(from: GuestAddress(0x10fd0), into: $0) })
        #expect(back == source)
        // Runs off the end of the second region into a hole.
        #expect(!back.withUnsafeMutableBytes { map.copy(from: GuestAddress(0x11fd0), into: $0) })
        #expect(!source.withUnsafeBytes { map.copy(to: GuestAddress(0x41000 - 10), from: $0) })
        // Empty copies succeed anywhere.
        #expect(map.copy(to: GuestAddress(0x99999999), from: UnsafeRawBufferPointer(start: nil, count: 0)))
    }

    @Test("acquire loads and release stores check alignment and bounds")
    func atomics() throws {
        let map = try map()
        #expect(map.storeRelease(UInt16(0xBEEF), at: GuestAddress(0x10002)))
        #expect(map.loadAcquire(UInt16.self, at: GuestAddress(0x10002)) == 0xBEEF)
        #expect(map.storeRelease(UInt32(0xCAFE_F00D), at: GuestAddress(0x10008)))
        #expect(map.loadAcquire(UInt32.self, at: GuestAddress(0x10008)) == 0xCAFE_F00D)
        #expect(map.loadAcquire(UInt16.self, at: GuestAddress(0x10001)) == nil)
        #expect(!map.storeRelease(UInt16(1), at: GuestAddress(0x10001)))
        #expect(map.loadAcquire(UInt32.self, at: GuestAddress(0x10002)) == nil)
        #expect(!map.storeRelease(UInt32(1), at: GuestAddress(0x10006)))
        #expect(map.loadAcquire(UInt16.self, at: GuestAddress(0x12000)) == nil)
        #expect(map.loadAcquire(UInt32.self, at: GuestAddress(0x10ffe)) == nil)
    }
}
