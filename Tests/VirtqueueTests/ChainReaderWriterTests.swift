import CLinux
import Glibc
import GuestMemory
import LinuxSystem
import Testing
import VhostUserTestKit
import Virtqueue

@Suite("ChainReader and ChainWriter")
struct ChainReaderWriterTests {
    // The chain does not retain its storage (the fixture owns it): every test keeps `f` alive to its end.

    /// A chain of readable buffers of `readable` sizes (bytes 0, 1, 2, ... across them) and writable buffers of
    /// `writable` sizes (filled with 0xEE), in region 2.
    func chain(readable: [Int], writable: [Int], indirect: Bool = false) throws
        -> (RingFixture, DescriptorChain, [DriverQueue.Buffer])
    {
        let f = try RingFixture(size: 16)
        var counter: UInt8 = 0
        var r: [DriverQueue.Buffer] = []
        for size in readable {
            let address = try #require(f.ram.allocate(size: size, alignment: 1, region: 2))
            f.ram.write((0..<size).map { _ in defer { counter &+= 1 }; return counter }, at: address)
            r.append(DriverQueue.Buffer(address, length: UInt32(size)))
        }
        var w: [DriverQueue.Buffer] = []
        for size in writable {
            let address = try #require(f.ram.allocate(size: size, alignment: 1, region: 2))
            f.ram.fill(0xEE, at: address, count: size)
            w.append(DriverQueue.Buffer(address, length: UInt32(size)))
        }
        try f.driver.post(readable: r, writable: w, indirect: indirect)
        _ = f.driver.publish()
        return (f, try #require(try f.pop()), w)
    }

    func readAll(_ buffers: [DriverQueue.Buffer], from ram: GuestRAM) -> [UInt8] {
        buffers.flatMap { ram.read(at: $0.address, count: Int($0.length)) ?? [] }
    }

    @Test("values straddling descriptors read like contiguous bytes", arguments: [false, true])
    func straddlingReads(indirect: Bool) throws {
        let (f, chain, _) = try chain(readable: [3, 5, 1, 7, 16], writable: [], indirect: indirect)
        defer { withExtendedLifetime(f) {} }
        #expect(chain.readableLength == 32)
        #expect(chain.readableSegmentCount == 5)
        var reader = chain.makeReader()
        #expect(try reader.readValue(UInt32.self) == 0x0302_0100)  // bytes 0-3 across the first two buffers
        #expect(try reader.readValue(UInt64.self) == 0x0B0A_0908_0706_0504)  // across three buffers
        #expect(try reader.readValue(UInt8.self) == 12)
        #expect(reader.bytesRead == 13)
        #expect(reader.remaining == 19)
        try reader.skip(3)
        var rest = [UInt8](repeating: 0, count: 16)
        try rest.withUnsafeMutableBytes { (b) in try reader.read(into: b) }
        #expect(rest == Array(16..<32))
        #expect(reader.remaining == 0)
        #expect(throws: VirtqueueError.endOfChain(requested: 1, remaining: 0)) { try reader.readValue(UInt8.self) }
    }

    @Test("reading past the end throws and consumes nothing")
    func shortReads() throws {
        let (f, chain, _) = try chain(readable: [2, 2], writable: [])
        defer { withExtendedLifetime(f) {} }
        var reader = chain.makeReader()
        #expect(throws: VirtqueueError.endOfChain(requested: 8, remaining: 4)) { try reader.readValue(UInt64.self) }
        #expect(throws: VirtqueueError.endOfChain(requested: 5, remaining: 4)) { try reader.skip(5) }
        #expect(throws: VirtqueueError.endOfChain(requested: -1, remaining: 4)) { try reader.skip(-1) }
        #expect(reader.remaining == 4)
        #expect(try reader.readValue(UInt32.self) == 0x0302_0100)
    }

    @Test("a C struct (fuse_in_header) reads across buffers")
    func cStruct() throws {
        let (f, chain, _) = try chain(readable: [7, 33], writable: [])
        defer { withExtendedLifetime(f) {} }
        var reader = chain.makeReader()
        let header = try reader.readValue(fuse_in_header.self)
        #expect(header.len == 0x0302_0100)
        #expect(header.opcode == 0x0706_0504)
        #expect(header.unique == 0x0F0E_0D0C_0B0A_0908)
        #expect(reader.remaining == 0)
    }

    @Test("reader split: the first part stays, the rest is returned")
    func readerSplit() throws {
        let (f, chain, _) = try chain(readable: [4, 4, 4], writable: [])
        defer { withExtendedLifetime(f) {} }
        var reader = chain.makeReader()
        try reader.skip(2)
        var rest = try reader.split(at: 5)
        #expect(reader.remaining == 5)
        #expect(rest.remaining == 5)
        #expect(try rest.readValue(UInt8.self) == 7)
        #expect(try reader.readValue(UInt32.self) == 0x0504_0302)
        #expect(try reader.readValue(UInt8.self) == 6)
        #expect(throws: VirtqueueError.endOfChain(requested: 1, remaining: 0)) { try reader.readValue(UInt8.self) }
        #expect(throws: VirtqueueError.endOfChain(requested: 5, remaining: 4)) { _ = try rest.split(at: 5) }
    }

    @Test("iovecs describe a byte range without copying and without moving")
    func readerIOVecs() throws {
        let (f, chain, _) = try chain(readable: [3, 5, 8], writable: [])
        defer { withExtendedLifetime(f) {} }
        var reader = chain.makeReader()
        try reader.skip(1)
        var vectors = [iovec](repeating: iovec(), count: 3)
        let n = try vectors.withUnsafeMutableBufferPointer { (v) in
            try reader.iovecs(count: 10, into: v)
        }
        #expect(n == 3)
        #expect(vectors.map(\.iov_len) == [2, 5, 3])
        #expect(vectors[0].iov_base == chain.readableSegments[0].base + 1)
        #expect(reader.remaining == 15)
        var bytes: [UInt8] = []
        for v in vectors.prefix(n) { bytes += UnsafeRawBufferPointer(start: v.iov_base, count: v.iov_len) }
        #expect(bytes == Array(1..<11))
        try reader.skip(10)
        #expect(try reader.readValue(UInt8.self) == 11)

        var one = [iovec](repeating: iovec(), count: 1)
        #expect(throws: VirtqueueError.insufficientIOVecs(needed: 1, capacity: 0)) {
            _ = try reader.iovecs(count: 1, into: UnsafeMutableBufferPointer(start: nil, count: 0))
        }
        #expect(throws: VirtqueueError.endOfChain(requested: 5, remaining: 4)) {
            _ = try one.withUnsafeMutableBufferPointer { (v) in
                try reader.iovecs(count: 5, into: v)
            }
        }
    }

    @Test("writer: reserve the header with split, fill the body, then write the header")
    func writerSplit() throws {
        let (f, chain, w) = try chain(readable: [1], writable: [5, 7, 20])
        defer { withExtendedLifetime(f) {} }
        var header = chain.makeWriter()
        var body = try header.split(at: 16)
        #expect(header.remaining == 16)
        #expect(body.remaining == 16)
        try body.writeValue(UInt64(0x1122_3344_5566_7788))
        try [UInt8](repeating: 0xAB, count: 3).withUnsafeBytes { (b) in try body.write(b) }
        #expect(body.bytesWritten == 11)
        var out = fuse_out_header()
        out.len = UInt32(16 + body.bytesWritten)
        out.error = -2
        out.unique = 0x0102_0304_0506_0708
        try header.writeValue(out)
        #expect(header.bytesWritten == 16)
        #expect(header.remaining == 0)
        #expect(throws: VirtqueueError.endOfChain(requested: 1, remaining: 0)) { try header.writeValue(UInt8(1)) }

        let bytes = readAll(w, from: f.ram)
        let expectedHeader = withUnsafeBytes(of: out) { Array($0) }
        #expect(Array(bytes[0..<16]) == expectedHeader)
        #expect(Array(bytes[16..<24]) == withUnsafeBytes(of: UInt64(0x1122_3344_5566_7788)) { Array($0) })
        #expect(Array(bytes[24..<27]) == [0xAB, 0xAB, 0xAB])
        #expect(Array(bytes[27...]) == [UInt8](repeating: 0xEE, count: 5))  // untouched
        try f.queue.pushUsed(chain, length: UInt32(header.bytesWritten + body.bytesWritten), memory: f.memory)
        #expect(try f.driver.popUsed() == DriverQueue.UsedElement(head: chain.headIndex, length: 27))
    }

    @Test("writer iovecs plus advance count as written (preadv into guest memory)")
    func writerIOVecs() throws {
        let (f, chain, w) = try chain(readable: [1], writable: [2, 3, 4])
        defer { withExtendedLifetime(f) {} }
        var writer = chain.makeWriter()
        var vectors = [iovec](repeating: iovec(), count: 4)
        let n = try vectors.withUnsafeMutableBufferPointer { (v) in
            try writer.iovecs(count: 6, into: v)
        }
        #expect(n == 3)
        #expect(vectors.prefix(n).map(\.iov_len) == [2, 3, 1])
        // Simulate a short preadv of 4 bytes.
        for (i, v) in vectors.prefix(2).enumerated() { memset(v.iov_base, Int32(i + 1), v.iov_len) }
        try writer.advance(by: 4)
        #expect(writer.bytesWritten == 4)
        #expect(writer.remaining == 5)
        #expect(throws: VirtqueueError.endOfChain(requested: 6, remaining: 5)) { try writer.advance(by: 6) }
        try writer.writeValue(UInt8(9))
        #expect(readAll(w, from: f.ram) == [1, 1, 2, 2, 9, 0xEE, 0xEE, 0xEE, 0xEE])
    }

    @Test("zero-length reads, writes and splits are fine at the end")
    func zeroLength() throws {
        let (f, chain, _) = try chain(readable: [4], writable: [])
        defer { withExtendedLifetime(f) {} }
        var reader = chain.makeReader()
        try reader.skip(4)
        try reader.skip(0)
        var empty = try reader.split(at: 0)
        #expect(empty.remaining == 0)
        try empty.read(into: UnsafeMutableRawBufferPointer(start: nil, count: 0))
        var writer = chain.makeWriter()
        #expect(writer.remaining == 0)
        try writer.write(UnsafeRawBufferPointer(start: nil, count: 0))
        #expect(throws: VirtqueueError.endOfChain(requested: 1, remaining: 0)) { try writer.writeValue(UInt8(0)) }
    }
}
