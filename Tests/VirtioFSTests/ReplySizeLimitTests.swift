import CLinux
import FSDevAIO
import FUSE
import FUSEWire
import Foundation
import Glibc
import GuestMemory
import Testing
import VhostUserTestKit
import Virtqueue

/// Hole 5 of issue 10 (sizes), driven as the hostile guest did: indirect descriptors aliasing one 8 MiB buffer
/// make a chain of almost 4 GiB, and the request asks for all of it. Reply sizes come from the negotiated
/// max_pages, never from the chain; BATCH_FORGET counts from the body length.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct ReplySizeLimitTests {
    static let aliasLength = 8 << 20
    /// 509 aliasing buffers of 8 MiB: 4,269,801,472 bytes, just under the 4 GiB a chain may hold.
    static let aliasCount = 509
    /// max_write 64 KiB, so max_pages is 16 and no reply may carry more than 64 KiB.
    static let maxPayload = 64 * 1024

    static func daemon() throws -> InProcessDaemon {
        var fuse = FUSEInitNegotiation.Options()
        fuse.maxWrite = UInt32(maxPayload)
        return try InProcessDaemon(fuse: fuse)
    }

    static func client(_ d: InProcessDaemon) throws -> FUSEClient {
        var config = FUSEClient.Configuration()
        config.queueSize = 1024
        config.spareGuestMemory = aliasLength + (1 << 20)
        return try FUSEClient(socketPath: d.socketPath, configuration: config)
    }

    /// Posts one chain on `queue`: the readable `request` bytes, a 16-byte reply header buffer, then `aliasCount`
    /// writable descriptors that all point at the same 8 MiB (`alias`), in one indirect table. Returns the used
    /// length and the reply header.
    static func sendAliasing(_ c: FUSEClient, request: [UInt8], alias: GuestAddress) throws
        -> (usedLength: UInt32, header: fuse_out_header)
    {
        let driver = c.queue.driver
        let ram = c.ram
        let count = 2 + aliasCount
        guard let requestBuffer = ram.allocate(size: request.count), let outBuffer = ram.allocate(size: 16),
              let table = ram.allocate(size: 16 * count)
        else { throw FUSEClient.Failure.invalidArgument("guest RAM") }
        #expect(ram.write(request, at: requestBuffer))
        #expect(ram.fill(0xee, at: outBuffer, count: 16))
        var descriptors = [
            Descriptor(address: requestBuffer, length: UInt32(request.count), flags: [.next], next: 1),
            Descriptor(address: outBuffer, length: 16, flags: [.write, .next], next: 2),
        ]
        for i in 0..<aliasCount {
            let last = i == aliasCount - 1
            descriptors.append(Descriptor(address: alias, length: UInt32(aliasLength),
                                          flags: last ? [.write] : [.write, .next], next: UInt16(3 + i)))
        }
        #expect(driver.writeDescriptorTable(descriptors, at: table))
        // A head index the client's own requests never reach (64 slots of at most 5 descriptors).
        let head = driver.size - 1
        driver.writeDescriptor(Descriptor(address: table, length: UInt32(16 * count), flags: [.indirect], next: 0),
                               at: head)
        driver.appendRawAvail(UInt16(head))
        c.queue.kick()
        var used: (id: UInt32, length: UInt32)?
        #expect(eventually(timeoutMilliseconds: 10_000) {
            used = driver.takeRawUsed()
            return used != nil
        }, "the aliasing chain was not returned")
        let bytes = ram.read(at: outBuffer, count: 16) ?? []
        let header = bytes.withUnsafeBytes { $0.loadUnaligned(as: fuse_out_header.self) }
        #expect(used?.id == UInt32(head))
        return (used?.length ?? 0, header)
    }

    static func request<T>(opcode: FUSEOpcode, node: UInt64, unique: UInt64, _ body: T) -> [UInt8] {
        let length = MemoryLayout<fuse_in_header>.size + MemoryLayout<T>.size
        let header = fuse_in_header(len: UInt32(length), opcode: opcode.rawValue, unique: unique, nodeid: node,
                                    uid: 0, gid: 0, pid: 1, total_extlen: 0, padding: 0)
        return withUnsafeBytes(of: header) { Array($0) } + withUnsafeBytes(of: body) { Array($0) }
    }

    @Test func readdirplusIntoAFourGiBChainStopsAtMaxPages() throws {
        let d = try Self.daemon()
        defer { d.stop() }
        for i in 0..<1_500 {
            #expect(FileManager.default.createFile(atPath: d.share + "/file-with-a-longish-name-\(i)", contents: nil))
        }
        let c = try Self.client(d)
        defer { c.shutdown() }
        #expect(c.initReply?.maximumPages == 16)
        let directory = try c.opendir(FUSEClient.rootNodeID)
        let nodesBefore = d.fsdev.nodeCount
        guard let alias = c.ram.allocate(size: Self.aliasLength, alignment: 4096) else {
            Issue.record("no room for the aliased buffer")
            return
        }
        var args = fuse_read_in()
        args.fh = directory.handle
        args.size = UInt32.max
        let (usedLength, header) = try Self.sendAliasing(
            c, request: Self.request(opcode: .readdirplus, node: FUSEClient.rootNodeID, unique: 1 << 40, args),
            alias: alias)
        #expect(header.error == 0)
        #expect(header.unique == 1 << 40)
        #expect(usedLength == header.len)
        // 1,500 entries of about 180 bytes would be 270 KB: the reply stops at 64 KiB, and only the entries sent
        // were looked up.
        #expect(usedLength > 16 && Int(usedLength) <= 16 + Self.maxPayload, "used length \(usedLength)")
        let listed = Array((c.ram.read(at: alias, count: Int(usedLength) - 16) ?? []))
        var entries = 0
        var walked = true
        listed.withUnsafeBytes { bytes in
            do {
                try FUSEClient.DirectoryEntry.walk(bytes, opcode: FUSEOpcode.readdirplus.rawValue, plus: true) { e in
                    if let entry = e.entry, entry.nodeID != 0 { entries += 1 }
                }
            } catch {
                walked = false
            }
        }
        #expect(walked, "the reply is not a well-formed READDIRPLUS payload")
        #expect(entries > 100 && entries < 1_500)
        #expect(d.fsdev.nodeCount == nodesBefore + entries)
        // The queue goes on.
        #expect(try c.getattr(FUSEClient.rootNodeID).attributes.isDirectory)
    }

    @Test func readLargerThanMaxPagesIsRefusedWhateverTheChainHolds() throws {
        let d = try Self.daemon()
        defer { d.stop() }
        let fd = open(d.share + "/big", O_CREAT | O_WRONLY, 0o644)
        #expect(ftruncate(fd, 64 << 20) == 0)
        close(fd)
        let c = try Self.client(d)
        defer { c.shutdown() }
        let file = try c.lookup(parent: FUSEClient.rootNodeID, name: "big")
        let handle = try c.open(file.nodeID, flags: O_RDONLY).handle
        guard let alias = c.ram.allocate(size: Self.aliasLength, alignment: 4096) else {
            Issue.record("no room for the aliased buffer")
            return
        }
        for size in [UInt32.max, UInt32(Self.maxPayload + 1)] {
            var args = fuse_read_in()
            args.fh = handle
            args.size = size
            let (usedLength, header) = try Self.sendAliasing(
                c, request: Self.request(opcode: .read, node: file.nodeID, unique: 1 << 41, args), alias: alias)
            #expect(header.error == -EINVAL, "READ of \(size) bytes")
            #expect(usedLength == 16)
        }
        // Exactly max_pages pages is a normal read.
        #expect(try c.read(file.nodeID, handle: handle, offset: 0, size: Self.maxPayload).count == Self.maxPayload)
    }

    /// BATCH_FORGET whose count is larger than its body: ignored whole (the old code forgot the records that were
    /// there and trusted the count for the rest).
    @Test func batchForgetCountLargerThanTheBodyIsIgnored() throws {
        let d = try Self.daemon()
        defer { d.stop() }
        let c = try Self.client(d)
        defer { c.shutdown() }
        let a = try c.mknod(parent: FUSEClient.rootNodeID, name: "a", mode: 0o100644)
        let b = try c.mknod(parent: FUSEClient.rootNodeID, name: "b", mode: 0o100644)
        let records = [fuse_forget_one(nodeid: a.nodeID, nlookup: 1), fuse_forget_one(nodeid: b.nodeID, nlookup: 1)]
        for count in [UInt32(3), 1_000_000, UInt32.max] {
            try c.withHiprio { (q) throws(FUSEClient.Failure) in
                try q.call({ () throws(FUSEClient.Failure) in
                    try q.submit(opcode: FUSEOpcode.batchForget.rawValue, nodeID: 0, replyCapacity: 0,
                                 expectsReply: false) { (w) throws(FUSEClient.Failure) in
                        try w.append(fuse_batch_forget_in(count: count, dummy: 0))
                        for r in records { try w.append(r) }
                    }
                }, decode: { _ in })
            }
            #expect(d.fsdev.lookupCount(of: .init(rawValue: a.nodeID)) == 1, "count \(count)")
            #expect(d.fsdev.lookupCount(of: .init(rawValue: b.nodeID)) == 1, "count \(count)")
        }
        // The honest batch works.
        try c.batchForget([(a.nodeID, 1), (b.nodeID, 1)])
        #expect(d.fsdev.nodeCount == 1)
    }

    /// A BATCH_FORGET of almost 4 GiB of records, from readable descriptors aliasing one buffer, on the hiprio
    /// queue: refused at once instead of walking 268 million records on the reactor.
    @Test func batchForgetOfFourGiBIsRefusedAtOnce() throws {
        let d = try Self.daemon()
        defer { d.stop() }
        let c = try Self.client(d)
        defer { c.shutdown() }
        guard let alias = c.ram.allocate(size: Self.aliasLength, alignment: 4096),
              let header = c.ram.allocate(size: 48), let table = c.ram.allocate(size: 16 * (1 + Self.aliasCount))
        else {
            Issue.record("no room in guest RAM")
            return
        }
        let total = 48 + Self.aliasCount * Self.aliasLength
        let inHeader = fuse_in_header(len: UInt32(total), opcode: FUSEOpcode.batchForget.rawValue, unique: 0,
                                      nodeid: 0, uid: 0, gid: 0, pid: 0, total_extlen: 0, padding: 0)
        let forgetHeader = fuse_batch_forget_in(count: UInt32((total - 48) / 16), dummy: 0)
        let bytes = withUnsafeBytes(of: inHeader) { Array($0) } + withUnsafeBytes(of: forgetHeader) { Array($0) }
        #expect(c.ram.write(bytes, at: header))
        var descriptors = [Descriptor(address: header, length: 48, flags: [.next], next: 1)]
        for i in 0..<Self.aliasCount {
            let last = i == Self.aliasCount - 1
            descriptors.append(Descriptor(address: alias, length: UInt32(Self.aliasLength),
                                          flags: last ? [] : [.next], next: UInt16(2 + i)))
        }
        let start = Date()
        try c.withHiprio { (q) throws(FUSEClient.Failure) in
            let driver = q.driver
            #expect(driver.writeDescriptorTable(descriptors, at: table))
            let head = driver.size - 1
            driver.writeDescriptor(Descriptor(address: table, length: UInt32(16 * descriptors.count),
                                              flags: [.indirect], next: 0), at: head)
            driver.appendRawAvail(UInt16(head))
            q.kick()
            #expect(eventually(timeoutMilliseconds: 30_000) { driver.takeRawUsed() != nil })
        }
        // Walking the 267 million records held the reactor for minutes before; now the request queue answers at
        // once.
        #expect(try c.getattr(FUSEClient.rootNodeID).attributes.isDirectory)
        #expect(Date().timeIntervalSince(start) < 2)
    }
}
