import GuestMemory
import LinuxSystem
import Testing

@Suite("GuestMemoryRegion")
struct GuestMemoryRegionTests {
    @Test("a region maps its file range and records checked ends")
    func mapsFileRange() throws {
        let fd = try makeBacking(pages: 4)
        let r = try region(fd, gpa: 0x10000, size: 8192, uva: 0x5000, offset: 4096)
        #expect(r.guestEnd == 0x12000)
        #expect(r.userEnd == 0x7000)
        #expect(r.contains(GuestAddress(0x10000)))
        #expect(r.contains(GuestAddress(0x11fff)))
        #expect(!r.contains(GuestAddress(0x12000)))
        #expect(!r.contains(GuestAddress(0x11fff), length: 2))
        // The mapping is of the file at offset 4096: write through a second mapping of the file and read here.
        let whole = try MemoryMapping(descriptor: fd, offset: 0, length: 4 * 4096)
        whole.base.storeBytes(of: 0xAB, toByteOffset: 4096 + 5, as: UInt8.self)
        #expect(r.hostAddress.load(fromByteOffset: 5, as: UInt8.self) == 0xAB)
    }

    @Test("a mmap offset that is not page-aligned still maps the right bytes")
    func unalignedOffset() throws {
        let fd = try makeBacking(pages: 4)
        let whole = try MemoryMapping(descriptor: fd, offset: 0, length: 4 * 4096)
        whole.base.storeBytes(of: 0x5A, toByteOffset: 4096 + 100, as: UInt8.self)
        let r = try region(fd, gpa: 0, size: 1000, offset: 4096 + 100)
        #expect(r.hostAddress.load(as: UInt8.self) == 0x5A)
    }

    struct Refusal: Sendable, CustomTestStringConvertible {
        let name: String
        let gpa: UInt64
        let size: UInt64
        let uva: UInt64
        let offset: UInt64
        let expected: GuestMemoryError
        var testDescription: String { name }
    }

    static let refusals: [Refusal] = [
        Refusal(name: "zero size", gpa: 0, size: 0, uva: 0, offset: 0, expected: .zeroSize),
        Refusal(name: "gpa + size overflows", gpa: UInt64.max - 4095, size: 4096, uva: 0, offset: 0,
                expected: .guestAddressOverflow(GuestAddress(UInt64.max - 4095), size: 4096)),
        Refusal(name: "uva + size overflows", gpa: 0, size: 4096, uva: UInt64.max, offset: 0,
                expected: .userAddressOverflow(UInt64.max, size: 4096)),
        Refusal(name: "offset + size overflows", gpa: 0, size: 4096, uva: 0, offset: UInt64.max - 10,
                expected: .mmapOffsetOverflow(UInt64.max - 10, size: 4096)),
        Refusal(name: "offset + size beyond off_t", gpa: 0, size: 4096, uva: 0, offset: UInt64(Int64.max),
                expected: .mmapOffsetOverflow(UInt64(Int64.max), size: 4096)),
        Refusal(name: "size beyond Int", gpa: 0, size: UInt64.max, uva: 0, offset: 0,
                expected: .sizeTooLarge(UInt64.max)),
        Refusal(name: "region past the end of the file", gpa: 0, size: 8192, uva: 0, offset: 4096 * 3,
                expected: .beyondEndOfFile(fileSize: 16384, regionEnd: 4096 * 5)),
    ]

    @Test("hostile region parameters are refused", arguments: refusals)
    func refuses(_ refusal: Refusal) throws {
        let fd = try makeBacking(pages: 4)
        #expect(throws: refusal.expected) {
            try GuestMemoryRegion(
                descriptor: fd, mmapOffset: refusal.offset, guestPhysicalAddress: GuestAddress(refusal.gpa),
                userAddress: refusal.uva, size: refusal.size)
        }
    }

    @Test("a region ending exactly at 2^64 - 1 is accepted")
    func topOfAddressSpace() throws {
        let fd = try makeBacking(pages: 1)
        let r = try region(fd, gpa: UInt64.max - 4096, size: 4096, uva: 0x1000)
        #expect(r.guestEnd == UInt64.max)
        let map = try GuestMemoryMap(regions: [r])
        #expect(map.translate(GuestAddress(UInt64.max - 1), length: 1) != nil)
        #expect(map.translate(GuestAddress(UInt64.max - 1), length: 2) == nil)
        #expect(map.translate(GuestAddress(UInt64.max), length: 0) == nil)
    }

    @Test("GuestAddress.adding is checked")
    func addressArithmetic() {
        #expect(GuestAddress(10).adding(5) == GuestAddress(15))
        #expect(GuestAddress(UInt64.max).adding(1) == nil)
        #expect(GuestAddress(UInt64.max).adding(0) == GuestAddress(UInt64.max))
        #expect(GuestAddress(3) < GuestAddress(4))
        #expect(GuestAddress(0x10).isAligned(to: 16))
        #expect(!GuestAddress(0x12).isAligned(to: 4))
    }
}
