import CAIO
import CLinux
import Glibc
import LinuxSystem
import Testing

@Suite struct UnixSocketTests {
    @Test func bytesAndDescriptorsCrossASocketPair() throws {
        let (a, b) = try UnixSocket.pair()
        let memfd = try MemFD.create(name: "passed", size: 4096)
        let seven: [UInt8] = [7]
        _ = try seven.withUnsafeBytes { try memfd.write($0, at: 10) }
        try a.send([1, 2, 3], fds: [memfd.rawValue, memfd.rawValue])
        var buf = [UInt8](repeating: 0, count: 3)
        let r = try buf.withUnsafeMutableBytes { try b.receiveExactly(into: $0) }
        let got = try #require(r)
        #expect(buf == [1, 2, 3])
        #expect(got.fds.count == 2)
        #expect(!got.truncated)
        // The received descriptor refers to the same memory.
        var byte: UInt8 = 0
        _ = try withUnsafeMutableBytes(of: &byte) { try got.fds[0].read(into: $0, at: 10) }
        #expect(byte == 7)
    }

    /// In a child process of its own (an exit test): it counts the process's descriptors, which tests running in
    /// parallel would change.
    @Test func moreThan32DescriptorsAreTruncatedAndClosed() async {
        await #expect(processExitsWith: .success) {
            let (a, b) = try UnixSocket.pair()
            let events = try (0..<40).map { _ in try EventFD() }
            // Send 40 fds with a raw sendmsg (our own wrapper refuses more than 32).
            var fds = events.map(\.rawValue)
            let sent = fds.withUnsafeMutableBufferPointer { p -> Int in
                var byte: UInt8 = 9
                return withUnsafeMutableBytes(of: &byte) { raw in rawSendWithFDs(a.rawValue, raw, p) }
            }
            guard sent == 1 else { exit(2) }
            var buf = [UInt8](repeating: 0, count: 1)
            // Count eventfds only: the test runner may open and close other descriptors meanwhile.
            let before = openEventFDCount()
            let r = try buf.withUnsafeMutableBytes { try b.receive(into: $0) }
            guard r.truncated, r.fds.count <= 32 else { exit(3) }
            // Only the descriptors handed to us are open; the rest were closed, not leaked.
            guard openEventFDCount() - before == r.fds.count else { exit(4) }
        }
    }

    @Test func sendRefusesMoreThan32Descriptors() throws {
        let (a, _) = try UnixSocket.pair()
        let fds = [CInt](repeating: 0, count: 33)
        #expect(throws: Errno.invalidArgument) { try a.send([1], fds: fds) }
    }

    @Test func closedPeerIsEOFAndSendIsEPIPE() throws {
        var (a, b): (UnixSocket?, UnixSocket) = try UnixSocket.pair()
        a = nil
        _ = a
        var buf = [UInt8](repeating: 0, count: 4)
        let r = try buf.withUnsafeMutableBytes { try b.receiveExactly(into: $0) }
        #expect(r == nil)
        #expect(throws: Errno.brokenPipe) { try b.send([1]) }
    }

    @Test func pathTooLongIsRefused() {
        let long = "/tmp/" + String(repeating: "x", count: 200)
        #expect(throws: Errno.nameTooLong) { _ = try UnixSocket.listen(path: long) }
    }
}

/// Number of eventfds open in this process (entries of /proc/self/fd linking to `anon_inode:[eventfd]`).
func openEventFDCount() -> Int {
    guard let dir = opendir("/proc/self/fd") else { return -1 }
    defer { closedir(dir) }
    var n = 0
    var target = [CChar](repeating: 0, count: 64)
    while let entry = readdir(dir) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let length = readlink("/proc/self/fd/" + name, &target, target.count - 1)
        guard length > 0 else { continue }
        let link = String(decoding: target.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if link == "anon_inode:[eventfd]" { n += 1 }
    }
    return n
}

/// A raw sendmsg with any number of fds, to play a hostile peer.
func rawSendWithFDs(_ sock: CInt, _ byte: UnsafeMutableRawBufferPointer, _ fds: UnsafeMutableBufferPointer<CInt>) -> Int {
    let space = 8 * ((16 + 4 * fds.count + 7) / 8) + 64
    let control = UnsafeMutableRawPointer.allocate(byteCount: space, alignment: 8)
    defer { control.deallocate() }
    memset(control, 0, space)
    var iov = iovec(iov_base: byte.baseAddress, iov_len: byte.count)
    var msg = msghdr()
    return withUnsafeMutablePointer(to: &iov) { iovp in
        msg.msg_iov = iovp
        msg.msg_iovlen = 1
        msg.msg_control = control
        let cmsgLen = 16 + 4 * fds.count
        msg.msg_controllen = (cmsgLen + 7) & ~7
        let hdr = control.assumingMemoryBound(to: cmsghdr.self)
        hdr.pointee.cmsg_len = cmsgLen
        hdr.pointee.cmsg_level = SOL_SOCKET
        hdr.pointee.cmsg_type = Int32(SCM_RIGHTS)
        (control + 16).copyMemory(from: fds.baseAddress!, byteCount: 4 * fds.count)
        return sendmsg(sock, &msg, 0)
    }
}

@Suite struct EventAndEpollTests {
    @Test func eventfdCountsAndDrains() throws {
        let e = try EventFD()
        #expect(e.drain() == 0)
        e.signal()
        e.signal(2)
        #expect(e.drain() == 3)
        #expect(e.wait(timeoutMilliseconds: 10) == 0)
    }

    @Test func epollReportsTheToken() throws {
        let ep = try Epoll()
        let a = try EventFD()
        let b = try EventFD()
        try ep.add(a.rawValue, token: 11)
        try ep.add(b.rawValue, token: 22)
        b.signal()
        var events = [Epoll.Event](repeating: Epoll.Event(token: 0, events: 0), count: 4)
        let n = try ep.wait(into: &events, timeoutMilliseconds: 1000)
        #expect(n == 1)
        #expect(events[0].token == 22)
        try ep.remove(b.rawValue)
        #expect(try ep.wait(into: &events, timeoutMilliseconds: 0) == 0)
    }
}

@Suite struct MemoryTests {
    @Test func memfdMappingIsShared() throws {
        let fd = try MemFD.create(name: "shared", size: 8192)
        let m1 = try MemoryMapping(descriptor: fd, offset: 0, length: 8192)
        let m2 = try MemoryMapping(descriptor: fd, offset: 4096, length: 4096)
        m1.base.storeBytes(of: 0xabcd, toByteOffset: 4096, as: UInt16.self)
        #expect(m2.base.load(as: UInt16.self) == 0xabcd)
    }

    static let badRanges: [[UInt64]] = [[0, 0], [0, 8193], [4096, 8192], [UInt64.max - 10, 4096]]

    @Test(arguments: badRanges)
    func badMappingRangesAreRefused(_ range: [UInt64]) throws {
        let fd = try MemFD.create(name: "small", size: 8192)
        #expect(throws: Errno.self) { _ = try MemoryMapping(descriptor: fd, offset: range[0], length: range[1]) }
    }
}

@Suite struct AffinityAndNUMATests {
    @Test func pinningChangesTheAffinityOfThisThreadOnly() throws {
        let cpus = CPUAffinity.currentCPUs()
        #expect(!cpus.isEmpty)
        try CPUAffinity.pinCurrentThread(to: [cpus[0]])
        #expect(CPUAffinity.currentCPUs() == [cpus[0]])
        try CPUAffinity.pinCurrentThread(to: cpus)
        #expect(CPUAffinity.currentCPUs() == cpus)
        #expect(throws: Errno.invalidArgument) { try CPUAffinity.pinCurrentThread(to: [-1]) }
        #expect(throws: Errno.invalidArgument) { try CPUAffinity.pinCurrentThread(to: []) }
    }

    @Test func numaAllocationWorksWithOrWithoutNUMA() throws {
        let node = NUMA.node(ofCPU: CPUAffinity.currentCPUs().first ?? 0)
        #expect(node >= 0 && node < NUMA.nodeCount)
        let p = try #require(NUMA.allocate(size: 1 << 16, onNode: node))
        p.storeBytes(of: 42, toByteOffset: 65535, as: UInt8.self)
        #expect(p.load(fromByteOffset: 65535, as: UInt8.self) == 42)
        NUMA.free(p, size: 1 << 16)
    }
}

@Suite struct AIOContextTests {
    @Test func readAndWriteThroughLibaio() throws {
        let ctx = try AIOContext(depth: 8)
        let fd = try MemFD.create(name: "aio", size: 0)
        var data = [UInt8](repeating: 0x5a, count: 4096)
        var iocbs = [iocb](repeating: iocb(), count: 1)
        var events = [io_event](repeating: io_event(), count: 1)
        try data.withUnsafeMutableBytes { raw in
            io_prep_pwrite(&iocbs[0], fd.rawValue, raw.baseAddress, raw.count, 100)
            let submitted = try iocbs.withUnsafeMutableBufferPointer { p in
                var ptrs: [UnsafeMutablePointer<iocb>?] = [p.baseAddress]
                return try ctx.submit(&ptrs, count: 1)
            }
            #expect(submitted == 1)
            let n = try events.withUnsafeMutableBufferPointer {
                try ctx.getEvents(minimum: 1, into: $0, timeout: nil)
            }
            #expect(n == 1)
            #expect(events[0].res == 4096)
        }
        #expect(try fd.status().st_size == 4196)
        // A read past the end of the file is short.
        var back = [UInt8](repeating: 0, count: 4096)
        try back.withUnsafeMutableBytes { raw in
            io_prep_pread(&iocbs[0], fd.rawValue, raw.baseAddress, raw.count, 200)
            let submitted = try iocbs.withUnsafeMutableBufferPointer { p in
                var ptrs: [UnsafeMutablePointer<iocb>?] = [p.baseAddress]
                return try ctx.submit(&ptrs, count: 1)
            }
            #expect(submitted == 1)
            _ = try events.withUnsafeMutableBufferPointer { try ctx.getEvents(minimum: 1, into: $0, timeout: nil) }
        }
        #expect(events[0].res == 3996)
        #expect(back[0] == 0x5a && back[3995] == 0x5a && back[3996] == 0)
    }

    @Test func badDescriptorFailsAsAnEventNotACrash() throws {
        let ctx = try AIOContext(depth: 2)
        var buf = [UInt8](repeating: 0, count: 512)
        var cb = iocb()
        var ev = [io_event](repeating: io_event(), count: 1)
        try buf.withUnsafeMutableBytes { raw in
            io_prep_pread(&cb, 9999, raw.baseAddress, raw.count, 0)
            let result = withUnsafeMutablePointer(to: &cb) { p in
                var ptrs: [UnsafeMutablePointer<iocb>?] = [p]
                return Result { () throws(Errno) in try ctx.submit(&ptrs, count: 1) }
            }
            // io_submit rejects a bad fd synchronously with EBADF: it must be reported, not counted as submitted.
            #expect(throws: Errno.badFileDescriptor) { _ = try result.get() }
        }
        let reaped = try ev.withUnsafeMutableBufferPointer {
            try ctx.getEvents(minimum: 0, into: $0, timeout: timespec(tv_sec: 0, tv_nsec: 0))
        }
        #expect(reaped == 0)
    }

    @Test func invalidDepthIsRefused() {
        #expect(throws: Errno.invalidArgument) { _ = try AIOContext(depth: 0) }
    }
}
