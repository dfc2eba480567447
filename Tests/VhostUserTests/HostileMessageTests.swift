import Glibc
import LinuxSystem
import Testing
import VhostUser
import VhostUserTestKit

/// One malicious message (or byte sequence) and what the back-end must do with it.
struct HostileCase: CustomTestStringConvertible, Sendable {
    enum Setup: Sendable { case none, negotiated, owned }
    enum Outcome: Sendable { case refused, closed }
    let name: String
    let setup: Setup
    let outcome: Outcome
    let send: @Sendable (VhostUserFrontend) throws -> Void
    var testDescription: String { name }
}

private let ack = VhostUserHeader.version | VhostUserHeader.needReplyFlag

private func u64(_ v: UInt64) -> [UInt8] {
    var w = WireWriter()
    w.u64(v)
    return w.bytes
}

private func region(_ gpa: UInt64, _ size: UInt64, _ uva: UInt64) -> MemoryRegionPayload {
    MemoryRegionPayload(guestPhysicalAddress: gpa, size: size, userAddress: uva, mmapOffset: 0)
}

private func memTable(_ regions: [MemoryRegionPayload]) throws -> ([UInt8], [FileDescriptor]) {
    let fds = try regions.map { _ in try MemFD.create(name: "hostile", size: 1 << 20) }
    return (MemoryTablePayload(regions: regions).encoded, fds)
}

let hostileCases: [HostileCase] = [
    HostileCase(name: "truncated header then close", setup: .none, outcome: .closed) { fe in
        try fe.connection.socket.send([1, 0, 0, 0, 1, 0])
        fe.connection.socket.shutdown()
    },
    HostileCase(name: "size > 4096", setup: .negotiated, outcome: .closed) { fe in
        try fe.sendRaw(request: 2, flags: ack, body: [UInt8](repeating: 0, count: 5000))
    },
    HostileCase(name: "wrong version", setup: .negotiated, outcome: .closed) { fe in
        try fe.sendRaw(request: 1, flags: 0x2)
    },
    HostileCase(name: "reserved flag bits", setup: .negotiated, outcome: .closed) { fe in
        try fe.sendRaw(request: 1, flags: 0x1 | 0x100)
    },
    HostileCase(name: "reply flag on a request", setup: .negotiated, outcome: .closed) { fe in
        try fe.sendRaw(request: 1, flags: 0x1 | VhostUserHeader.replyFlag)
    },
    HostileCase(name: "body shorter than SET_FEATURES needs", setup: .owned, outcome: .refused) { fe in
        try fe.sendRaw(request: 2, flags: ack, body: [1, 0, 0, 0])
    },
    HostileCase(name: "body longer than SET_VRING_NUM needs", setup: .owned, outcome: .refused) { fe in
        try fe.sendRaw(request: 8, flags: ack, body: VringStatePayload(index: 0, num: 64).encoded + [0])
    },
    HostileCase(name: "GET_FEATURES with a body", setup: .negotiated, outcome: .closed) { fe in
        try fe.sendRaw(request: 1, flags: ack, body: [0, 0, 0, 0])
    },
    HostileCase(name: "kick without its fd", setup: .owned, outcome: .refused) { fe in
        try fe.sendRaw(request: 12, flags: ack, body: u64(0))
    },
    HostileCase(name: "extra fd on SET_FEATURES", setup: .owned, outcome: .refused) { fe in
        let e = try EventFD()
        try fe.sendRaw(request: 2, flags: ack, body: u64(1 << 32), fds: [e.rawValue])
    },
    HostileCase(name: "32 fds on SET_OWNER", setup: .negotiated, outcome: .refused) { fe in
        let es = try (0..<32).map { _ in try EventFD() }
        try fe.sendRaw(request: 3, flags: ack, fds: es.map(\.rawValue))
    },
    HostileCase(name: "fd count differs from region count", setup: .owned, outcome: .refused) { fe in
        let (body, fds) = try memTable([region(0, 1 << 20, 0x1000_0000), region(1 << 21, 1 << 20, 0x2000_0000)])
        try fe.sendRaw(request: 5, flags: ack, body: body, fds: [fds[0].rawValue])
    },
    HostileCase(name: "nine regions", setup: .owned, outcome: .refused) { fe in
        var w = WireWriter()
        w.u32(9)
        w.u32(0)
        for i in 0..<9 { w.append(region(UInt64(i) << 21, 1 << 20, UInt64(i) << 30).encodedForTest) }
        let fds = try (0..<8).map { _ in try MemFD.create(name: "r", size: 1 << 20) }
        try fe.sendRaw(request: 5, flags: ack, body: w.bytes, fds: fds.map(\.rawValue))
    },
    HostileCase(name: "overlapping regions (GPA)", setup: .owned, outcome: .refused) { fe in
        let (body, fds) = try memTable([region(0, 1 << 20, 0x1000_0000), region(1 << 19, 1 << 20, 0x2000_0000)])
        try fe.sendRaw(request: 5, flags: ack, body: body, fds: fds.map(\.rawValue))
    },
    HostileCase(name: "overlapping regions (user address)", setup: .owned, outcome: .refused) { fe in
        let (body, fds) = try memTable([region(0, 1 << 20, 0x1000_0000), region(1 << 22, 1 << 20, 0x1008_0000)])
        try fe.sendRaw(request: 5, flags: ack, body: body, fds: fds.map(\.rawValue))
    },
    HostileCase(name: "region size 0", setup: .owned, outcome: .refused) { fe in
        let (body, fds) = try memTable([region(0, 0, 0x1000_0000)])
        try fe.sendRaw(request: 5, flags: ack, body: body, fds: fds.map(\.rawValue))
    },
    HostileCase(name: "region address overflow", setup: .owned, outcome: .refused) { fe in
        let (body, fds) = try memTable([region(UInt64.max - 4095, 1 << 20, 0x1000_0000)])
        try fe.sendRaw(request: 5, flags: ack, body: body, fds: fds.map(\.rawValue))
    },
    HostileCase(name: "region larger than its fd", setup: .owned, outcome: .refused) { fe in
        let (body, fds) = try memTable([region(0, 1 << 40, 0x1000_0000)])
        try fe.sendRaw(request: 5, flags: ack, body: body, fds: fds.map(\.rawValue))
    },
    HostileCase(name: "ring address outside memory", setup: .owned, outcome: .refused) { fe in
        let mem = try TestMemory()
        try fe.setFeatures([.version1, .protocolFeatures])
        try fe.setMemTable(mem.table)
        try fe.setVringNum(0, 256)
        try fe.setVringEnable(0, true)
        try fe.setVringAddr(VringAddressPayload(index: 0, descriptorTable: 0xdead_0000, usedRing: 0xdead_8000,
                                                availableRing: 0xdead_4000))
        let kick = try EventFD()
        try fe.sendRaw(request: 12, flags: ack, body: u64(0), fds: [kick.rawValue])
    },
    HostileCase(name: "ring straddling the end of memory", setup: .owned, outcome: .refused) { fe in
        let mem = try TestMemory(sizes: [1 << 20])
        try fe.setFeatures([.version1, .protocolFeatures])
        try fe.setMemTable(mem.table)
        let end = mem.regions[0].0.userAddress + (1 << 20)
        try fe.setVringNum(0, 256)
        try fe.setVringEnable(0, true)
        try fe.setVringAddr(VringAddressPayload(index: 0, descriptorTable: end - 2048, usedRing: end - 0x10000,
                                                availableRing: end - 0x8000))
        let kick = try EventFD()
        try fe.sendRaw(request: 12, flags: ack, body: u64(0), fds: [kick.rawValue])
    },
    HostileCase(name: "queue index out of range", setup: .owned, outcome: .refused) { fe in
        try fe.sendRaw(request: 8, flags: ack, body: VringStatePayload(index: 99, num: 64).encoded)
    },
    HostileCase(name: "kick index out of range", setup: .owned, outcome: .refused) { fe in
        let e = try EventFD()
        try fe.sendRaw(request: 12, flags: ack, body: u64(200), fds: [e.rawValue])
    },
    HostileCase(name: "kick with reserved bits", setup: .owned, outcome: .refused) { fe in
        try fe.sendRaw(request: 13, flags: ack, body: u64(0x100 | 0x1_0000))
    },
    HostileCase(name: "queue size not a power of two", setup: .owned, outcome: .refused) { fe in
        try fe.sendRaw(request: 8, flags: ack, body: VringStatePayload(index: 0, num: 100).encoded)
    },
    HostileCase(name: "queue size 0", setup: .owned, outcome: .refused) { fe in
        try fe.sendRaw(request: 8, flags: ack, body: VringStatePayload(index: 0, num: 0).encoded)
    },
    HostileCase(name: "queue size above the maximum", setup: .owned, outcome: .refused) { fe in
        try fe.sendRaw(request: 8, flags: ack, body: VringStatePayload(index: 0, num: 32768).encoded)
    },
    HostileCase(name: "vring base above 16 bits", setup: .owned, outcome: .refused) { fe in
        try fe.sendRaw(request: 10, flags: ack, body: VringStatePayload(index: 0, num: 0x1_0000).encoded)
    },
    HostileCase(name: "SET_MEM_TABLE before SET_OWNER", setup: .negotiated, outcome: .refused) { fe in
        let (body, fds) = try memTable([region(0, 1 << 20, 0x1000_0000)])
        try fe.sendRaw(request: 5, flags: ack, body: body, fds: fds.map(\.rawValue))
    },
    HostileCase(name: "SET_VRING_NUM before SET_OWNER", setup: .negotiated, outcome: .refused) { fe in
        try fe.sendRaw(request: 8, flags: ack, body: VringStatePayload(index: 0, num: 64).encoded)
    },
    HostileCase(name: "SET_FEATURES with unknown bits", setup: .owned, outcome: .refused) { fe in
        try fe.sendRaw(request: 2, flags: ack, body: u64(1 << 40 | 1 << 32))
    },
    HostileCase(name: "SET_PROTOCOL_FEATURES with unknown bits", setup: .negotiated, outcome: .refused) { fe in
        try fe.sendRaw(request: 16, flags: ack, body: u64(1 << 50))
    },
    HostileCase(name: "unknown request with NEED_REPLY", setup: .owned, outcome: .refused) { fe in
        try fe.sendRaw(request: 999, flags: ack)
    },
    HostileCase(name: "unknown request without NEED_REPLY", setup: .owned, outcome: .closed) { fe in
        try fe.sendRaw(request: 0xffff_ffff, flags: VhostUserHeader.version)
    },
    HostileCase(name: "GET_VRING_BASE with a bad index", setup: .owned, outcome: .closed) { fe in
        try fe.sendRaw(request: 11, flags: ack, body: VringStatePayload(index: 77, num: 0).encoded)
    },
    HostileCase(name: "SET_LOG_BASE without LOG_SHMFD", setup: .owned, outcome: .refused) { fe in
        let e = try MemFD.create(name: "log", size: 4096)
        try fe.sendRaw(request: 6, flags: ack, body: [UInt8](repeating: 0, count: 16), fds: [e.rawValue])
    },
    HostileCase(name: "SET_VRING_ENABLE with value 2", setup: .owned, outcome: .refused) { fe in
        try fe.setFeatures([.version1, .protocolFeatures])
        try fe.sendRaw(request: 18, flags: ack, body: VringStatePayload(index: 0, num: 2).encoded)
    },
    HostileCase(name: "GET_CONFIG larger than 256", setup: .owned, outcome: .closed) { fe in
        var w = WireWriter()
        w.u32(0)
        w.u32(300)
        w.u32(0)
        try fe.sendRaw(request: 24, flags: ack, body: w.bytes + [UInt8](repeating: 0, count: 300))
    },
    HostileCase(name: "REM_MEM_REG of an unknown region", setup: .owned, outcome: .refused) { fe in
        try fe.sendRaw(request: 38, flags: ack,
                       body: SingleMemoryRegionPayload(region: region(0x5000_0000, 4096, 0)).encoded)
    },
]

extension MemoryRegionPayload {
    var encodedForTest: [UInt8] { Array(MemoryTablePayload(regions: [self]).encoded.dropFirst(8)) }
}

@Suite(.serialized, .timeLimit(.minutes(2)))
struct HostileMessageTests {
    @Test(arguments: hostileCases)
    func hostileMessageGetsAnErrorOrAClosedConnection(_ c: HostileCase) throws {
        let h = try ServerHarness()
        defer { h.stop() }
        do {
            let fe = try h.frontend()
            switch c.setup {
            case .none: break
            case .negotiated:
                let offered = try fe.getFeatures()
                #expect(offered.contains(.protocolFeatures))
                let p = try fe.getProtocolFeatures()
                try fe.setProtocolFeatures(p)
            case .owned:
                _ = try fe.negotiate(wantedProtocolFeatures: VhostUserFrontend.qemuProtocolFeatures.union(.config))
            }
            try c.send(fe)
            switch c.outcome {
            case .closed:
                if c.setup != .none { #expect(fe.isClosedByPeer(), "connection not closed") }
            case .refused:
                let reply = try fe.receiveRaw()
                let r = try #require(reply, "connection closed instead of an error reply")
                var rd = WireReader(r.body)
                #expect(r.body.count == 8 && (rd.u64() ?? 0) != 0, "expected a failure status")
                // The connection still serves requests.
                #expect(try fe.getFeatures().contains(.version1))
            }
            // Hang up before the next front-end connects: a connection that is still open when another arrives is
            // a second simultaneous front-end, which the server refuses (ARC does not promise when `fe` goes).
            fe.connection.socket.shutdown()
        }
        // The back-end keeps serving the next front-end.
        let next = try h.frontend()
        let mem = try TestMemory()
        let events = try handshake(next, mem, queues: 2)
        #expect(events.count == 4)
        #expect(h.backend.state.withLock { $0.started.count } == 2)
    }
}
